"""The direct path's compiled plans (`connectors.sql.direct`), with SQLAlchemy's postgresql+asyncpg dialect and no
database: a kept statement is compiled once per set of parameter keys, a one-off statement at each call, a plan is
never served for another statement that got its id, arguments follow `$1..$n`, command tags give row counts."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg

from ecmahost.config.model import AnchorGeneration
from ecmahost.connectors.sql import statements
from ecmahost.connectors.sql.demo_schema import demo_metadata
from ecmahost.connectors.sql.direct import Plan, PlanCache, _rowcount
from ecmahost.connectors.sql.statements import ANCHOR, VALUE
from ecmahost.connectors.sql.tables import ObjectTables

DIALECT = PGDialect_asyncpg()
NAMES = ("InternalGUID", "ContosoLogin", "FirstName")


def _users() -> ObjectTables:
    employees = demo_metadata().tables["Employees"]
    names = [*NAMES, "LastName", "Title"]
    return ObjectTables(
        object_type="User",
        table=employees,
        anchor=employees.c.InternalGUID,
        generate=AnchorGeneration.UUID,
        columns={name: employees.c[name] for name in names},
        types={},
        case_exact={},
    )


def test_a_kept_statement_has_one_plan_per_set_of_parameter_keys() -> None:
    cache = PlanCache(DIALECT)
    statement = statements.update_by_anchor(_users())
    assert statements.is_prepared(statement)
    title = cache.plan(statement, {"Title": "Boss", ANCHOR: "a"})
    assert cache.plan(statement, {ANCHOR: "b", "Title": "Chief"}) is title
    both = cache.plan(statement, {"Title": "Boss", "LastName": "Later", ANCHOR: "a"})
    assert both is not title
    assert '"LastName"' in both.sql
    assert '"LastName"' not in title.sql
    assert cache.plan(statement, {"LastName": "Again", "Title": "Boss", ANCHOR: "c"}) is both


def test_a_one_off_statement_is_compiled_at_each_call_and_not_kept() -> None:
    cache = PlanCache(DIALECT)
    employees = _users().table
    statement = select(employees.c.InternalGUID).where(employees.c.Email == bindparam("email"))
    assert not statements.is_prepared(statement)
    first = cache.plan(statement, {"email": "a@contoso.com"})
    second = cache.plan(statement, {"email": "a@contoso.com"})
    assert first is not second
    assert first.sql == second.sql
    assert cache._plans == {}


def test_a_plan_left_under_a_reused_id_is_not_served_for_the_new_statement() -> None:
    cache = PlanCache(DIALECT)
    gone = statements.by_anchor(_users(), NAMES)
    new = statements.by_anchor(_users(), ("InternalGUID", "Title"))  # another object type's cache: another object
    key = (id(new), frozenset({ANCHOR}))
    cache._plans[key] = Plan.of(gone, DIALECT, [ANCHOR])  # as if `gone` had been collected and `new` got its id
    plan = cache.plan(new, {ANCHOR: "a"})
    assert plan.statement is new
    assert '"Title"' in plan.sql
    assert '"ContosoLogin"' not in plan.sql
    assert cache._plans[key] is plan
    assert cache.plan(new, {ANCHOR: "b"}) is plan


@pytest.mark.parametrize(
    ("status", "rows"), [("UPDATE 3", 3), ("DELETE 0", 0), ("INSERT 0 1", 1), ("SELECT", -1), ("BEGIN", -1)]
)
def test_the_row_count_is_the_command_tags_last_number(status: str, rows: int) -> None:
    assert _rowcount(status) == rows


def test_arguments_follow_the_dollar_numbers_and_fill_the_limit() -> None:
    cache = PlanCache(DIALECT)
    match = statements.by_eq(_users(), NAMES, "ContosoLogin", False, "postgresql", 50)
    plan = cache.plan(match, {VALUE: "A@Contoso.com"})
    assert plan.order == (VALUE, "param_1")
    assert "lower($1::VARCHAR)" in plan.sql
    assert "LIMIT $2" in plan.sql
    assert plan.arguments({VALUE: "A@Contoso.com"}) == ["A@Contoso.com", 50]
    update = cache.plan(statements.update_by_anchor(_users()), {"Title": "t", "LastName": "l", ANCHOR: "a"})
    assert update.order == ("LastName", "Title", ANCHOR)
    assert all(part in update.sql for part in ('"LastName"=$1', '"Title"=$2', '"InternalGUID" = $3'))
    assert update.arguments({ANCHOR: "a", "Title": "t", "LastName": "l"}) == ["l", "t", "a"]

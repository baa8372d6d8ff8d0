"""The SQL filter compiler, compiled with each dialect without a database: the SQL shape, SCIM null semantics
and that every value is a bound parameter, never inlined."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.engine import Dialect

from ecmahost.config.model import AnchorGeneration, AttributeType
from ecmahost.connectors.errors import ConfigurationError, ConstraintViolation
from ecmahost.connectors.query import (
    MEMBERS,
    META_CREATED,
    META_MODIFIED,
    And,
    Any_,
    Compare,
    Const,
    Filter,
    Not,
    Op,
    Or,
    Present,
    Sort,
)
from ecmahost.connectors.sql.compile import compile_filter, compile_sort
from ecmahost.connectors.sql.demo_schema import demo_metadata
from ecmahost.connectors.sql.tables import ChildSpec, MembersSpec, ObjectTables

DIALECTS: dict[str, Dialect] = {
    "postgresql": postgresql.dialect(),
    "mysql": mysql.dialect(),
    "sqlite": sqlite.dialect(),
}
HOSTILE = "x'); DROP TABLE Employees; --"


def _users() -> ObjectTables:
    metadata = demo_metadata()
    employees, phones = metadata.tables["Employees"], metadata.tables["EmployeePhoneNumbers"]
    names = ["InternalGUID", "ContosoLogin", "FirstName", "Email", "Active", "CreatedAt"]
    return ObjectTables(
        object_type="User",
        table=employees,
        anchor=employees.c.InternalGUID,
        generate=AnchorGeneration.UUID,
        columns={name: employees.c[name] for name in names},
        types={"Active": AttributeType.BOOLEAN, "CreatedAt": AttributeType.DATETIME},
        case_exact={},
        children={
            "phoneNumbers": ChildSpec(
                "phoneNumbers", phones, phones.c.EmployeeGUID, {"value": phones.c.Value, "type": phones.c.Type}
            )
        },
    )


def _groups() -> ObjectTables:
    metadata = demo_metadata()
    groups, members = metadata.tables["Groups"], metadata.tables["GroupMembers"]
    return ObjectTables(
        object_type="Group",
        table=groups,
        anchor=groups.c.GroupGUID,
        generate=AnchorGeneration.UUID,
        columns={"GroupGUID": groups.c.GroupGUID, "DisplayName": groups.c.DisplayName},
        types={},
        case_exact={},
        members=MembersSpec(members, members.c.GroupGUID, members.c.MemberGUID),
    )


def _sql(filter_: Filter, dialect: str, tables: ObjectTables | None = None) -> tuple[str, dict[str, Any]]:
    """The WHERE clause of `SELECT anchor FROM table WHERE <filter>`, on one line, and its parameters."""
    tables = tables or _users()
    statement = select(tables.anchor).where(compile_filter(filter_, tables, dialect))
    compiled = statement.compile(dialect=DIALECTS[dialect])
    sql = " ".join(str(compiled).split())
    return sql.split(" WHERE ", 1)[1].replace("::VARCHAR", ""), compiled.params


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("op", list(Op))
def test_values_are_bound_parameters_never_inlined(dialect: str, op: Op) -> None:
    sql, params = _sql(Compare("ContosoLogin", op, HOSTILE, case_exact=False), dialect)
    assert "DROP" not in sql
    assert any("DROP TABLE" in str(value) for value in params.values())


@pytest.mark.parametrize("dialect", ["postgresql", "sqlite"])
def test_case_insensitive_eq_lowers_both_sides_on_postgres_and_sqlite(dialect: str) -> None:
    sql, _ = _sql(Compare("ContosoLogin", Op.EQ, "Bob", case_exact=False), dialect)
    assert 'lower("Employees"."ContosoLogin") = lower(' in sql


def test_case_insensitive_eq_relies_on_the_collation_on_mysql() -> None:
    sql, _ = _sql(Compare("ContosoLogin", Op.EQ, "Bob", case_exact=False), "mysql")
    assert sql == "`Employees`.`ContosoLogin` = %s"


def test_case_exact_eq_uses_a_binary_collation_on_mysql_and_keeps_the_indexable_test() -> None:
    sql, _ = _sql(Compare("ContosoLogin", Op.EQ, "Bob", case_exact=True), "mysql")
    assert sql == "`Employees`.`ContosoLogin` = %s AND (`Employees`.`ContosoLogin` COLLATE utf8mb4_bin) = %s"


def test_case_exact_eq_is_plain_on_postgres() -> None:
    sql, _ = _sql(Compare("ContosoLogin", Op.EQ, "Bob"), "postgresql")
    assert sql == '"Employees"."ContosoLogin" = %(param_1)s'


@pytest.mark.parametrize("dialect", DIALECTS)
def test_ne_includes_rows_where_the_column_is_null(dialect: str) -> None:
    sql, _ = _sql(Compare("Email", Op.NE, "a@b"), dialect)
    assert sql.endswith("`Employees`.`Email` IS NULL" if dialect == "mysql" else '"Employees"."Email" IS NULL')
    assert sql.startswith("NOT (" if dialect == "mysql" else '"Employees"."Email" != ')


def test_not_is_pushed_down_so_null_rows_match() -> None:
    sql, _ = _sql(Not(And((Compare("FirstName", Op.EQ, "A"), Compare("Email", Op.GT, "m")))), "postgresql")
    assert sql == (
        '"Employees"."FirstName" != %(param_1)s OR "Employees"."FirstName" IS NULL '
        'OR "Employees"."Email" <= %(param_2)s OR "Employees"."Email" IS NULL'
    )


def test_double_negation_cancels() -> None:
    assert _sql(Not(Not(Compare("FirstName", Op.EQ, "A"))), "postgresql")[0] == (
        '"Employees"."FirstName" = %(param_1)s'
    )


@pytest.mark.parametrize("dialect", DIALECTS)
def test_co_sw_ew_escape_wildcards_in_the_bound_value(dialect: str) -> None:
    sql, params = _sql(Compare("ContosoLogin", Op.CO, "a%b_c", case_exact=False), dialect)
    assert "LIKE" in sql
    assert "ESCAPE '/'" in sql
    assert "a/%b/_c" in params.values()


def test_case_exact_like_on_sqlite_adds_a_case_sensitive_test() -> None:
    sql, _ = _sql(Compare("ContosoLogin", Op.SW, "Ab", case_exact=True), "sqlite")
    assert "LIKE" in sql
    assert "substr(" in sql


def test_case_exact_like_on_mysql_uses_a_binary_collation() -> None:
    sql, _ = _sql(Compare("ContosoLogin", Op.EW, "Ab", case_exact=True), "mysql")
    assert "COLLATE utf8mb4_bin) LIKE concat(" in sql


def test_present_on_a_string_excludes_empty_strings() -> None:
    sql, params = _sql(Present("Email"), "postgresql")
    assert sql == '"Employees"."Email" IS NOT NULL AND "Employees"."Email" != %(param_1)s'
    assert params == {"param_1": ""}
    assert _sql(Present("Active"), "postgresql")[0] == '"Employees"."Active" IS NOT NULL'


@pytest.mark.parametrize("dialect", DIALECTS)
def test_booleans_are_bound_with_the_column_type(dialect: str) -> None:
    sql, params = _sql(Compare("Active", Op.EQ, "false"), dialect)
    assert "true" not in sql.lower()
    assert list(params.values()) == [False]


def test_any_on_a_complex_attribute_is_a_correlated_exists() -> None:
    sql, _ = _sql(Any_("phoneNumbers", Compare("type", Op.EQ, "work")), "postgresql")
    assert sql == (
        'EXISTS (SELECT "EmployeePhoneNumbers"."EmployeeGUID" FROM "EmployeePhoneNumbers" '
        'WHERE "EmployeePhoneNumbers"."EmployeeGUID" = "Employees"."InternalGUID" '
        'AND "EmployeePhoneNumbers"."Type" = %(param_1)s)'
    )


def test_any_on_members_is_an_exists_over_the_member_table() -> None:
    sql, params = _sql(Not(Any_(MEMBERS, Compare("value", Op.EQ, "u1"))), "mysql", _groups())
    assert sql.startswith(
        "NOT (EXISTS (SELECT `GroupMembers`.`GroupGUID` FROM `GroupMembers` "
        "WHERE `GroupMembers`.`GroupGUID` = `Groups`.`GroupGUID` AND `GroupMembers`.`MemberGUID` = %s"
    )
    assert set(params.values()) == {"u1"}


def test_const_compiles_to_true_or_false() -> None:
    assert _sql(Const(True), "postgresql")[0] == "true"
    assert _sql(Not(Const(True)), "postgresql")[0] == "false"
    assert _sql(Or(()), "postgresql")[0] == "false"


@pytest.mark.parametrize(
    "filter_",
    [
        Compare("Nope", Op.EQ, "x"),
        Compare("phoneNumbers", Op.EQ, "x"),
        Any_("phoneNumbers", Any_(MEMBERS, Const(True))),
    ],
)
def test_unknown_or_misused_attributes_raise_configuration_error(filter_: Filter) -> None:
    with pytest.raises(ConfigurationError):
        _sql(filter_, "postgresql")


def test_a_value_that_does_not_fit_the_column_raises_constraint_violation() -> None:
    with pytest.raises(ConstraintViolation):
        _sql(Compare("Active", Op.EQ, "maybe"), "postgresql")


def test_sort_puts_missing_values_last_and_ends_with_the_anchor() -> None:
    order = compile_sort(Sort("FirstName"), _users(), "postgresql")
    rendered = [str(o.compile(dialect=DIALECTS["postgresql"])) for o in order]
    assert rendered == [
        '"Employees"."FirstName" IS NULL ASC',
        'lower("Employees"."FirstName") ASC',
        '"Employees"."InternalGUID" ASC',
    ]
    assert [str(o.compile(dialect=DIALECTS["mysql"])) for o in compile_sort(None, _users(), "mysql")] == [
        "`Employees`.`InternalGUID` ASC"
    ]


def _stamped() -> ObjectTables:
    """The demo users with `timestamps: {created: CreatedAt, modified: ModifiedAt}` (as `tables.reflect` builds it)."""
    users = _users()
    table = users.table
    return ObjectTables(
        object_type="User",
        table=table,
        anchor=users.anchor,
        generate=users.generate,
        columns={**users.columns, "ModifiedAt": table.c.ModifiedAt},
        types=users.types,
        case_exact={},
        created=table.c.CreatedAt,
        modified=table.c.ModifiedAt,
    )


@pytest.mark.parametrize("dialect", DIALECTS)
def test_meta_keys_compare_and_sort_on_the_timestamp_columns(dialect: str) -> None:
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    sql, params = _sql(Compare(META_MODIFIED, Op.GT, when), dialect, _stamped())
    assert '"ModifiedAt" >' in sql.replace("`", '"')
    assert len(params) == 1
    assert "IS NOT NULL" in _sql(Present(META_CREATED), dialect, _stamped())[0]
    order = compile_sort(Sort(META_CREATED, descending=True), _stamped(), dialect)
    assert "CreatedAt" in " ".join(str(o) for o in order)


def test_meta_keys_without_timestamp_columns_are_refused() -> None:
    with pytest.raises(ConfigurationError):
        _sql(Compare(META_MODIFIED, Op.GT, datetime(2026, 1, 1, tzinfo=UTC)), "sqlite", _groups())
    with pytest.raises(ConfigurationError):
        compile_sort(Sort(META_CREATED), _groups(), "sqlite")

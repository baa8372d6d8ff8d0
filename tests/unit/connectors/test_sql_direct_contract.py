"""Contract with SQLAlchemy for the direct PostgreSQL path (`connectors.sql.direct`).

The direct path compiles with SQLAlchemy and executes with asyncpg, so it must convert values exactly as
SQLAlchemy's own execution would. It reads that from public API only; this test compares it, for every kept
statement shape and for value types that convert (JSON, Enum, Numeric, UUID, ARRAY, a TypeDecorator), with the
private bookkeeping SQLAlchemy's execution really uses (`SQLCompiler._bind_processors`, `_result_columns`). It is
the one place allowed to read them: when an upgrade changes either side, it fails here, saying what changed,
instead of the connector converting values wrongly at run time.
"""

from __future__ import annotations

import enum
import uuid
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy
from sqlalchemy import JSON, Column, Enum, MetaData, Numeric, String, Table, TypeDecorator, Uuid, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg

from ecmahost.config.model import AnchorGeneration
from ecmahost.connectors.sql import statements
from ecmahost.connectors.sql.direct import Plan, bind_processors, result_processors, returned_columns
from ecmahost.connectors.sql.statements import ANCHOR, SET, VALUE
from ecmahost.connectors.sql.tables import ChildSpec, ObjectTables

DIALECT = PGDialect_asyncpg()
NUMERIC_OID = 1700
UPGRADE = (
    f"SQLAlchemy {sqlalchemy.__version__} no longer agrees with the public API the direct path reads "
    "(connectors/sql/direct.py: Plan.of, bind_processors, returned_columns)"
)


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Upper(TypeDecorator[str]):
    """A type that converts both ways, as a custom column type in a user's table might."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        return None if value is None else str(value).upper()

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        return None if value is None else str(value).lower()


def _tables() -> ObjectTables:
    metadata = MetaData()
    things = Table(
        "Things",
        metadata,
        Column("Id", Uuid, primary_key=True),
        Column("Given Name", String(64)),  # a name SQLAlchemy escapes in its bind names
        Column("Data", JSON),
        Column("Colour", Enum(Colour)),
        Column("Price", Numeric(10, 2)),
        Column("Code", Upper(16)),
        Column("Tags", postgresql.ARRAY(String)),
    )
    notes = Table(
        "ThingNotes",
        metadata,
        Column("Id", Uuid, primary_key=True),
        Column("ThingId", Uuid),
        Column("Text", Upper(64)),
    )
    names = ["Id", "Given Name", "Data", "Colour", "Price", "Code", "Tags"]
    tables = ObjectTables(
        object_type="Thing",
        table=things,
        anchor=things.c.Id,
        generate=AnchorGeneration.UUID,
        columns={name: things.c[name] for name in names},
        types={},
        case_exact={},
    )
    tables.children["Notes"] = ChildSpec("Notes", notes, notes.c.ThingId, {"value": notes.c.Text})
    return tables


def _shapes() -> list[tuple[str, Any, dict[str, Any]]]:
    tables = _tables()
    names = tuple(tables.columns)
    child = tables.children["Notes"]
    anchor = uuid.uuid4()
    row = {"Id": anchor, "Given Name": "Ann", "Data": {"a": 1}, "Colour": Colour.RED, "Price": Decimal("1.50")}
    row |= {"Code": "ab", "Tags": ["x"]}
    return [
        ("by_anchor", statements.by_anchor(tables, names), {ANCHOR: anchor}),
        ("by_anchor joined", statements.by_anchor(tables, names, child), {ANCHOR: anchor}),
        ("by_eq", statements.by_eq(tables, names, "Code", True, "postgresql", 50), {VALUE: "ab"}),
        ("by_eq joined", statements.by_eq(tables, names, "Code", False, "postgresql", 50, child), {VALUE: "ab"}),
        ("children_of_one", statements.children_of_one(tables, child), {statements.KEY: anchor}),
        ("insert_returning", statements.insert_returning(tables, names), row),
        ("update_by_anchor", statements.update_by_anchor(tables), {"Given Name": "Bo", "Code": "cd", ANCHOR: anchor}),
        (
            "update_returning",
            statements.update_returning(tables, ("Code", "Given Name"), names, child),
            {SET + "Code": "cd", SET + "Given Name": "Bo", ANCHOR: anchor},
        ),
        ("delete_by_anchor", statements.delete_by_anchor(tables), {ANCHOR: anchor}),
        ("one-off IN list", select(tables.anchor).where(tables.anchor.in_([anchor, uuid.uuid4()])), {}),
    ]


SHAPES = _shapes()


@pytest.mark.parametrize(("name", "statement", "parameters"), SHAPES, ids=[shape[0] for shape in SHAPES])
def test_the_plan_converts_values_as_sqlalchemys_execution_does(
    name: str, statement: Any, parameters: dict[str, Any]
) -> None:
    plan = Plan.of(statement, DIALECT, list(parameters))
    compiled: Any = plan.compiled

    theirs = {key for key, process in compiled._bind_processors.items() if process is not None}
    ours = {key for key, _ in bind_processors(compiled, DIALECT)}
    assert ours == theirs, f"{UPGRADE}: {name}: bind converters for {sorted(ours)}, SQLAlchemy's for {sorted(theirs)}"

    rendered = [repr(entry.type) for entry in compiled._result_columns]
    exported = [repr(column.type) for column in returned_columns(statement)]
    assert exported == rendered, f"{UPGRADE}: {name}: exported_columns {exported}, rendered result columns {rendered}"
    # the database's type codes, as `Plan.describe` reads them: NUMERIC (1700) stands in for every column here
    coltype = None if plan.undescribed is None else NUMERIC_OID
    results = (
        plan.results
        if plan.undescribed is None
        else result_processors(plan.undescribed, DIALECT, [NUMERIC_OID] * len(exported))
    )
    their_results = [
        entry.type._cached_result_processor(DIALECT, coltype) is not None for entry in compiled._result_columns
    ]
    our_results = [p is not None for p in results] if results is not None else [False] * len(exported)
    assert our_results == their_results, f"{UPGRADE}: {name}: result converters differ"

    arguments = plan.arguments(parameters)  # every $n has its value, found under its unescaped name
    assert len(arguments) == len(plan.order) == plan.sql.count("$") - plan.sql.count("$$")


def test_a_custom_type_converts_both_ways_on_the_direct_path() -> None:
    tables = _tables()
    plan = Plan.of(statements.update_by_anchor(tables), DIALECT, ["Code", ANCHOR])
    assert plan.arguments({"Code": "ab", ANCHOR: "x"})[0] == "AB"
    read = Plan.of(statements.by_anchor(tables, ("Id", "Code")), DIALECT, [ANCHOR])
    assert read.rows([("id", "AB")]) == [("id", "ab")]  # type: ignore[list-item]


def test_a_column_name_sqlalchemy_escapes_is_bound_by_its_own_name() -> None:
    plan = Plan.of(statements.update_by_anchor(_tables()), DIALECT, ["Given Name", ANCHOR])
    assert plan.arguments({"Given Name": "Ann", ANCHOR: "x"}) == ["Ann", "x"]


def test_a_result_width_other_than_the_exported_columns_fails_loudly() -> None:
    read = Plan.of(statements.by_anchor(_tables(), ("Id", "Code")), DIALECT, [ANCHOR])
    with pytest.raises(RuntimeError, match="no longer matches the rendered columns"):
        read.rows([("id", "AB", "extra")])  # type: ignore[list-item]

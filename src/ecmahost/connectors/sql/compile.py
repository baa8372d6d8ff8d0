"""Compile a target filter (`connectors.query.Filter`) and a sort into SQLAlchemy Core expressions.

Every value becomes a bound parameter typed by its column. SCIM semantics are kept with SQL's three-valued
logic: negations are pushed down to the comparisons (De Morgan), so `ne` and `not (...)` match rows whose column
is NULL. Complex attributes and `MEMBERS` compile to `EXISTS` over their child table, so one statement answers a
filter and paging stays exact. `META_CREATED` / `META_MODIFIED` name the `timestamps:` columns. Case-insensitive
comparisons use `lower()` on PostgreSQL and SQLite and the (case-insensitive) default collation on MariaDB/MySQL,
where case-exact ones use a binary collation.

It does not run statements and does not know SCIM attribute names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column as SaColumn
from sqlalchemy import ColumnElement, and_, false, func, literal, not_, or_, select, true

from ecmahost.connectors.errors import ConfigurationError
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
from ecmahost.connectors.sql.tables import ObjectTables
from ecmahost.connectors.sql.values import is_string, to_db

Column = SaColumn[Any]
Expression = ColumnElement[bool]
_ORDERING = {Op.GT: "__gt__", Op.GE: "__ge__", Op.LT: "__lt__", Op.LE: "__le__"}
_LIKE = {Op.CO: "contains", Op.SW: "startswith", Op.EW: "endswith"}


@dataclass(frozen=True, slots=True)
class _Scope:
    """The attributes a (sub-)filter may name, and what `Any_` and `Present` on a multi-valued one mean."""

    columns: dict[str, Column]
    parent: ObjectTables | None
    """the object type whose children and members this scope may reach; None inside `Any_`"""
    dialect: str


def compile_filter(filter_: Filter, tables: ObjectTables, dialect: str) -> Expression:
    """A WHERE clause over `tables.table` for `filter_`; `dialect` is SQLAlchemy's backend name."""
    return _compile(filter_, _Scope(tables.columns, tables, dialect), negate=False)


def compile_sort(sort: Sort | None, tables: ObjectTables, dialect: str) -> list[Any]:
    """ORDER BY for `sort`, always ending with the anchor so pages are stable. Missing values sort last
    ascending (first descending); strings sort case-insensitively unless the attribute is case-exact."""
    anchor = tables.anchor.asc()
    if sort is None:
        return [anchor]
    column = tables.columns.get(sort.attribute)
    if column is None:
        column = _stamp(sort.attribute, tables)
    if column is None:
        raise ConfigurationError(f"cannot sort {tables.object_type} by {sort.attribute!r}: not a column")
    key: Any = column
    if is_string(column) and not tables.case_exact.get(sort.attribute, False) and dialect != "mysql":
        key = func.lower(column)
    missing = column.is_(None)
    if sort.descending:
        return [missing.desc(), key.desc(), anchor]
    return [missing.asc(), key.asc(), anchor]


def _compile(filter_: Filter, scope: _Scope, negate: bool) -> Expression:
    match filter_:
        case Compare():
            return _compare(filter_, scope, negate)
        case Present(attribute):
            return _present(attribute, scope, negate)
        case And(items) | Or(items):
            conjunction = isinstance(filter_, And) != negate
            if not items:
                return true() if conjunction else false()
            parts = [_compile(item, scope, negate) for item in items]
            return and_(*parts) if conjunction else or_(*parts)
        case Not(item):
            return _compile(item, scope, not negate)
        case Any_(attribute, item):
            return _exists(attribute, scope, lambda child: _compile(item, child, False), negate)
        case Const(value):
            return true() if value != negate else false()
    raise ConfigurationError(f"unsupported filter node {type(filter_).__name__}")


def _stamp(attribute: str, tables: ObjectTables) -> Column | None:
    """The `timestamps:` column a reserved `meta` key names (None when the object type has none)."""
    if attribute == META_CREATED:
        return tables.created
    return tables.modified if attribute == META_MODIFIED else None


def _column(attribute: str, scope: _Scope) -> Column:
    column = scope.columns.get(attribute)
    if column is not None:
        return column
    stamp = _stamp(attribute, scope.parent) if scope.parent is not None else None
    if stamp is not None:
        return stamp
    multi = scope.parent is not None and (attribute in scope.parent.children or attribute == MEMBERS)
    if multi:
        raise ConfigurationError(f"{attribute!r} is multi-valued: filter its elements with Any_")
    raise ConfigurationError(f"cannot filter on {attribute!r}: it is not a configured attribute")


def _compare(compare: Compare, scope: _Scope, negate: bool) -> Expression:
    column = _column(compare.attribute, scope)
    if compare.op is Op.NE:
        negate = not negate
    if compare.value is None:
        present = column.is_(None) if compare.op in (Op.EQ, Op.NE) else false()
        return not_(present) if negate else present
    positive = _positive(column, compare, scope.dialect)
    return or_(not_(positive), column.is_(None)) if negate else positive


def _positive(column: Column, compare: Compare, dialect: str) -> Expression:
    string = is_string(column)
    folded = string and not compare.case_exact
    if compare.op in _LIKE:
        return _like(column, compare, dialect, folded)
    method = "__eq__" if compare.op in (Op.EQ, Op.NE) else _ORDERING[compare.op]
    bound = literal(to_db(column, compare.value), column.type)
    return _comparison(column, method, bound, compare.case_exact, dialect)


def eq_template(column: Column, bound: ColumnElement[Any], case_exact: bool, dialect: str) -> Expression:
    """`column` equals `bound` (a bind parameter), with the same case rules as a filter's `eq`."""
    return _comparison(column, "__eq__", bound, case_exact, dialect)


def _comparison(column: Column, method: str, bound: ColumnElement[Any], case_exact: bool, dialect: str) -> Expression:
    string = is_string(column)
    if string and not case_exact and dialect != "mysql":
        return getattr(func.lower(column), method)(func.lower(bound))
    expression: Expression = getattr(column, method)(bound)
    if string and case_exact and dialect == "mysql":
        exact = getattr(column.collate(_binary_collation(column)), method)(bound)
        return and_(expression, exact) if method == "__eq__" else exact
    return expression


def _like(column: Column, compare: Compare, dialect: str, folded: bool) -> Expression:
    if not is_string(column):
        raise ConfigurationError(f"{compare.op.value!r} needs a string attribute; {column.name!r} is not")
    value = str(compare.value)
    method = _LIKE[compare.op]
    if folded and dialect != "mysql":
        return getattr(column, f"i{method}")(value, autoescape=True)
    if not folded and dialect == "mysql":
        return getattr(column.collate(_binary_collation(column)), method)(value, autoescape=True)
    like = getattr(column, method)(value, autoescape=True)
    if not folded and dialect == "sqlite":
        return and_(like, _sqlite_exact(column, compare.op, value))
    return like


def _sqlite_exact(column: Column, op: Op, value: str) -> Expression:
    """SQLite's LIKE ignores ASCII case; this second test makes co/sw/ew case-exact there."""
    bound = literal(value, column.type)
    if op is Op.CO:
        return func.instr(column, bound) > 0
    if op is Op.SW:
        return func.substr(column, 1, func.length(bound)) == bound
    return func.substr(column, func.length(column) - func.length(bound) + 1) == bound


def _binary_collation(column: Column) -> str:
    charset = getattr(column.type, "charset", None) or column.table.dialect_options["mysql"].get("default charset")
    return f"{charset or 'utf8mb4'}_bin"


def _present(attribute: str, scope: _Scope, negate: bool) -> Expression:
    if attribute not in scope.columns and scope.parent is not None and _stamp(attribute, scope.parent) is None:
        return _exists(attribute, scope, lambda _child: true(), negate)
    column = _column(attribute, scope)
    if is_string(column):
        positive = and_(column.is_not(None), column != literal("", column.type))
        negative = or_(column.is_(None), column == literal("", column.type))
    else:
        positive, negative = column.is_not(None), column.is_(None)
    return negative if negate else positive


def _exists(attribute: str, scope: _Scope, where: Any, negate: bool) -> Expression:
    parent = scope.parent
    if parent is None:
        raise ConfigurationError(f"cannot nest a filter on {attribute!r} inside another multi-valued attribute")
    if attribute == MEMBERS and parent.members is not None:
        members = parent.members
        child = _Scope({"value": members.member_key}, None, scope.dialect)
        key = members.group_key
    elif attribute in parent.children:
        spec = parent.children[attribute]
        child = _Scope(spec.columns, None, scope.dialect)
        key = spec.key
    else:
        raise ConfigurationError(f"cannot filter on {attribute!r}: it is not a configured attribute")
    found = select(key).where(key == parent.anchor, where(child)).correlate(parent.table).exists()
    return not_(found) if negate else found

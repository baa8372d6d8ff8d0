"""SQL child tables in the wizard: a complex multi-valued attribute (phone numbers, addresses) whose elements are
rows of another table. One answer line per attribute::

    PhoneNumbers = EmployeePhoneNumbers(EmployeeGUID): value=Value, type=Type, primary=IsPrimary

reads "attribute PhoneNumbers is stored in table EmployeePhoneNumbers, whose column EmployeeGUID holds the
parent's anchor; sub-attribute `value` is column Value...". `parse_child_tables` turns the lines into the
`child_tables` block of the connector file, `render_child_tables` does the reverse, and `select_child_attributes`
selects each such attribute as `complex`, multi-valued, with its sub-attributes (keeping its SCIM mapping, e.g.
`phoneNumbers`). It touches no database: whether the table and columns exist is checked when the connector
reflects its tables.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ecmahost.config.model import AttributeType
from ecmahost.wizard.draft import ObjectTypeDraft, SelectedAttribute
from ecmahost.wizard.questions import AnswerError

_LINE = re.compile(r"^\s*([^=\s]+)\s*=\s*([^()\s]+)\s*\(\s*([^()\s]+)\s*\)\s*:\s*(.+)$")
EXAMPLE = "PhoneNumbers = EmployeePhoneNumbers(EmployeeGUID): value=Value, type=Type, primary=IsPrimary"


def parse_child_tables(text: str) -> dict[str, dict[str, Any]]:
    """Answer lines (or `;`-separated on one line) -> {attribute: {table, key, columns}}."""
    tables: dict[str, dict[str, Any]] = {}
    for line in text.splitlines() if "\n" in text else text.split(";"):
        if not line.strip():
            continue
        match = _LINE.match(line)
        if match is None:
            raise AnswerError(f"child table {line.strip()!r}: write {EXAMPLE}")
        attribute, table, key, pairs = match.groups()
        columns: dict[str, str] = {}
        for pair in pairs.split(","):
            sub, sep, column = pair.partition("=")
            if not sep or not sub.strip() or not column.strip():
                raise AnswerError(f"child table {attribute}: {pair.strip()!r} is not SUB_ATTRIBUTE=Column")
            columns[sub.strip()] = column.strip()
        tables[attribute] = {"table": table, "key": key, "columns": columns}
    return tables


def render_child_tables(tables: Mapping[str, Any]) -> str:
    """The `child_tables` block as answer lines (the reverse of `parse_child_tables`)."""
    lines = []
    for attribute, spec in tables.items():
        if not isinstance(spec, Mapping):
            continue
        columns = ", ".join(f"{sub}={column}" for sub, column in (spec.get("columns") or {}).items())
        lines.append(f"{attribute} = {spec.get('table', '')}({spec.get('key', '')}): {columns}")
    return "\n".join(lines)


def select_child_attributes(object_type: ObjectTypeDraft, previous: Mapping[str, Any] | None = None) -> None:
    """Select each child-table attribute as complex and multi-valued with the table's sub-attributes; an
    attribute whose child table was removed is unselected."""
    tables = object_type.target.get("child_tables") or {}
    for attribute in previous or {}:
        if attribute not in tables:
            object_type.attributes.pop(attribute, None)
    for attribute, spec in tables.items():
        selected = object_type.attributes.setdefault(attribute, SelectedAttribute())
        selected.type = AttributeType.COMPLEX
        selected.multi_valued = True
        selected.extra["sub_attributes"] = list((spec.get("columns") or {}).keys())

"""What a connector is asked, in target terms: a filter over target attribute names, a page, a change set.

The mapping layer builds these from SCIM requests; a connector translates them into its own query language
(parameterized SQL, escaped LDAP filters, ...) and never has to know SCIM.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

Scalar = str | int | float | bool | datetime | None
Record = dict[str, Any]
"""A target object: target attribute name -> value. A complex multi-valued attribute (a child table) is a list of
dicts keyed by sub-attribute; a group's members are the list of member anchors under `MEMBERS`."""

MEMBERS = "members"
META_CREATED = "__meta_created__"
META_MODIFIED = "__meta_modified__"
"""Reserved record keys a connector may fill with the object's creation and modification times (SCIM `meta`)."""


class Op(StrEnum):
    EQ = "eq"
    NE = "ne"
    CO = "co"
    SW = "sw"
    EW = "ew"
    GT = "gt"
    GE = "ge"
    LT = "lt"
    LE = "le"


@dataclass(frozen=True, slots=True)
class Compare:
    """`attribute op value`. `case_exact=False` asks for a case-insensitive string comparison."""

    attribute: str
    op: Op
    value: Scalar
    case_exact: bool = True


@dataclass(frozen=True, slots=True)
class Present:
    attribute: str


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Filter, ...]


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Filter, ...]


@dataclass(frozen=True, slots=True)
class Not:
    item: Filter


@dataclass(frozen=True, slots=True)
class Any_:
    """Some element of the complex multi-valued `attribute` (or of `MEMBERS`, whose only field is `value`)
    matches `item`, whose attribute names are the element's sub-attributes."""

    attribute: str
    item: Filter


@dataclass(frozen=True, slots=True)
class Const:
    """A filter whose truth is known without the target: for example `ne` on an attribute known to be absent."""

    value: bool


Filter = Compare | Present | And | Or | Not | Any_ | Const


@dataclass(frozen=True, slots=True)
class Sort:
    attribute: str
    descending: bool = False


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """A page of objects matching `filter`.

    `attributes` names what to return (None: every configured single-valued and complex attribute, but never
    `MEMBERS` unless named, because a group can have 50,000 of them). `offset` is 0-based. `limit=0` asks only
    for the total count.
    """

    filter: Filter | None = None
    attributes: frozenset[str] | None = None
    offset: int = 0
    limit: int | None = None
    sort: Sort | None = None


@dataclass(slots=True)
class SearchResult:
    total: int
    records: list[Record]


@dataclass(slots=True)
class Change:
    """What an update writes, in one transaction.

    `set`: single-valued attributes to write (None clears). `replace`: complex multi-valued attributes whose
    elements are replaced whole. `add_members` / `remove_members`: member anchors (adding one already there and
    removing one absent are no-ops, so concurrent membership changes never lose each other's work).
    """

    set: dict[str, Any] = field(default_factory=dict)
    replace: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    add_members: list[str] = field(default_factory=list)
    remove_members: list[str] = field(default_factory=list)
    clear_members: bool = False
    """remove every member first (a SCIM `replace` or path-less `remove` of members), then apply the adds"""

    def __bool__(self) -> bool:
        return bool(self.set or self.replace or self.add_members or self.remove_members or self.clear_members)

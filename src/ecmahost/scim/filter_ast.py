"""The typed AST of SCIM filters (RFC 7644 §3.4.2.2) and PATCH paths (§3.5.2), in SCIM attribute terms.

Attribute names are kept as written; comparisons of names are case-insensitive and happen in the mapping layer.
`emails[type eq "work"].value eq "x"` is normalized by the parser into
`ValuePath(emails, And(type eq "work", value eq "x"))`: "some email is of type work and has value x".
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

Value = str | int | float | bool | None


class CompareOp(StrEnum):
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
class AttrPath:
    """`[urn:]attr[.sub]`; `urn` is the schema URN without the trailing colon, or None."""

    attr: str
    sub: str | None = None
    urn: str | None = None

    def __str__(self) -> str:
        text = f"{self.urn}:{self.attr}" if self.urn else self.attr
        return f"{text}.{self.sub}" if self.sub else text


@dataclass(frozen=True, slots=True)
class Compare:
    path: AttrPath
    op: CompareOp
    value: Value


@dataclass(frozen=True, slots=True)
class Present:
    path: AttrPath


@dataclass(frozen=True, slots=True)
class And:
    left: Filter
    right: Filter


@dataclass(frozen=True, slots=True)
class Or:
    left: Filter
    right: Filter


@dataclass(frozen=True, slots=True)
class Not:
    expr: Filter


@dataclass(frozen=True, slots=True)
class ValuePath:
    """`attr[filter]`: some value of the multi-valued `attr` matches `filter` (whose paths name sub-attributes)."""

    path: AttrPath
    filter: Filter


Filter = Compare | Present | And | Or | Not | ValuePath


@dataclass(frozen=True, slots=True)
class PatchPath:
    """A PATCH `path`: `attrPath`, or `valuePath [ "." subAttr ]` such as `emails[type eq "work"].value`."""

    attr: AttrPath
    value_filter: Filter | None = None
    sub: str | None = None

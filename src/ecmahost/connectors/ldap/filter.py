"""Compile a target filter (`connectors.query.Filter`) into an LDAP filter string (RFC 4515).

Every assertion value goes through `ldap3.utils.conv.escape_filter_chars` (or `escape_bytes` for binary
anchors); attribute names come from the connector file and must look like LDAP attribute descriptions.

    eq  (a=v)        ne  (!(a=v))        co/sw/ew  (a=*v*) (a=v*) (a=*v)     pr  (a=*)
    ge  (a>=v)       le  (a<=v)          gt  (&(a>=v)(!(a=v)))   lt  (&(a<=v)(!(a=v)))
    eq null  (!(a=*))       Const  (objectClass=*) / (!(objectClass=*))
    Any_ on members  (member=<member DN or value>), from anchors the caller resolved beforehand

`META_CREATED` / `META_MODIFIED` are `createTimestamp` / `modifyTimestamp` (generalized time, ordered by the
server). LDAP's `!` of an absent attribute is true, which is SCIM's `ne` / `not` semantics. Case sensitivity is the
server's matching rule for the attribute (uid and cn ignore case; `case_exact` is not honoured). It does no I/O
and knows nothing about SCIM names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from ldap3.utils.conv import escape_bytes, escape_filter_chars

from ecmahost.config.model import AttributeType
from ecmahost.connectors.errors import ConfigurationError
from ecmahost.connectors.ldap.spec import STAMPS
from ecmahost.connectors.ldap.values import DN_ATTRIBUTE, anchor_assertion, to_ldap
from ecmahost.connectors.query import MEMBERS, And, Any_, Compare, Const, Filter, Not, Op, Or, Present, Scalar

MATCH_ALL = "(objectClass=*)"
MATCH_NONE = "(!(objectClass=*))"
_NAME = re.compile(r"^([A-Za-z][A-Za-z0-9-]*|[0-9]+(\.[0-9]+)+)(;[A-Za-z0-9-]+)*$")
_SUBSTRINGS = {Op.CO: "*{}*", Op.SW: "{}*", Op.EW: "*{}"}


@dataclass(frozen=True, slots=True)
class FilterScope:
    """What a filter over one object type may name, and how special attributes are spelled."""

    types: Mapping[str, AttributeType]
    """configured attribute -> type (the anchor included, `-dn-` excluded)"""
    anchor: str
    dn_attribute: str = "entryDN"
    member_attribute: str | None = None
    member_values: Mapping[str, str] = field(default_factory=dict)
    """member anchor -> the value stored in `member_attribute` (its DN, or e.g. its uid for memberUid)"""
    empty_member: str | None = None
    hidden: frozenset[str] = frozenset()
    """attributes that can never be filtered on (the password attribute), lower case"""


def compile_filter(filter_: Filter, scope: FilterScope) -> str:
    return _compile(filter_, scope)


def object_filter(object_classes: Iterable[str], extra: str | None, inner: str | None = None) -> str:
    """`(&(objectClass=c1)(objectClass=c2)<extra><inner>)`: the entries of one object type."""
    parts = [f"(objectClass={escape_filter_chars(name)})" for name in object_classes]
    if extra:
        parts.append(extra)
    if inner and inner != MATCH_ALL:
        parts.append(inner)
    return parts[0] if len(parts) == 1 else f"(&{''.join(parts)})"


def member_anchors(filter_: Filter | None) -> set[str]:
    """The member anchors an `Any_` on MEMBERS names, to resolve before compiling."""
    return set(_member_anchors(filter_)) if filter_ is not None else set()


def _member_anchors(filter_: Filter) -> Iterator[str]:
    match filter_:
        case Any_(attribute, item) if attribute == MEMBERS:
            yield from _values_in(item)
        case And(items) | Or(items):
            for item in items:
                yield from _member_anchors(item)
        case Not(item):
            yield from _member_anchors(item)


def _values_in(filter_: Filter) -> Iterator[str]:
    match filter_:
        case Compare(value=value) if value is not None:
            yield str(value)
        case And(items) | Or(items):
            for item in items:
                yield from _values_in(item)
        case Not(item):
            yield from _values_in(item)


def _compile(filter_: Filter, scope: FilterScope) -> str:
    match filter_:
        case Compare():
            return _compare(filter_, scope)
        case Present(attribute):
            if attribute == MEMBERS:
                return _members_present(scope)
            return f"({_name(attribute, scope)}=*)"
        case And(items):
            return _join("&", [_compile(item, scope) for item in items], MATCH_ALL)
        case Or(items):
            return _join("|", [_compile(item, scope) for item in items], MATCH_NONE)
        case Not(item):
            return _negate(_compile(item, scope))
        case Any_(attribute, item):
            if attribute == MEMBERS:
                return _members(item, scope)
            return _compile(_rename_value(item, attribute), scope)
        case Const(value):
            return MATCH_ALL if value else MATCH_NONE
    raise ConfigurationError(f"unsupported filter node {type(filter_).__name__}")


def _join(operator: str, parts: list[str], empty: str) -> str:
    if not parts:
        return empty
    return parts[0] if len(parts) == 1 else f"({operator}{''.join(parts)})"


def _negate(compiled: str) -> str:
    if compiled == MATCH_ALL:
        return MATCH_NONE
    if compiled == MATCH_NONE:
        return MATCH_ALL
    return f"(!{compiled})"


def _name(attribute: str, scope: FilterScope) -> str:
    if attribute == DN_ATTRIBUTE:
        return scope.dn_attribute
    if attribute in STAMPS:
        return STAMPS[attribute]
    if attribute.lower() in scope.hidden:
        raise ConfigurationError(f"cannot filter on {attribute!r}: it is write-only")
    if attribute not in scope.types and attribute != scope.anchor:
        raise ConfigurationError(f"cannot filter on {attribute!r}: it is not a configured attribute")
    if not _NAME.match(attribute):
        raise ConfigurationError(f"{attribute!r} is not an LDAP attribute description")
    return attribute


def _assertion(attribute: str, value: Scalar, scope: FilterScope) -> str:
    if attribute == scope.anchor and attribute != DN_ATTRIBUTE:
        anchor = anchor_assertion(attribute, str(value))
        if anchor is None:
            return ""
        return escape_bytes(anchor) if isinstance(anchor, bytes) else escape_filter_chars(anchor)
    kind = AttributeType.DATETIME if attribute in STAMPS else scope.types.get(attribute, AttributeType.STRING)
    ldap_value = to_ldap(attribute, kind, value)
    if isinstance(ldap_value, bytes):
        return escape_bytes(ldap_value)
    return escape_filter_chars(ldap_value)


def _compare(compare: Compare, scope: FilterScope) -> str:
    name = _name(compare.attribute, scope)
    op, value = compare.op, compare.value
    if value is None:
        if op is Op.EQ:
            return f"(!({name}=*))"
        return f"({name}=*)" if op is Op.NE else MATCH_NONE
    if compare.attribute == DN_ATTRIBUTE and op not in (Op.EQ, Op.NE):
        raise ConfigurationError(f"{DN_ATTRIBUTE} can only be compared with eq and ne")
    escaped = _assertion(compare.attribute, value, scope)
    if escaped == "":
        return MATCH_ALL if op is Op.NE else MATCH_NONE
    if op in _SUBSTRINGS:
        return f"({name}={_SUBSTRINGS[op].format(escaped)})"
    equal = f"({name}={escaped})"
    match op:
        case Op.EQ:
            return equal
        case Op.NE:
            return f"(!{equal})"
        case Op.GE:
            return f"({name}>={escaped})"
        case Op.LE:
            return f"({name}<={escaped})"
        case Op.GT:
            return f"(&({name}>={escaped})(!{equal}))"
        case Op.LT:
            return f"(&({name}<={escaped})(!{equal}))"
    raise ConfigurationError(f"unsupported operator {op}")


def _rename_value(filter_: Filter, attribute: str) -> Filter:
    """An element filter on a multi-valued simple attribute: its `value` is the attribute itself (LDAP matches
    any of the values)."""
    match filter_:
        case Compare(name, op, value, case_exact) if name == "value":
            return Compare(attribute, op, value, case_exact)
        case Present(name) if name == "value":
            return Present(attribute)
        case And(items):
            return And(tuple(_rename_value(item, attribute) for item in items))
        case Or(items):
            return Or(tuple(_rename_value(item, attribute) for item in items))
        case Not(item):
            return Not(_rename_value(item, attribute))
        case Const():
            return filter_
    raise ConfigurationError(f"cannot filter on sub-attributes of {attribute!r}: LDAP attributes are not complex")


def _members(filter_: Filter, scope: FilterScope) -> str:
    attribute = _member_attribute(scope)
    match filter_:
        case Compare("value", Op.EQ, value) if value is not None:
            member = scope.member_values.get(str(value))
            return MATCH_NONE if member is None else f"({attribute}={escape_filter_chars(member)})"
        case Present("value"):
            return _members_present(scope)
        case Or(items):
            return _join("|", [_members(item, scope) for item in items], MATCH_NONE)
        case And(items) if len(items) == 1:
            return _members(items[0], scope)
        case Const(value):
            return MATCH_ALL if value else MATCH_NONE
    raise ConfigurationError("members can only be filtered with `value eq <id>` (or several joined with `or`)")


def _members_present(scope: FilterScope) -> str:
    attribute = _member_attribute(scope)
    if scope.empty_member is None:
        return f"({attribute}=*)"
    return f"(&({attribute}=*)(!({attribute}={escape_filter_chars(scope.empty_member)})))"


def _member_attribute(scope: FilterScope) -> str:
    if scope.member_attribute is None:
        raise ConfigurationError("this object type has no members: set `member_attribute`")
    return scope.member_attribute

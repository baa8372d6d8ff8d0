"""Read objects: entries -> records, one object by anchor, and searches with exact totals, sorting and paging.

A search runs in two passes. Pass one pages (Simple Paged Results, `page_size` entries a round trip) through every
matching entry, asking only for the anchor and the sort attribute: that gives the exact total and the order.
Pass two reads the full attributes of the requested page only (one `(|(anchor=..)..)` search per 100 entries,
or base reads for `-dn-` anchors). The order is the sort attribute (strings without case unless `case_exact`,
missing values last), then the anchor, so pages are stable. Without server-side sorting and VLV, which most
directories lack by default, listing page N of a large directory costs a scan of the matching anchors: about
50 bytes per entry, a few hundred milliseconds per 100,000 entries on a LAN.

It runs calls on a `Session` it is given and translates no errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ecmahost.config.model import AttributeType
from ecmahost.connectors.errors import ConfigurationError, ObjectNotFound
from ecmahost.connectors.ldap import members, references
from ecmahost.connectors.ldap.directory import Directory, anchor_attributes, anchor_of, classes_filter, find, find_many
from ecmahost.connectors.ldap.filter import MATCH_NONE, compile_filter, member_anchors
from ecmahost.connectors.ldap.session import Entry, Session
from ecmahost.connectors.ldap.spec import CREATED, MODIFIED, STAMPS, ObjectSpec
from ecmahost.connectors.ldap.values import DN_ATTRIBUTE, anchor_from_ldap, from_ldap, parse_generalized_time
from ecmahost.connectors.query import MEMBERS, META_CREATED, META_MODIFIED, Record, SearchQuery, SearchResult


def requested(spec: ObjectSpec, wanted: frozenset[str] | None) -> list[str]:
    """The LDAP attributes to ask for: the configured ones wanted, the anchor, timestamps, members if asked."""
    names = [*spec.readable(wanted), CREATED, MODIFIED]
    if spec.is_group and wanted is not None and MEMBERS in wanted:
        names.append(spec.target.member_attribute or "")
    return [n for n in dict.fromkeys(names) if n and n != DN_ATTRIBUTE]


def record_of(spec: ObjectSpec, entry: Entry, wanted: frozenset[str] | None) -> Record | None:
    """The record of `entry` (members as raw values under MEMBERS, translated by the caller); None without an
    anchor."""
    anchor = anchor_of(spec, entry)
    if anchor is None:
        return None
    record: Record = {}
    for name in spec.readable(wanted):
        raw = entry.get(name)
        if name == spec.anchor:
            record[name] = anchor_from_ldap(name, raw[0]) if raw else None
        elif spec.is_multi(name):
            record[name] = [from_ldap(spec.attribute_type(name), v) for v in raw] or None
        else:
            record[name] = from_ldap(spec.attribute_type(name), raw[0]) if raw else None
    if spec.anchor == DN_ATTRIBUTE or (spec.exposes_dn and (wanted is None or DN_ATTRIBUTE in wanted)):
        record[DN_ATTRIBUTE] = entry.dn
    for key, attribute in ((META_CREATED, CREATED), (META_MODIFIED, MODIFIED)):
        raw = entry.get(attribute)
        if raw:
            record[key] = parse_generalized_time(raw[0].decode("ascii", errors="replace"))
    if spec.is_group and wanted is not None and MEMBERS in wanted:
        record[MEMBERS] = [v.decode("utf-8", errors="replace") for v in entry.get(spec.target.member_attribute or "")]
    return record


def with_anchors(session: Session, directory: Directory, spec: ObjectSpec, records: list[Record]) -> None:
    """Member values and reference DNs in `records` become anchors."""
    for record in records:
        if MEMBERS in record:
            record[MEMBERS] = members.anchors_for(session, directory, spec, record[MEMBERS])
    if spec.references:
        references.to_anchors(session, directory, spec, records)


def get(session: Session, directory: Directory, spec: ObjectSpec, anchor: str, wanted: frozenset[str] | None) -> Record:
    entry = find(session, spec, anchor, requested(spec, wanted))
    record = record_of(spec, entry, wanted)
    assert record is not None  # found by its anchor
    with_anchors(session, directory, spec, [record])
    return record


def read_dn(session: Session, directory: Directory, spec: ObjectSpec, dn: str, wanted: frozenset[str] | None) -> Record:
    """The record of the entry at `dn` (just written by this connector)."""
    entry = session.read(dn, requested(spec, wanted))
    record = record_of(spec, entry, wanted) if entry is not None else None
    if record is None:
        raise ObjectNotFound(f"{spec.object_type} {dn} has no anchor {spec.anchor!r} (or vanished)")
    with_anchors(session, directory, spec, [record])
    return record


def search(session: Session, directory: Directory, spec: ObjectSpec, query: SearchQuery) -> SearchResult:
    ldap_filter = _filter(session, directory, spec, query)
    if ldap_filter is None:
        return SearchResult(total=0, records=[])
    sort = query.sort
    sort_attribute = sort.attribute if sort is not None else None
    sort_attribute = STAMPS.get(sort_attribute, sort_attribute) if sort_attribute else None
    if sort_attribute not in (None, DN_ATTRIBUTE, CREATED, MODIFIED) and spec.canonical(sort_attribute) is None:
        raise ConfigurationError(f"cannot sort {spec.object_type} by {sort_attribute!r}: not a configured attribute")
    keys = anchor_attributes(spec) + ([sort_attribute] if sort_attribute and sort_attribute != DN_ATTRIBUTE else [])
    rows = []
    for entry in session.paged(spec.target.base_dn, ldap_filter, spec.target.scope, list(dict.fromkeys(keys))):
        anchor = anchor_of(spec, entry)
        if anchor is not None:
            rows.append((_sort_key(spec, entry, sort_attribute), anchor))
    total = len(rows)
    if query.limit == 0:
        return SearchResult(total=total, records=[])
    rows.sort(key=lambda row: row[1])  # ties keep ascending anchors: the sort below is stable, even reversed
    rows.sort(key=lambda row: row[0], reverse=sort is not None and sort.descending)
    offset = max(query.offset, 0)
    page = [anchor for _, anchor in rows[offset : None if query.limit is None else offset + query.limit]]
    return SearchResult(total=total, records=_read_page(session, directory, spec, page, query.attributes))


def _filter(session: Session, directory: Directory, spec: ObjectSpec, query: SearchQuery) -> str | None:
    if query.filter is None:
        return classes_filter(spec)
    filter_ = references.filter_with_dns(session, directory, spec, query.filter) if spec.references else query.filter
    anchors = sorted(member_anchors(filter_))
    values = members.values_for(session, directory, spec, anchors) if anchors and spec.is_group else {}
    compiled = compile_filter(filter_, directory.scope(spec, session.features, values))
    return None if compiled == MATCH_NONE else classes_filter(spec, compiled)


def _sort_key(spec: ObjectSpec, entry: Entry, attribute: str | None) -> tuple[int, Any]:
    """(1 when the value is missing, the value): missing values sort last ascending and first descending."""
    if attribute is None:
        return (0, "")
    if attribute == DN_ATTRIBUTE:
        return (0, entry.dn.lower())
    raw = entry.get(attribute)
    if not raw:
        return (1, "")
    attribute_type = AttributeType.DATETIME if attribute in (CREATED, MODIFIED) else spec.attribute_type(attribute)
    values = [from_ldap(attribute_type, v) for v in raw]
    if attribute_type is AttributeType.STRING:
        name = spec.canonical(attribute) or attribute
        values = [v if name in spec.case_exact else str(v).lower() for v in values]
    return (0, min(values))


def _read_page(
    session: Session, directory: Directory, spec: ObjectSpec, page: Sequence[str], wanted: frozenset[str] | None
) -> list[Record]:
    if not page:
        return []
    entries = find_many(session, spec, page, requested(spec, wanted))
    records = [r for r in (record_of(spec, entries[a], wanted) for a in page if a in entries) if r is not None]
    with_anchors(session, directory, spec, records)
    return records

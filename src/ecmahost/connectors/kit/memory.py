"""Search a list of records in memory: filter (`evaluate.matches`), sort, page and project.

For targets that return everything (a CSV file, a script's listing, a REST collection without a query language):
`total` counts every match, so paging stays exact. The order without a sort is the target's own order, which must
be stable between calls. It does no I/O.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from ecmahost.connectors.kit.evaluate import comparable, matches
from ecmahost.connectors.query import MEMBERS, Record, SearchQuery, SearchResult, Sort


def search_records(records: Iterable[Record], query: SearchQuery, anchor: str) -> SearchResult:
    """The page of `records` that `query` asks for, as fresh copies projected on `query.attributes`."""
    found = [r for r in records if query.filter is None or matches(query.filter, r)]
    if query.sort is not None:
        found = _sorted(found, query.sort)
    end = None if query.limit is None else query.offset + query.limit
    page = found[query.offset : end]
    return SearchResult(total=len(found), records=[project(r, query.attributes, anchor) for r in page])


def project(record: Record, attributes: frozenset[str] | None, anchor: str) -> Record:
    """A deep copy of `record` with only `attributes` (plus the anchor); `MEMBERS` only when named."""
    if attributes is None:
        return {k: copy.deepcopy(v) for k, v in record.items() if k != MEMBERS}
    wanted = attributes | {anchor}
    return {k: copy.deepcopy(v) for k, v in record.items() if k in wanted}


def _sorted(records: list[Record], sort: Sort) -> list[Record]:
    """Sorted by `sort.attribute` (case-insensitive for strings); records without a value come last."""

    def key(record: Record) -> tuple[int, Any]:
        value = record.get(sort.attribute)
        if value is None or value == "":
            return (1, "")
        return (0, comparable(value, value, case_exact=False)[0])

    with_value = [r for r in records if key(r)[0] == 0]
    without = [r for r in records if key(r)[0] == 1]
    return sorted(with_value, key=key, reverse=sort.descending) + without

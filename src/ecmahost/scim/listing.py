"""Query parameters of a list request (RFC 7644 §3.4.2): filter, paging, sorting, attribute projection."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ecmahost.errors import InvalidFilter, InvalidValue
from ecmahost.scim import filter_ast as f
from ecmahost.scim.filter_parser import parse_filter

MAX_START_INDEX = 2**31 - 1
"""Beyond any real page, and within every database's OFFSET range: a larger startIndex reads as this one."""


@dataclass(frozen=True, slots=True)
class ListParams:
    filter: f.Filter | None
    start_index: int
    count: int
    attributes: tuple[str, ...]
    excluded: tuple[str, ...]
    sort_by: str | None
    descending: bool


def _integer(params: Mapping[str, str], name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise InvalidValue(f"{name} must be an integer, got {raw!r:.40}") from None


def names(raw: str | None) -> tuple[str, ...]:
    """`attributes=userName,emails` -> ("userName", "emails")."""
    if not raw:
        return ()
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def parse_list_params(
    params: Mapping[str, str], *, default_count: int, max_count: int, max_filter_length: int
) -> ListParams:
    raw_filter = params.get("filter")
    if raw_filter is not None and not raw_filter.strip():
        raise InvalidFilter("filter: the filter is empty")
    parsed = parse_filter(raw_filter, max_length=max_filter_length) if raw_filter is not None else None
    # RFC 7644 §3.4.2.4: startIndex below 1 is read as 1, a negative count as 0; a count above the server's
    # maximum is lowered to it (totalResults stays exact).
    start = min(max(1, _integer(params, "startIndex", 1)), MAX_START_INDEX)
    count = min(max(0, _integer(params, "count", default_count)), max_count)
    order = (params.get("sortOrder") or "ascending").lower()
    if order not in ("ascending", "descending"):
        raise InvalidValue(f"sortOrder must be ascending or descending, got {order!r:.40}")
    return ListParams(
        filter=parsed,
        start_index=start,
        count=count,
        attributes=names(params.get("attributes")),
        excluded=names(params.get("excludedAttributes")),
        # Without sortBy the order is the anchor's (RFC 7644 leaves it to the server): descending reverses it.
        sort_by=params.get("sortBy") or ("id" if order == "descending" else None),
        descending=order == "descending",
    )

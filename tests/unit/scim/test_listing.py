"""List request parameters (RFC 7644 §3.4.2): paging edges, sort order, projection names."""

from __future__ import annotations

import pytest

from ecmahost import errors
from ecmahost.scim.listing import MAX_START_INDEX, ListParams, parse_list_params


def _parse(**params: str) -> ListParams:
    return parse_list_params(params, default_count=100, max_count=1000, max_filter_length=10_000)


@pytest.mark.parametrize(("raw", "start"), [("0", 1), ("-7", 1), ("", 1), ("5", 5), ("9" * 30, MAX_START_INDEX)])
def test_start_index_below_one_reads_as_one_and_past_the_maximum_as_the_maximum(raw: str, start: int) -> None:
    assert _parse(startIndex=raw).start_index == start


@pytest.mark.parametrize(("raw", "count"), [("0", 0), ("-3", 0), ("", 100), ("5000", 1000), ("7", 7)])
def test_count_is_clamped_between_zero_and_the_maximum(raw: str, count: int) -> None:
    assert _parse(count=raw).count == count


@pytest.mark.parametrize("name", ["count", "startIndex"])
@pytest.mark.parametrize("raw", ["ten", "1.5", "0x10", "2e3"])
def test_a_non_integer_count_or_start_index_is_invalid_value_naming_it(name: str, raw: str) -> None:
    with pytest.raises(errors.InvalidValue, match=name):
        _parse(**{name: raw})


def test_sort_order_is_case_insensitive_and_anything_else_is_invalid_value() -> None:
    assert _parse(sortBy="userName", sortOrder="DESCENDING").descending
    assert not _parse(sortBy="userName").descending
    with pytest.raises(errors.InvalidValue, match="ascending or descending"):
        _parse(sortBy="userName", sortOrder="up")


def test_descending_without_sort_by_reverses_the_anchor_order() -> None:
    params = _parse(sortOrder="descending")
    assert (params.sort_by, params.descending) == ("id", True)
    assert _parse().sort_by is None, "no sort asked: the connector's own (anchor) order, no ORDER BY work added"


def test_projection_names_are_split_on_commas() -> None:
    params = _parse(attributes=" userName , name.givenName,,", excludedAttributes="members")
    assert params.attributes == ("userName", "name.givenName")
    assert params.excluded == ("members",)

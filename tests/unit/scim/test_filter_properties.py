"""Property rules of the filter parser: rendering round-trips, and no input raises anything unexpected."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from ecmahost.errors import InvalidFilter, InvalidPath, InvalidValue
from ecmahost.scim.filter_ast import (
    And,
    AttrPath,
    Compare,
    CompareOp,
    Filter,
    Not,
    Or,
    PatchPath,
    Present,
    ValuePath,
)
from ecmahost.scim.filter_parser import parse_attr_path, parse_filter, parse_path
from ecmahost.scim.filter_render import render_filter, render_path

QUICK = settings(max_examples=300, deadline=None)
POSITION = re.compile(r"at position (\d+)")

names = st.from_regex(r"[A-Za-z_$-][A-Za-z0-9_$-]{0,8}", fullmatch=True).filter(
    lambda name: name.lower() not in {"and", "or", "not"}
)
urns = st.builds(
    lambda prefix, parts: prefix + ":" + ":".join(parts),
    st.sampled_from(["urn", "URN"]),
    st.lists(st.from_regex(r"[A-Za-z0-9._+-]{1,8}", fullmatch=True), min_size=1, max_size=6),
)
attr_paths = st.builds(AttrPath, names, st.none() | names, st.none() | urns)
multi_valued_paths = st.builds(AttrPath, names, st.none(), st.none() | urns)
sub_paths = st.builds(AttrPath, names)
values = st.one_of(
    st.text(max_size=12),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
)


def _filters(paths: st.SearchStrategy[AttrPath], *, with_value_paths: bool) -> st.SearchStrategy[Filter]:
    leaf: st.SearchStrategy[Filter] = st.one_of(
        st.builds(Compare, paths, st.sampled_from(CompareOp), values), st.builds(Present, paths)
    )
    if with_value_paths:
        leaf = leaf | st.builds(ValuePath, multi_valued_paths, _filters(sub_paths, with_value_paths=False))
    return st.recursive(
        leaf,
        lambda inner: st.one_of(st.builds(And, inner, inner), st.builds(Or, inner, inner), st.builds(Not, inner)),
        max_leaves=8,
    )


filters = _filters(attr_paths, with_value_paths=True)
patch_paths = st.one_of(
    st.builds(PatchPath, attr_paths),
    st.builds(PatchPath, multi_valued_paths, _filters(sub_paths, with_value_paths=False), st.none() | names),
)


@QUICK
@given(filters)
def test_rendered_filter_parses_back_to_the_same_ast(ast: Filter) -> None:
    text = render_filter(ast)
    parsed = parse_filter(text, max_depth=1_000)
    assert parsed == ast
    assert render_filter(parsed) == text  # also tells True from 1 and 1.0 from 1, which == does not


@QUICK
@given(patch_paths)
def test_rendered_patch_path_parses_back_to_the_same_path(path: PatchPath) -> None:
    assert parse_path(render_path(path)) == path


@QUICK
@given(attr_paths)
def test_attr_path_text_parses_back_to_the_same_attr_path(path: AttrPath) -> None:
    assert parse_attr_path(str(path)) == path


def _assert_position_in_text(detail: str, text: str) -> None:
    for position in POSITION.findall(detail):
        assert 0 <= int(position) <= len(text)


ALPHABET = st.sampled_from([*' \t()[]"\\.:-_$eqprandornot0123456789aEtuvxyz', "é", "\x00", "\n"])


@QUICK
@given(st.text(max_size=60) | st.text(ALPHABET, max_size=60))
def test_any_text_parses_or_raises_invalid_filter(text: str) -> None:
    try:
        parse_filter(text)
    except InvalidFilter as exc:
        _assert_position_in_text(exc.detail, text)


@st.composite
def mutated_filters(draw: st.DrawFn) -> str:
    text = render_filter(draw(filters))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        at = draw(st.integers(min_value=0, max_value=len(text)))
        kind = draw(st.sampled_from(["insert", "delete", "replace"]))
        char = draw(ALPHABET)
        if kind == "insert":
            text = text[:at] + char + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + 1 :]
        else:
            text = text[:at] + char + text[at + 1 :]
    return text


@QUICK
@given(mutated_filters())
def test_mutated_valid_filter_parses_or_raises_invalid_filter(text: str) -> None:
    try:
        ast = parse_filter(text)
    except InvalidFilter as exc:
        _assert_position_in_text(exc.detail, text)
    else:
        assert parse_filter(render_filter(ast)) == ast


@QUICK
@given(st.text(max_size=40) | st.text(ALPHABET, max_size=40) | patch_paths.map(render_path).map(lambda t: t[:-1]))
def test_any_text_parses_as_path_or_raises_invalid_path(text: str) -> None:
    try:
        parse_path(text)
    except InvalidPath as exc:
        _assert_position_in_text(exc.detail, text)


@QUICK
@given(st.text(max_size=40) | st.text(ALPHABET, max_size=40))
def test_any_text_parses_as_attr_path_or_raises_invalid_value(text: str) -> None:
    try:
        path = parse_attr_path(text)
    except InvalidValue:
        return
    assert str(path) == text.strip(" \t\r\n")

"""The one-regex fast path of `parse_filter` gives exactly what the full parser gives: the same AST or the same
error, for Entra's `<attrPath> <op> "<string>"` shapes and for near-misses that must fall through."""

from __future__ import annotations

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from ecmahost.errors import InvalidFilter
from ecmahost.scim.filter_parser import _SIMPLE_COMPARE, DEFAULT_MAX_DEPTH, _parse_full, parse_filter

THOROUGH = settings(max_examples=1_000, deadline=None)

ENTRA_SHAPES = [
    'userName eq "alice@contoso.com"',
    'externalId eq "x"',
    'displayName eq "Group 1"',
    'userName eq "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"',
    'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "1"',
    'name.familyName eq "O\'Malley"',
    'userName EQ ""',
    ' \tuserName  sw"é ✓"\r\n',
]

SPACE = " \t\r\n"
ODD = ' \t"\\.:-_$()[]é\x0b\u00a0\u017f\u212aeqnotandurn0'  # characters near the edges of the shape


def _any_case(words: list[str]) -> st.SearchStrategy[str]:
    return st.builds(
        lambda word, upper: "".join(c.upper() if u else c for c, u in zip(word, upper, strict=False)),
        st.sampled_from(words),
        st.lists(st.booleans(), min_size=4, max_size=4),
    )


names = st.from_regex(r"[A-Za-z_$-][A-Za-z0-9_$-]{0,6}", fullmatch=True)
good_paths = st.builds(
    lambda urn, attr, sub: (f"{urn}:" if urn else "") + attr + (f".{sub}" if sub else ""),
    st.none() | st.from_regex(r"(?i:urn):[A-Za-z0-9._:+-]{0,12}", fullmatch=True),
    names,
    st.none() | names,
)
bad_paths = _any_case(["and", "or", "not", "not.x", "urn", "urn:", "x:y", "1abc", "é", "a(b", "a[b]", "a.b.c"])
good_contents = st.text(st.characters(exclude_characters='"\\'), max_size=8)
bad_contents = st.text(ODD + "\\/bfnrtu\"'x", max_size=8) | st.sampled_from(['\\"', "\\u00e9", "\\x", "\\"])
bad_values = st.sampled_from(['"x', 'x"', "x", "42", "true", "null", '"', "", '""""', '"a" "b"'])

# (the good piece, a near miss) for each piece of `<attrPath> <op> "<string>"`, in order
PIECES: list[tuple[st.SearchStrategy[str], st.SearchStrategy[str]]] = [
    (st.text(SPACE, max_size=2), st.text(ODD, min_size=1, max_size=2)),
    (good_paths, bad_paths | st.text(ODD, max_size=4)),
    (st.text(SPACE, min_size=1, max_size=2), st.sampled_from(["", "\x0b", "\u00a0", "(", '"'])),
    (
        _any_case(["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"]),
        _any_case(["pr", "and", "\u017fw", "e", "eqq", "e q"]),
    ),
    (st.text(SPACE, max_size=2), st.sampled_from(["\x0b", "x", "(", "["])),
    (good_contents.map(lambda c: f'"{c}"'), bad_contents.map(lambda c: f'"{c}"') | bad_values),
    (st.text(SPACE, max_size=2), st.sampled_from(["x", ")", "]", '"', " and b pr", " or", "\x0b", "\u00a0"])),
]


@st.composite
def simple_filters_and_near_misses(draw: st.DrawFn) -> str:
    """About half are the shape exactly; the rest spoil one piece."""
    spoil = draw(st.integers(min_value=-len(PIECES), max_value=len(PIECES) - 1))
    return "".join(draw(bad if i == spoil else good) for i, (good, bad) in enumerate(PIECES))


def _outcome(parse: object, text: str, max_depth: int) -> tuple[str, str]:
    """The AST's repr (which tells "1" from 1 and True from 1) or the InvalidFilter detail; anything else raises."""
    try:
        return "parsed", repr(parse(text, max_depth=max_depth))  # type: ignore[operator]
    except InvalidFilter as exc:
        return "rejected", exc.detail


@THOROUGH
@given(simple_filters_and_near_misses(), st.sampled_from([0, 1, DEFAULT_MAX_DEPTH]))
def test_fast_path_and_full_parser_give_the_same_ast_or_error(text: str, max_depth: int) -> None:
    event("fast path" if _SIMPLE_COMPARE.fullmatch(text) else "full parser")
    assert _outcome(parse_filter, text, max_depth) == _outcome(_parse_full, text, max_depth)


@pytest.mark.parametrize("text", ENTRA_SHAPES)
def test_entra_shapes_take_the_fast_path_and_parse_as_the_full_parser_does(text: str) -> None:
    assert _SIMPLE_COMPARE.fullmatch(text) is not None
    assert repr(parse_filter(text)) == repr(_parse_full(text))


@pytest.mark.parametrize(
    "text",
    [
        'userName eq "a\\"b"',  # an escape: scanstring decodes it
        "externalId eq jyoung",  # an unquoted word
        'userName eq "a" and externalId eq "b"',
        'emails[type eq "work"].value eq "x"',
        'not eq "x"',  # 'not' must be followed by '('
        'userName pr "x"',
        'userName \u017fw "x"',  # long s: `.lower()` does not make it "sw"
        'userName eq "x" )',
    ],
)
def test_near_misses_fall_through_to_the_full_parser(text: str) -> None:
    assert _SIMPLE_COMPARE.fullmatch(text) is None


@pytest.mark.parametrize(
    "text",
    [
        'userName eq "' + "x" * 9_980,
        "urn:" + "a:" * 4_990 + 'b eq "x"',
        "urn:" + "a:" * 4_990 + 'b+ eq "x"',
        "urn:" + "a:" * 4_990 + ' eq "x"x',
        " " * 9_990 + "a eq",
        "a" * 4_000 + "." + "b" * 4_000 + ' eq "x"',
        "a" * 4_000 + "." + "b" * 4_000 + " eq x",
        "a" + " " * 9_000 + 'eq "x" y',
    ],
)
def test_long_near_misses_give_the_same_result_on_both_paths(text: str) -> None:
    assert _outcome(parse_filter, text, DEFAULT_MAX_DEPTH) == _outcome(_parse_full, text, DEFAULT_MAX_DEPTH)

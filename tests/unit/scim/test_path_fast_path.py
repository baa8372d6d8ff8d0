"""The one-regex fast path of `parse_path` gives exactly what the full path parser gives: the same `PatchPath` or
the same error, for Entra's plain `[urn:]attr[.sub]` PATCH paths and for near-misses that must fall through."""

from __future__ import annotations

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from ecmahost.errors import InvalidPath
from ecmahost.scim.filter_parser import _PLAIN_PATH, _parse_path_full, parse_path

THOROUGH = settings(max_examples=1_000, deadline=None)

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ENTRA_PATHS = [
    "title",
    "active",
    "members",
    "name.familyName",
    f"{ENTERPRISE}:department",
    f"{ENTERPRISE}:manager.value",
    "urn:ietf:params:scim:schemas:extension:ECMA2Host:2.0:User:-dn-",
    "and",  # a path has no keywords: `and` is an attribute name
    " \tuserName\r\n",
]

SPACE = " \t\r\n"
# Characters near the edges of the shape: the tokenizer's separators, what `_PATH_RE` splits on, characters a
# Unicode-aware regex or `.lower()` would treat as ASCII letters (long s, Kelvin sign, dotted/dotless i).
ODD = ' \t"\\.:-_$+()[]é\x0b\x0c\u00a0\u017f\u212a\u0130\u0131aZ0urn'

names = st.from_regex(r"[A-Za-z_$-][A-Za-z0-9_$-]{0,6}", fullmatch=True) | st.sampled_from(
    ["and", "OR", "not", "pr", "eq", "true", "null", "urn", "URN", "-dn-", "$ref", "_"]
)
urns = st.from_regex(r"(?i:urn):[A-Za-z0-9._:+-]{0,12}", fullmatch=True) | st.sampled_from(
    [ENTERPRISE, "urn:", "URN:a.b", "urn:a:b", "urn:1:-"]
)
good_paths = st.builds(
    lambda urn, attr, sub: (f"{urn}:" if urn else "") + attr + (f".{sub}" if sub else ""),
    st.none() | urns,
    names,
    st.none() | names,
)
bad_paths = st.sampled_from(
    [
        "",
        "urn",  # (a name, in fact)
        "urn:",
        "urn:a",
        f"{ENTERPRISE}:",
        f"{ENTERPRISE}:.x",
        "urn::",
        "urn:a:1x",
        "urn:a:b:c.d.e",
        "x:y",
        "ur:x",
        "1abc",
        "é",
        "a.",
        ".a",
        "a..b",
        "a.b.c",
        "a.1",
        'a\\"b',
        '"a"',
        "a(b",
        "a[b]",
        'emails[type eq "work"]',
        'emails[type eq "work"].value',
        'emails[type eq "work"] .value',
        "name.givenName[type eq 1]",
        "name . familyName",
    ]
) | st.text(ODD, max_size=4)
# (the good piece, a near miss) for each piece of `<space>* <path> <space>*`, in order
PIECES: list[tuple[st.SearchStrategy[str], st.SearchStrategy[str]]] = [
    (st.text(SPACE, max_size=2), st.text(ODD, min_size=1, max_size=2)),
    (good_paths, bad_paths),
    (
        st.text(SPACE, max_size=2),
        st.sampled_from(["x", ".", ".x", ":", ":x", "[", "]", "(", ")", '"', " and", ' eq "x"', "\x0b", "\u00a0"])
        | st.sampled_from(['[type eq "work"]', '[type eq "work"].value', "[value eq 1]", "["]),
    ),
]


@st.composite
def plain_paths_and_near_misses(draw: st.DrawFn) -> str:
    """About half are the shape exactly; the rest spoil one piece, then a third of all get one character changed."""
    spoil = draw(st.integers(min_value=-len(PIECES), max_value=len(PIECES) - 1))
    text = "".join(draw(bad if i == spoil else good) for i, (good, bad) in enumerate(PIECES))
    edit = draw(st.sampled_from(["none", "none", "none", "insert", "replace", "delete"]))
    if edit == "none" or (edit != "insert" and not text):
        return text
    at = draw(st.integers(min_value=0, max_value=len(text) - (edit != "insert")))
    char = "" if edit == "delete" else draw(st.sampled_from(ODD))
    return text[:at] + char + text[at + (edit != "insert") :]


def _outcome(parse: object, text: str) -> tuple[str, str]:
    """The PatchPath's repr or the InvalidPath detail; anything else raises."""
    try:
        return "parsed", repr(parse(text))  # type: ignore[operator]
    except InvalidPath as exc:
        return "rejected", exc.detail


@THOROUGH
@given(plain_paths_and_near_misses())
def test_fast_path_and_full_path_parser_give_the_same_path_or_error(text: str) -> None:
    event("fast path" if _PLAIN_PATH.fullmatch(text) else "full parser")
    assert _outcome(parse_path, text) == _outcome(_parse_path_full, text)


@pytest.mark.parametrize("text", ENTRA_PATHS)
def test_entra_paths_take_the_fast_path_and_parse_as_the_full_parser_does(text: str) -> None:
    assert _PLAIN_PATH.fullmatch(text) is not None
    assert repr(parse_path(text)) == repr(_parse_path_full(text))


@pytest.mark.parametrize(
    "text",
    [
        'emails[type eq "work"].value',  # a value path
        'members[value eq "7f4bc1a3-0000"]',
        "",
        f"{ENTERPRISE}:",  # a URN without an attribute
        "user name",
        "name.familyName.x",
        "title\x0b",  # not the tokenizer's whitespace
        "\u017fn",  # long s: not an ASCII letter
    ],
)
def test_near_misses_fall_through_to_the_full_parser(text: str) -> None:
    assert _PLAIN_PATH.fullmatch(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "a" * 10_000,
        " " * 9_990 + "a",
        "a" + " " * 9_990 + "b",
        "urn:" + "a:" * 4_990 + "b",
        "urn:" + "a:" * 4_990 + "b+",
        "urn:" + "a:" * 4_990 + "b.c.",
        "urn:" + "a:" * 4_990 + ":",
        "a" * 4_000 + "." + "b" * 4_000 + ".",
        "a" * 4_000 + "." + "b" * 4_000 + "[",
    ],
)
def test_long_near_misses_give_the_same_result_on_both_paths(text: str) -> None:
    assert _outcome(parse_path, text) == _outcome(_parse_path_full, text)

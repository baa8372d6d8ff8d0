"""Parse SCIM filters (RFC 7644 §3.4.2.2), PATCH paths (§3.5.2) and attribute paths into the typed AST.

A hand-written recursive-descent parser over a regex tokenizer, behind one regex for Entra's
`<attrPath> <op> "<string>"` (see `_SIMPLE_COMPARE`) and one for a plain PATCH path (`_PLAIN_PATH`). It accepts
the RFC grammar plus the leniencies real clients need: case-insensitive keywords, an unquoted word as a string
value (`externalId eq jyoung`, as in Microsoft's own SCIM sample), attribute names that start with `-`, `_` or `$`
(`-dn-`, `$ref`), and Entra's `emails[type eq "work"].value eq "x"`, normalized to
`ValuePath(emails, And(type eq "work", value eq "x"))`.

Limits: a filter longer than `max_length` characters, or nesting deeper than `max_depth` levels, is rejected.
Depth counts both parentheses/brackets and the depth of the resulting AST (each `and`, `or`, `not` and value
path adds a level, so a chain of 64 `or`s hits the default limit): every layer that walks the AST may recurse.

It does not resolve attribute names against a schema or a mapping (the mapping layer does, and turns an
unknown attribute into `invalidFilter`), evaluate filters, or render them (see `filter_render`).
"""

from __future__ import annotations

import re
from json import JSONDecodeError
from json.decoder import scanstring
from typing import NoReturn

from ecmahost.errors import InvalidFilter, InvalidPath, InvalidValue, ScimError
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
    Value,
    ValuePath,
)

__all__ = ["parse_attr_path", "parse_filter", "parse_path"]

DEFAULT_MAX_LENGTH = 10_000
DEFAULT_MAX_DEPTH = 64

# Token kinds are the regex group names.
_STRING, _WORD, _UNTERMINATED, _END = "s", "w", "u", "end"
_LPAREN, _RPAREN, _LBRACKET, _RBRACKET = "lp", "rp", "lb", "rb"
_TOKEN = re.compile(
    r"[ \t\r\n]*(?:"
    r'(?P<s>"[^"\\]*(?:\\.[^"\\]*)*")'
    r'|(?P<w>[^ \t\r\n()\[\]"]+)'
    r"|(?P<lp>\()|(?P<rp>\))|(?P<lb>\[)|(?P<rb>\])"
    r'|(?P<u>"))',
    re.DOTALL,
)
_NAME = r"[A-Za-z_$-][A-Za-z0-9_$-]*"
_NAME_RE = re.compile(_NAME)
# Split on the LAST colon: the URN itself contains dots ("...:enterprise:2.0:User").
_PATH_RE = re.compile(rf"(?:((?i:urn):[A-Za-z0-9._:+-]*):)?({_NAME})(?:\.({_NAME}))?")
_NUMBER_RE = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")

_COMPARE_OPS: dict[str, CompareOp] = {op.value: op for op in CompareOp}
_OPERATORS: dict[str, CompareOp | None] = {**_COMPARE_OPS, "pr": None}
_KEYWORD_VALUES: dict[str, Value] = {"true": True, "false": False, "null": None}
_NOT_A_VALUE = frozenset({*_OPERATORS, "and", "or", "not"})
_OPERATOR_LIST = "a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr)"
_VALUE_LIST = 'a value (a "quoted string", a number, true, false or null)'
_PATH_SHAPE = "[urn:...:]name[.subAttribute], names made of letters, digits, '-', '_' or '$'"

# Fast path for the shape of every Entra GET, `<attrPath> <op> "<string without escapes>"`: one regex instead of
# the tokenizer and the descent, about 2 µs instead of 6 µs per parse (bench_filter_parser.py; cProfile had
# parse_filter at ~4% of a profiled GET). It matches exactly what the full parser turns into one `Compare` with a
# string value: the tokenizer's whitespace, a path word that is not and/or/not, no space needed before the quote;
# anything else falls through to the full parser. `(?a` keeps the long s (U+017F) from matching `s` as
# `.lower()` would not. `*+`, `++` and `(?>` never give back what they matched (nothing here needs to): a
# 10,000-character near-miss then costs ~20-70 µs, not ~1 ms. test_filter_fast_path.py checks both agree.
_SPACE = r"[ \t\r\n]"
_SIMPLE_COMPARE = re.compile(
    rf"{_SPACE}*+(?!(?i:and|or|not){_SPACE})(?>{_PATH_RE.pattern}){_SPACE}++"
    rf'(?ai:({"|".join(_COMPARE_OPS)})){_SPACE}*+"([^"\\]*+)"{_SPACE}*+'
)
# Fast path for Entra's PATCH paths (`title`, `name.familyName`, `urn:...:User:department`): one regex instead of
# the tokenizer and the descent, about 1.7-2.1 µs instead of 3.2-4.2 µs per path, most of it now building the two
# frozen dataclasses; a value path pays ~0.3 µs for the failed attempt (bench_filter_parser.py; py-spy had
# parse_path at ~3.7% of a 3-attribute PATCH). The full parser turns into `PatchPath(AttrPath(...))` exactly one
# token that `_PATH_RE` fullmatches, between the tokenizer's whitespace: `_PATH_RE`'s classes hold no space,
# bracket or quote, no `.lower()` is involved (no long-s trap), and a path has no keywords (`and` is a name here).
# `(?>` loses no match, since `_PATH_RE` first tries the URN's last colon before a name and a name holds no colon,
# and spares the backtracking: a 10,000-character near-miss costs it 15-360 µs. test_path_fast_path.py checks both.
_PLAIN_PATH = re.compile(rf"{_SPACE}*+(?>{_PATH_RE.pattern}){_SPACE}*+")

Token = tuple[str, str, int]


def parse_filter(text: str, *, max_length: int = DEFAULT_MAX_LENGTH, max_depth: int = DEFAULT_MAX_DEPTH) -> Filter:
    """Parse a `filter=` query parameter; raise `InvalidFilter` naming the position of the first error."""
    if len(text) > max_length:
        raise InvalidFilter(f"filter: is {len(text)} characters long, over the limit of {max_length}")
    if (match := _SIMPLE_COMPARE.fullmatch(text)) is not None:
        urn, attr, sub, op, value = match.groups()
        return Compare(AttrPath(attr, sub, urn), _COMPARE_OPS[op.lower()], value)
    return _parse_full(text, max_depth)


def _parse_full(text: str, max_depth: int = DEFAULT_MAX_DEPTH) -> Filter:
    """The tokenizer and the descent, for every filter; `parse_filter` skips them for one plain comparison."""
    parser = _Parser(text, InvalidFilter, "filter", max_depth)
    if parser.toks[0][0] == _END:
        raise InvalidFilter('filter: is empty; expected an expression such as userName eq "x"')
    node, _ = parser.or_expr(0)
    parser.expect(_END, "'and', 'or' or the end of the filter")
    return node


def parse_path(text: str) -> PatchPath:
    """Parse a PATCH operation's `path` (`attrPath` or `valuePath ["." subAttr]`); raise `InvalidPath`."""
    if len(text) > DEFAULT_MAX_LENGTH:
        raise InvalidPath(f"path: is {len(text)} characters long, over the limit of {DEFAULT_MAX_LENGTH}")
    if (match := _PLAIN_PATH.fullmatch(text)) is not None:
        urn, attr, sub = match.groups()
        return PatchPath(AttrPath(attr, sub, urn))
    return _parse_path_full(text)


def _parse_path_full(text: str) -> PatchPath:
    """The tokenizer and the descent, for every path; `parse_path` skips them for a plain attribute path."""
    parser = _Parser(text, InvalidPath, "path", DEFAULT_MAX_DEPTH)
    kind, word, start = parser.toks[0]
    if kind != _WORD:
        parser.fail('an attribute path such as userName, name.givenName or emails[type eq "work"].value')
    attr = parser.attr_path(word, start)
    parser.i = 1
    if parser.toks[1][0] != _LBRACKET:
        parser.expect(_END, "'[' or the end of the path")
        return PatchPath(attr)
    inner, _ = parser.bracket(attr, 0)
    sub = parser.trailing_sub()
    parser.expect(_END, "'.subAttribute' or the end of the path" if sub is None else "the end of the path")
    return PatchPath(attr, inner, sub)


def parse_attr_path(text: str) -> AttrPath:
    """Parse one `attributes=`/`excludedAttributes=`/`sortBy=` entry; raise `InvalidValue` (the caller names
    the parameter)."""
    match = _PATH_RE.fullmatch(text.strip(" \t\r\n"))
    if match is None:
        raise InvalidValue(f"'{_clip(text)}' is not an attribute path; expected {_PATH_SHAPE}")
    urn, attr, sub = match.groups()
    return AttrPath(attr, sub, urn)


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or _END
        tokens.append((kind, match.group(kind), match.start(kind)))
    tokens.append((_END, "", len(text)))
    return tokens


class _Parser:
    """One parse: the token list, a cursor, and the error class and wording of the caller."""

    __slots__ = ("error", "i", "in_brackets", "max_depth", "toks", "what")

    def __init__(self, text: str, error: type[ScimError], what: str, max_depth: int) -> None:
        self.toks = _tokenize(text)
        self.i = 0
        self.error = error
        self.what = what
        self.max_depth = max_depth
        self.in_brackets = False

    def fail(self, expected: str, after: str | None = None, hint: str = "") -> NoReturn:
        """Raise "<what>: expected X after 'Y' at position N, found Z[; hint]" for the current token."""
        kind, text, start = self.toks[self.i]
        if after is None and self.i > 0:
            after = self.toks[self.i - 1][1]
        found = f"the end of the {self.what}" if kind == _END else f"'{_clip(text)}'"
        context = f" after '{_clip(after)}'" if after else ""
        hint = f"; {hint}" if hint else ""
        raise self.error(f"{self.what}: expected {expected}{context} at position {start}, found {found}{hint}")

    def refuse(self, problem: str) -> NoReturn:
        """Raise "<what>: <problem> at position N" for the current token."""
        raise self.error(f"{self.what}: {problem} at position {self.toks[self.i][2]}")

    def check_depth(self, depth: int) -> None:
        if depth > self.max_depth:
            start = self.toks[self.i][2]
            raise self.error(
                f"{self.what}: nests deeper than the limit of {self.max_depth} levels at position {start} "
                "(each parenthesis, '[ ]', 'not' and chained 'and'/'or' adds a level)"
            )

    def expect(self, kind: str, expected: str) -> None:
        if self.toks[self.i][0] != kind:
            self.fail(expected)
        self.i += 1

    # Each rule returns (node, depth of node); `nest` counts the open parentheses and brackets around it.

    def or_expr(self, nest: int) -> tuple[Filter, int]:
        node, depth = self.and_expr(nest)
        toks = self.toks
        while toks[self.i][0] == _WORD and toks[self.i][1].lower() == "or":
            self.i += 1
            right, right_depth = self.and_expr(nest)
            depth = max(depth, right_depth) + 1
            self.check_depth(depth)
            node = Or(node, right)
        return node, depth

    def and_expr(self, nest: int) -> tuple[Filter, int]:
        node, depth = self.unary(nest)
        toks = self.toks
        while toks[self.i][0] == _WORD and toks[self.i][1].lower() == "and":
            self.i += 1
            right, right_depth = self.unary(nest)
            depth = max(depth, right_depth) + 1
            self.check_depth(depth)
            node = And(node, right)
        return node, depth

    def unary(self, nest: int) -> tuple[Filter, int]:
        kind, text, start = self.toks[self.i]
        if kind == _LPAREN:
            return self.group(nest)
        if kind != _WORD:
            self.fail(self.operand_list())
        low = text.lower()
        if low == "not":
            self.i += 1
            if self.toks[self.i][0] != _LPAREN:
                self.fail("'('", hint="write not (filter)")
            node, depth = self.group(nest)
            self.check_depth(depth + 1)
            return Not(node), depth + 1
        if low in ("and", "or"):
            self.fail(self.operand_list())
        path = self.attr_path(text, start)
        self.i += 1
        if self.toks[self.i][0] == _LBRACKET:
            return self.value_path(path, nest)
        return self.comparison(path, text), 1

    def group(self, nest: int) -> tuple[Filter, int]:
        self.check_depth(nest + 1)
        self.i += 1
        node, depth = self.or_expr(nest + 1)
        self.expect(_RPAREN, "'and', 'or' or ')'")
        return node, depth

    def value_path(self, path: AttrPath, nest: int) -> tuple[Filter, int]:
        inner, depth = self.bracket(path, nest)
        text = self.toks[self.i][1]
        sub = self.trailing_sub()
        if sub is not None:
            # Entra's `emails[type eq "work"].value eq "x"`: some email is of type work and has value x.
            condition = self.comparison(AttrPath(sub), f"{path}[...]{text}")
            inner, depth = And(inner, condition), depth + 1
        self.check_depth(depth + 1)
        return ValuePath(path, inner), depth + 1

    def bracket(self, path: AttrPath, nest: int) -> tuple[Filter, int]:
        """Parse `[valFilter]` after `path`; the cursor is on '['."""
        if self.in_brackets:
            self.refuse("value paths cannot be nested: unexpected '['")
        if path.sub is not None:
            self.refuse(
                f"'[' cannot follow the sub-attribute '{_clip(str(path))}' (filter the multi-valued "
                f"attribute instead, as in {path.attr}[...])"
            )
        self.check_depth(nest + 1)
        self.i += 1
        self.in_brackets = True
        inner, depth = self.or_expr(nest + 1)
        self.in_brackets = False
        self.expect(_RBRACKET, "'and', 'or' or ']'")
        return inner, depth

    def trailing_sub(self) -> str | None:
        """`.subAttr` written right after ']' (no space), or None."""
        kind, text, start = self.toks[self.i]
        if kind != _WORD or text[0] != "." or start != self.toks[self.i - 1][2] + 1:
            return None
        if _NAME_RE.fullmatch(text, 1) is None:
            self.fail("'.' followed by a sub-attribute name such as value")
        self.i += 1
        return text[1:]

    def operand_list(self) -> str:
        return "a sub-attribute name, 'not' or '('" if self.in_brackets else "an attribute path, 'not' or '('"

    def comparison(self, path: AttrPath, written: str) -> Filter:
        kind, text, _ = self.toks[self.i]
        if kind != _WORD or (low := text.lower()) not in _OPERATORS:
            self.fail(_OPERATOR_LIST, written)
        self.i += 1
        op = _OPERATORS[low]
        if op is None:
            return Present(path)
        return Compare(path, op, self.value(f"{written} {text}"))

    def attr_path(self, word: str, start: int) -> AttrPath:
        if self.in_brackets:
            if _NAME_RE.fullmatch(word) is None:
                self.fail("a sub-attribute name (such as type, value or primary) inside '[ ]'")
            return AttrPath(word)
        match = _PATH_RE.fullmatch(word)
        if match is None:
            hint = "; a schema prefix must be a URN (urn:...:)" if ":" in word else ""
            raise self.error(
                f"{self.what}: '{_clip(word)}' at position {start} is not an attribute path; "
                f"expected {_PATH_SHAPE}{hint}"
            )
        urn, attr, sub = match.groups()
        return AttrPath(attr, sub, urn)

    def value(self, after: str) -> Value:
        kind, text, start = self.toks[self.i]
        if kind == _STRING:
            self.i += 1
            if "\\" not in text:
                return text[1:-1]
            try:
                return scanstring(text, 1, False)[0]
            except JSONDecodeError as exc:
                raise self.error(
                    f"{self.what}: invalid escape in the string at position {start + exc.pos}; "
                    'use JSON escapes (\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)'
                ) from exc
        if kind == _UNTERMINATED:
            raise self.error(f"{self.what}: the string starting at position {start} has no closing '\"'")
        if kind != _WORD:
            self.fail(_VALUE_LIST, after)
        low = text.lower()
        if low in _KEYWORD_VALUES:
            self.i += 1
            return _KEYWORD_VALUES[low]
        if low in _NOT_A_VALUE:
            self.fail(_VALUE_LIST, after)
        self.i += 1
        if text[0] in "-0123456789" and (number := _NUMBER_RE.fullmatch(text)) is not None:
            return self.number(text, number, start)
        return text  # an unquoted word: Entra's sample sends `externalId eq jyoung`

    def number(self, text: str, number: re.Match[str], start: int) -> int | float:
        if number.group(1) is None and number.group(2) is None:
            try:
                return int(text)
            except ValueError as exc:  # over Python's limit on integer digits
                raise self.error(f"{self.what}: the number at position {start} has too many digits") from exc
        result = float(text)
        if result in (float("inf"), float("-inf")):
            raise self.error(f"{self.what}: the number at position {start} is out of range")
        return result

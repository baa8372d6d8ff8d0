"""Rules of the SCIM filter, PATCH path and attribute path parser, as tables of text -> AST or error."""

from __future__ import annotations

import pytest

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
    Value,
    ValuePath,
)
from ecmahost.scim.filter_parser import parse_attr_path, parse_filter, parse_path
from ecmahost.scim.filter_render import render_filter, render_path, render_value

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ECMA = "urn:ietf:params:scim:schemas:extension:ECMA2Host:2.0:User"


def p(attr: str, sub: str | None = None, urn: str | None = None) -> AttrPath:
    return AttrPath(attr, sub, urn)


def eq(path: str | AttrPath, value: Value) -> Compare:
    return Compare(p(path) if isinstance(path, str) else path, CompareOp.EQ, value)


def cmp(path: str | AttrPath, op: str, value: Value) -> Compare:
    return Compare(p(path) if isinstance(path, str) else path, CompareOp(op), value)


def pr(path: str | AttrPath) -> Present:
    return Present(p(path) if isinstance(path, str) else path)


WORK = eq("type", "work")
EMPLOYEE = eq("userType", "Employee")

VALID: list[tuple[str, Filter]] = [
    # Entra ID (entra-scim-contract.md, ecma-host-facts.md §11)
    ('userName eq "x"', eq("userName", "x")),
    ('externalId eq "x"', eq("externalId", "x")),
    ('userName eq "Test_User_00aa00aa-…"', eq("userName", "Test_User_00aa00aa-…")),
    ('userName eq "non-existent user"', eq("userName", "non-existent user")),
    ('displayName eq "displayName"', eq("displayName", "displayName")),
    ('emails[type eq "work"].value eq "x"', ValuePath(p("emails"), And(WORK, eq("value", "x")))),
    ("externalId eq jyoung", eq("externalId", "jyoung")),
    (
        'userName eq "8646d011-7a7c-4b6e-9b1b-4a1d0f2c3e4f"',
        eq("userName", "8646d011-7a7c-4b6e-9b1b-4a1d0f2c3e4f"),
    ),
    (f'{ECMA}:ContosoLogin eq "x"', eq(p("ContosoLogin", urn=ECMA), "x")),
    (f'{ECMA}:-dn- eq "CN=x,OBJECT=USER"', eq(p("-dn-", urn=ECMA), "CN=x,OBJECT=USER")),
    ('userName eq "a" and externalId eq "b"', And(eq("userName", "a"), eq("externalId", "b"))),
    # RFC 7644 §3.4.2.2
    ('userName eq "bjensen"', eq("userName", "bjensen")),
    ('name.familyName co "O\'Malley"', cmp(p("name", "familyName"), "co", "O'Malley")),
    ('userName sw "J"', cmp("userName", "sw", "J")),
    (f'{CORE}:userName sw "J"', cmp(p("userName", urn=CORE), "sw", "J")),
    ("title pr", pr("title")),
    (
        'meta.lastModified gt "2011-05-13T04:42:34Z"',
        cmp(p("meta", "lastModified"), "gt", "2011-05-13T04:42:34Z"),
    ),
    (
        'meta.lastModified ge "2011-05-13T04:42:34Z"',
        cmp(p("meta", "lastModified"), "ge", "2011-05-13T04:42:34Z"),
    ),
    (
        'meta.lastModified lt "2011-05-13T04:42:34Z"',
        cmp(p("meta", "lastModified"), "lt", "2011-05-13T04:42:34Z"),
    ),
    (
        'meta.lastModified le "2011-05-13T04:42:34Z"',
        cmp(p("meta", "lastModified"), "le", "2011-05-13T04:42:34Z"),
    ),
    ('title pr and userType eq "Employee"', And(pr("title"), EMPLOYEE)),
    ('title pr or userType eq "Intern"', Or(pr("title"), eq("userType", "Intern"))),
    (f'schemas eq "{ENTERPRISE}"', eq("schemas", ENTERPRISE)),
    (
        'userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")',
        And(EMPLOYEE, Or(cmp("emails", "co", "example.com"), cmp(p("emails", "value"), "co", "example.org"))),
    ),
    (
        'userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")',
        And(
            cmp("userType", "ne", "Employee"),
            Not(Or(cmp("emails", "co", "example.com"), cmp(p("emails", "value"), "co", "example.org"))),
        ),
    ),
    ('userType eq "Employee" and (emails.type eq "work")', And(EMPLOYEE, eq(p("emails", "type"), "work"))),
    (
        'userType eq "Employee" and emails[type eq "work" and value co "@example.com"]',
        And(EMPLOYEE, ValuePath(p("emails"), And(WORK, cmp("value", "co", "@example.com")))),
    ),
    (
        'emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]',
        Or(
            ValuePath(p("emails"), And(WORK, cmp("value", "co", "@example.com"))),
            ValuePath(p("ims"), And(eq("type", "xmpp"), cmp("value", "co", "@foo.com"))),
        ),
    ),
    # Value paths, members, URNs
    ('members[value eq "id"]', ValuePath(p("members"), eq("value", "id"))),
    ('emails[type eq "work"].value pr', ValuePath(p("emails"), And(WORK, pr("value")))),
    ('emails[type eq "work"].primary eq true', ValuePath(p("emails"), And(WORK, eq("primary", True)))),
    ('emails[not (type eq "work")]', ValuePath(p("emails"), Not(WORK))),
    (f'{ENTERPRISE}:manager.value eq "42"', eq(p("manager", "value", ENTERPRISE), "42")),
    (f'{ENTERPRISE}:employeeNumber eq "7"', eq(p("employeeNumber", urn=ENTERPRISE), "7")),
    (f'{CORE}:emails[type eq "work"]', ValuePath(p("emails", urn=CORE), WORK)),
    ("manager.$ref pr", pr(p("manager", "$ref"))),
    ("_x-1 pr", pr("_x-1")),
]


@pytest.mark.parametrize(("text", "expected"), VALID)
def test_valid_filter_parses_to_its_ast(text: str, expected: Filter) -> None:
    assert parse_filter(text) == expected


@pytest.mark.parametrize(("text", "expected"), VALID)
def test_rendered_filter_parses_back_to_the_same_ast(text: str, expected: Filter) -> None:
    assert parse_filter(render_filter(expected)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a pr and b pr or c pr", Or(And(pr("a"), pr("b")), pr("c"))),
        ("a pr or b pr and c pr", Or(pr("a"), And(pr("b"), pr("c")))),
        ("a pr and b pr and c pr", And(And(pr("a"), pr("b")), pr("c"))),
        ("a pr or b pr or c pr", Or(Or(pr("a"), pr("b")), pr("c"))),
        ("(a pr or b pr) and c pr", And(Or(pr("a"), pr("b")), pr("c"))),
        ("a pr and (b pr and c pr)", And(pr("a"), And(pr("b"), pr("c")))),
        ("not (a pr) and b pr", And(Not(pr("a")), pr("b"))),
        ("not (a pr or b pr) or c pr", Or(Not(Or(pr("a"), pr("b"))), pr("c"))),
        ("((a pr))", pr("a")),
    ],
)
def test_not_binds_tighter_than_and_which_binds_tighter_than_or_all_left_associative(
    text: str, expected: Filter
) -> None:
    assert parse_filter(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('userName EQ "x"', eq("userName", "x")),
        (
            "title PR AND userName Ne true OR NOT (a pr)",
            Or(And(pr("title"), cmp("userName", "ne", True)), Not(pr("a"))),
        ),
        ("a eq TRUE", eq("a", True)),
        ("a eq False", eq("a", False)),
        ("a eq NULL", eq("a", None)),
        (f'{ECMA.upper()}:X eq "y"', eq(p("X", urn=ECMA.upper()), "y")),
    ],
)
def test_keywords_are_case_insensitive(text: str, expected: Filter) -> None:
    assert parse_filter(text) == expected


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (r'a eq "say \"hi\""', 'say "hi"'),
        (r'a eq "back\\slash"', "back\\slash"),
        (r'a eq "\u00e9t\u00E9"', "été"),
        (r'a eq "\/\b\f\n\r\t"', "/\b\f\n\r\t"),
        (r'a eq "\ud83d\ude00"', "\U0001f600"),
        ('a eq "raw é and 日本"', "raw é and 日本"),
        ('a eq ""', ""),
        ('a eq "("', "("),
        ('a eq "and ] or ["', "and ] or ["),
    ],
)
def test_strings_take_every_json_escape(text: str, value: str) -> None:
    assert parse_filter(text) == eq("a", value)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("a eq 42", 42),
        ("a eq -7", -7),
        ("a eq 0", 0),
        ("a eq 1.5", 1.5),
        ("a eq -0.25", -0.25),
        ("a eq 1e3", 1000.0),
        ("a eq 2.5E-2", 0.025),
        ("a eq 12345678901234567890", 12345678901234567890),
    ],
)
def test_numbers_are_json_numbers_int_or_float(text: str, value: float) -> None:
    parsed = parse_filter(text)
    assert parsed == eq("a", value)
    assert isinstance(parsed, Compare)
    assert type(parsed.value) is type(value)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("a eq jyoung", "jyoung"),
        ("a eq 0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef", "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"),
        ("a eq 007", "007"),
        ("a eq someone@example.com", "someone@example.com"),
        ("a eq -dn-", "-dn-"),
    ],
)
def test_an_unquoted_word_that_is_not_a_keyword_or_number_is_a_string(text: str, value: str) -> None:
    assert parse_filter(text) == eq("a", value)


@pytest.mark.parametrize(
    "text",
    [
        'userName eq "x"',
        '  userName\t eq \t "x"  ',
        'userName eq"x"',
        '(userName eq "x")and(title pr)',
        'emails [ type eq "work" ]',
        "not(a pr)",
    ],
)
def test_whitespace_between_tokens_is_free_where_tokens_stay_distinct(text: str) -> None:
    parse_filter(text)


INVALID: list[tuple[str, str]] = [
    ("", "filter: is empty"),
    ("   ", "filter: is empty"),
    (
        "userName ",
        "filter: expected a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr) after 'userName' "
        "at position 9, found the end of the filter",
    ),
    ('userNameeq "x"', "after 'userNameeq' at position 11"),
    ('userName xx "x"', "found 'xx'"),
    ("userName eq", "expected a value"),
    ("userName eq )", "expected a value"),
    (
        "userName eq and",
        "expected a value (a \"quoted string\", a number, true, false or null) after 'userName eq'",
    ),
    ('userName eq "abc', "the string starting at position 12 has no closing '\"'"),
    (r'userName eq "a\x"', "invalid escape in the string at position 14"),
    (r'userName eq "\u12"', "invalid escape"),
    (
        'userName eq "x" title pr',
        "expected 'and', 'or' or the end of the filter after '\"x\"' at position 16",
    ),
    ('userName eq "x")', "found ')'"),
    ('(userName eq "x"', "expected 'and', 'or' or ')'"),
    ('userName eq "x" and', "expected an attribute path, 'not' or '('"),
    ('and userName eq "x"', "found 'and'"),
    ("not a pr", "expected '(' after 'not' at position 4, found 'a'; write not (filter)"),
    ("title pr pr", "expected 'and', 'or' or the end of the filter"),
    ('emails[type eq "work"', "expected 'and', 'or' or ']'"),
    ("emails[]", "expected a sub-attribute name, 'not' or '('"),
    (
        'emails[type.x eq "work"]',
        "expected a sub-attribute name (such as type, value or primary) inside '[ ]'",
    ),
    (f'emails[{ENTERPRISE}:x eq "work"]', "inside '[ ]'"),
    ("a[b[c pr]]", "value paths cannot be nested: unexpected '[' at position 3"),
    ("name.givenName[x pr]", "'[' cannot follow the sub-attribute 'name.givenName'"),
    ('emails[type eq "work"] eq "x"', "expected 'and', 'or' or the end of the filter"),
    ('emails[type eq "work"].value', "expected a comparison operator"),
    ('emails[type eq "work"].1x eq "x"', "'.' followed by a sub-attribute name"),
    ('foo:bar eq "x"', "a schema prefix must be a URN"),
    ('a.b.c eq "x"', "'a.b.c' at position 0 is not an attribute path"),
    ('1abc eq "x"', "is not an attribute path"),
    ('"userName" eq "x"', "expected an attribute path, 'not' or '('"),
    ("a eq 1e999", "the number at position 5 is out of range"),
    ("a eq " + "9" * 5000, "has too many digits"),
]


@pytest.mark.parametrize(("text", "fragment"), INVALID)
def test_invalid_filter_raises_invalid_filter_naming_the_problem(text: str, fragment: str) -> None:
    with pytest.raises(InvalidFilter) as caught:
        parse_filter(text)
    assert fragment in caught.value.detail
    assert caught.value.to_body()["scimType"] == "invalidFilter"


def test_filter_longer_than_max_length_is_refused_naming_the_limit() -> None:
    with pytest.raises(InvalidFilter, match="over the limit of 20"):
        parse_filter('userName eq "abcdefghijkl"', max_length=20)


def test_parentheses_deeper_than_max_depth_are_refused_naming_the_limit() -> None:
    text = "(" * 65 + "a pr" + ")" * 65
    with pytest.raises(InvalidFilter, match="deeper than the limit of 64 levels"):
        parse_filter(text)
    assert parse_filter("(" * 63 + "a pr" + ")" * 63) == pr("a")


def test_chains_of_and_or_count_toward_max_depth() -> None:
    assert isinstance(parse_filter(" or ".join(["a pr"] * 64)), Or)
    with pytest.raises(InvalidFilter, match="limit of 64"):
        parse_filter(" or ".join(["a pr"] * 65))
    assert isinstance(parse_filter(" and ".join(["a pr"] * 200), max_depth=500), And)


def test_huge_input_is_refused_without_recursion_error() -> None:
    with pytest.raises(InvalidFilter):
        parse_filter("(" * 9000, max_length=10_000)
    with pytest.raises(InvalidFilter):
        parse_filter("not (" * 2000)


PATHS: list[tuple[str, PatchPath]] = [
    ("userName", PatchPath(p("userName"))),
    ("active", PatchPath(p("active"))),
    ("name.familyName", PatchPath(p("name", "familyName"))),
    ('emails[type eq "work"].value', PatchPath(p("emails"), WORK, "value")),
    ('members[value eq "7f4bc1a3-0000"]', PatchPath(p("members"), eq("value", "7f4bc1a3-0000"))),
    ("members", PatchPath(p("members"))),
    ("manager", PatchPath(p("manager"))),
    (f"{ENTERPRISE}:employeeNumber", PatchPath(p("employeeNumber", urn=ENTERPRISE))),
    (f"{ENTERPRISE}:manager", PatchPath(p("manager", urn=ENTERPRISE))),
    (f"{ENTERPRISE}:manager.value", PatchPath(p("manager", "value", ENTERPRISE))),
    (f"{ECMA}:-dn-", PatchPath(p("-dn-", urn=ECMA))),
    (f'{CORE}:emails[type eq "work"].value', PatchPath(p("emails", urn=CORE), WORK, "value")),
    (' emails[type eq "work" and primary eq true] ', PatchPath(p("emails"), And(WORK, eq("primary", True)))),
]


@pytest.mark.parametrize(("text", "expected"), PATHS)
def test_patch_path_parses_to_attr_filter_and_sub(text: str, expected: PatchPath) -> None:
    assert parse_path(text) == expected


@pytest.mark.parametrize(("text", "expected"), PATHS)
def test_rendered_patch_path_parses_back(text: str, expected: PatchPath) -> None:
    assert parse_path(render_path(expected)) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "path: expected an attribute path"),
        ("user name", "path: expected '[' or the end of the path after 'user' at position 5, found 'name'"),
        ('emails[type eq "work"]value', "expected '.subAttribute' or the end of the path"),
        ('emails[type eq "work"].value.x', "'.' followed by a sub-attribute name"),
        ('emails[type eq "work"].value eq "x"', "expected the end of the path"),
        ("emails[type eq]", "path: expected a value"),
        ("emails[type eq 1", "expected 'and', 'or' or ']'"),
        ('emails[primary eq "a].value', "has no closing"),
        ('name.givenName[type eq "x"]', "cannot follow the sub-attribute"),
        ("a..b", "is not an attribute path"),
    ],
)
def test_invalid_patch_path_raises_invalid_path(text: str, fragment: str) -> None:
    with pytest.raises(InvalidPath) as caught:
        parse_path(text)
    assert fragment in caught.value.detail


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("userName", p("userName")),
        ("name.givenName", p("name", "givenName")),
        (" emails ", p("emails")),
        (f"{ENTERPRISE}:manager.value", p("manager", "value", ENTERPRISE)),
        (f"{ECMA}:-dn-", p("-dn-", urn=ECMA)),
        ("meta.$ref", p("meta", "$ref")),
    ],
)
def test_attr_path_parses_urn_attr_and_sub(text: str, expected: AttrPath) -> None:
    assert parse_attr_path(text) == expected
    assert str(expected) == text.strip()


@pytest.mark.parametrize("text", ["", "a b", "a.b.c", 'emails[type eq "work"]', "x:y", "1a"])
def test_invalid_attr_path_raises_invalid_value(text: str) -> None:
    with pytest.raises(InvalidValue, match="is not an attribute path"):
        parse_attr_path(text)


def test_render_uses_lowercase_operators_json_values_and_minimal_parentheses() -> None:
    ast = And(
        Compare(p("userName"), CompareOp.EQ, 'a "q"'),
        Or(pr("title"), Not(And(eq("active", False), eq("x", None)))),
    )
    assert render_filter(ast) == 'userName eq "a \\"q\\"" and (title pr or not (active eq false and x eq null))'


def test_render_refuses_non_finite_numbers() -> None:
    with pytest.raises(ValueError, match="cannot hold"):
        render_value(float("nan"))

"""SCIM filters become target filters over the connector's attributes, or a clear invalidFilter."""

from __future__ import annotations

import pytest

from ecmahost import errors
from ecmahost.connectors import query as q
from ecmahost.scim.filter_map import FilterTranslator
from ecmahost.scim.filter_parser import parse_filter

from demo_mapping import demo_mapping

ECMA = "urn:ietf:params:scim:schemas:extension:ECMA2Host:2.0:User"


def translate(text: str, object_type: str = "User") -> q.Filter:
    return FilterTranslator(demo_mapping(object_type), frozenset({"placeholder"})).translate(parse_filter(text))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('userName eq "a"', q.Compare("ContosoLogin", q.Op.EQ, "a", case_exact=False)),
        (f'{ECMA}:ContosoLogin eq "a"', q.Compare("ContosoLogin", q.Op.EQ, "a", case_exact=False)),
        ('emails[type eq "work"].value eq "x"', q.Compare("Email", q.Op.EQ, "x", case_exact=False)),
        ('emails[type eq "home"].value eq "x"', q.Const(False)),
        ("externalId eq jyoung", q.Compare("ExternalId", q.Op.EQ, "jyoung", case_exact=True)),
        ('id eq "abc"', q.Compare("InternalGUID", q.Op.EQ, "abc", case_exact=True)),
        ('active eq "False"', q.Compare("Active", q.Op.EQ, False, case_exact=False)),
        ("title pr", q.Present("Title")),
        ("title eq null", q.Not(q.Present("Title"))),
        ('PLACEHOLDER eq "8646d011"', q.Const(False)),
        ('manager.value eq "m"', q.Compare("ManagerGUID", q.Op.EQ, "m", case_exact=False)),
        (f'{ECMA}:-dn- eq "CN=abc,OBJECT=USER"', q.Compare("InternalGUID", q.Op.EQ, "abc")),
        (f'{ECMA}:-dn- eq "CN=abc,OBJECT=GROUP"', q.Const(False)),
    ],
)
def test_translation(text: str, expected: q.Filter) -> None:
    assert translate(text) == expected


def test_value_path_on_a_child_table_becomes_any() -> None:
    result = translate('phoneNumbers[type eq "work" and value sw "+1"]')
    assert result == q.Any_(
        "PhoneNumbers",
        q.And(
            (
                q.Compare("type", q.Op.EQ, "work", case_exact=False),
                q.Compare("value", q.Op.SW, "+1", case_exact=False),
            )
        ),
    )


def test_member_filter_becomes_any_on_members() -> None:
    assert translate('members[value eq "u1"]', "Group") == q.Any_(q.MEMBERS, q.Compare("value", q.Op.EQ, "u1"))
    assert translate('members.value eq "u1"', "Group") == q.Any_(q.MEMBERS, q.Compare("value", q.Op.EQ, "u1"))


def test_logic_is_kept_and_constants_folded() -> None:
    result = translate('userName eq "a" and (emails[type eq "home"].value eq "x" or title pr)')
    assert result == q.And((q.Compare("ContosoLogin", q.Op.EQ, "a", case_exact=False), q.Present("Title")))
    assert translate('not (emails[type eq "home"].value eq "x")') == q.Const(True)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('nickname2 eq "x"', "not stored by this connector"),
        ('phoneNumbers[display eq "x"]', "has no sub-attribute"),
        ("active gt true", "boolean"),
        ("userName co 5", "needs a string"),
        ('x509Certificates[value eq "x"]', "not stored"),
    ],
)
def test_unknown_attributes_and_impossible_comparisons_are_invalid_filter(text: str, message: str) -> None:
    with pytest.raises(errors.InvalidFilter, match=message):
        translate(text)

"""The LDAP filter compiler: every operator's RFC 4515 shape, escaping of values, members and refusals."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import parse_dn

from ecmahost.config.model import AttributeType
from ecmahost.connectors.errors import ConfigurationError
from ecmahost.connectors.ldap.dn import escape_value, renamed, unescape
from ecmahost.connectors.ldap.filter import (
    MATCH_ALL,
    MATCH_NONE,
    FilterScope,
    compile_filter,
    member_anchors,
    object_filter,
)
from ecmahost.connectors.query import (
    MEMBERS,
    META_CREATED,
    META_MODIFIED,
    And,
    Any_,
    Compare,
    Const,
    Not,
    Op,
    Or,
    Present,
)

SCOPE = FilterScope(
    types={
        "uid": AttributeType.STRING,
        "mail": AttributeType.STRING,
        "uidNumber": AttributeType.INTEGER,
        "entryUUID": AttributeType.STRING,
        "userPassword": AttributeType.STRING,
        "pwdLastSet": AttributeType.DATETIME,
    },
    anchor="entryUUID",
    member_attribute="member",
    member_values={"a1": "uid=a,ou=People,dc=example,dc=org"},
    empty_member="cn=nobody",
    hidden=frozenset({"userpassword"}),
)


def compiled(f) -> str:
    return compile_filter(f, SCOPE)


@pytest.mark.parametrize(
    ("op", "expected"),
    [
        (Op.EQ, "(uid=bob)"),
        (Op.NE, "(!(uid=bob))"),
        (Op.CO, "(uid=*bob*)"),
        (Op.SW, "(uid=bob*)"),
        (Op.EW, "(uid=*bob)"),
        (Op.GE, "(uid>=bob)"),
        (Op.LE, "(uid<=bob)"),
        (Op.GT, "(&(uid>=bob)(!(uid=bob)))"),
        (Op.LT, "(&(uid<=bob)(!(uid=bob)))"),
    ],
)
def test_each_operator_has_its_ldap_shape(op: Op, expected: str) -> None:
    assert compiled(Compare("uid", op, "bob")) == expected


@pytest.mark.parametrize("value", ["a*b", "(x)", "back\\slash", "nul\x00", "*)(uid=*", "é ü"])
@pytest.mark.parametrize("op", [Op.EQ, Op.CO, Op.SW, Op.EW])
def test_values_are_escaped_never_pasted(value: str, op: Op) -> None:
    result = compiled(Compare("uid", op, value))
    assert escape_filter_chars(value) in result
    assert result.count("(") == result.count(")")
    inner = result.removeprefix("(uid=").removesuffix(")").strip("*")
    assert inner == escape_filter_chars(value)


def test_null_eq_is_absence_and_null_ne_is_presence() -> None:
    assert compiled(Compare("mail", Op.EQ, None)) == "(!(mail=*))"
    assert compiled(Compare("mail", Op.NE, None)) == "(mail=*)"
    assert compiled(Compare("mail", Op.GT, None)) == MATCH_NONE


def test_typed_values_use_ldap_syntaxes() -> None:
    from datetime import UTC, datetime

    assert compiled(Compare("uidNumber", Op.GE, 1000)) == "(uidNumber>=1000)"
    moment = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    assert (
        compiled(Compare("pwdLastSet", Op.LT, moment))
        == "(&(pwdLastSet<=20240506070809Z)(!(pwdLastSet=20240506070809Z)))"
    )


def test_and_or_not_and_constants_compose() -> None:
    a, b = Compare("uid", Op.EQ, "a"), Present("mail")
    assert compiled(And((a, b))) == "(&(uid=a)(mail=*))"
    assert compiled(Or((a, b))) == "(|(uid=a)(mail=*))"
    assert compiled(Not(Or((a, b)))) == "(!(|(uid=a)(mail=*)))"
    assert compiled(Const(True)) == MATCH_ALL
    assert compiled(Const(False)) == MATCH_NONE
    assert compiled(Not(Const(False))) == MATCH_ALL
    assert compiled(And(())) == MATCH_ALL
    assert compiled(Or(())) == MATCH_NONE


def test_members_compile_to_resolved_member_values() -> None:
    assert compiled(Any_(MEMBERS, Compare("value", Op.EQ, "a1"))) == "(member=uid=a,ou=People,dc=example,dc=org)"
    assert compiled(Any_(MEMBERS, Compare("value", Op.EQ, "unknown"))) == MATCH_NONE
    assert compiled(Present(MEMBERS)) == "(&(member=*)(!(member=cn=nobody)))"
    assert member_anchors(And((Any_(MEMBERS, Compare("value", Op.EQ, "a1")), Present("uid")))) == {"a1"}


def test_multi_valued_simple_attribute_elements_filter_the_attribute_itself() -> None:
    assert compiled(Any_("mail", Compare("value", Op.EQ, "x@y"))) == "(mail=x@y)"


def test_dn_filters_use_the_servers_dn_attribute() -> None:
    assert compiled(Compare("-dn-", Op.EQ, "uid=a,dc=x")) == "(entryDN=uid=a,dc=x)"
    with pytest.raises(ConfigurationError):
        compiled(Compare("-dn-", Op.CO, "a"))


@pytest.mark.parametrize(
    "bad",
    [
        Compare("nosuch", Op.EQ, "x"),
        Compare("userPassword", Op.EQ, "secret"),
        Any_(MEMBERS, Compare("value", Op.NE, "a1")),
        Any_("mail", Compare("type", Op.EQ, "work")),
    ],
)
def test_unexpressible_or_forbidden_filters_are_configuration_errors_not_match_all(bad) -> None:
    with pytest.raises(ConfigurationError):
        compiled(bad)


def test_object_filter_ands_classes_extra_and_inner() -> None:
    assert object_filter(["inetOrgPerson"], None) == "(objectClass=inetOrgPerson)"
    assert (
        object_filter(["groupOfNames", "extensibleObject"], "(!(cn=admins))", "(cn=a)")
        == "(&(objectClass=groupOfNames)(objectClass=extensibleObject)(!(cn=admins))(cn=a))"
    )


def test_rdn_values_are_escaped_including_hash_anywhere() -> None:
    for value in ("Smith, John #2", "#lead", "trail ", " lead", 'a+b=c;"<>\\'):
        escaped = escape_value(value)
        assert parse_dn(f"uid={escaped},dc=x")[0][1] == escaped
        assert unescape(escaped) == value
    assert escape_value("a#b") == "a\\#b"
    assert renamed("uid=old,ou=P,dc=x", {"uid": "a+b"}, {}) == "uid=a\\+b"
    assert renamed("uid=same,ou=P,dc=x", {"uid": "SAME"}, {}) is None
    assert renamed("uid=x,ou=P,dc=x", {"mail": "m"}, {}) is None


def test_meta_keys_are_the_operational_timestamps_in_generalized_time() -> None:
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert compiled(Compare(META_CREATED, Op.GE, when)) == "(createTimestamp>=20260102030405Z)"
    assert compiled(Compare(META_MODIFIED, Op.GT, when)) == (
        "(&(modifyTimestamp>=20260102030405Z)(!(modifyTimestamp=20260102030405Z)))"
    )
    assert compiled(Present(META_CREATED)) == "(createTimestamp=*)"

"""The wizard's LDAP rules, from hand-made discovery results: which classes, anchor, DN template, member
attribute and attributes are proposed, and how answers change an LDAP object type."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecmahost.config.model import AttributeType
from ecmahost.connectors.base import DiscoveredAttribute, DiscoveredObjectClass, DiscoveredSchema
from ecmahost.home import Home
from ecmahost.wizard.answers import ObjectTypeAnswers, apply_object_type
from ecmahost.wizard.draft import ConnectorDraft
from ecmahost.wizard.profiles import LDAP, AnswerError, parse_create_defaults
from ecmahost.wizard.propose import (
    pick_container,
    pick_directory_anchor,
    propose_directory_answers,
    propose_directory_object_type,
)

SUFFIX = "dc=example,dc=org"
PEOPLE = f"ou=People,{SUFFIX}"


def attribute(name: str, *, required: bool = False, multi: bool = True, **kwargs: object) -> DiscoveredAttribute:
    return DiscoveredAttribute(name, multi_valued=multi, required=required, **kwargs)  # type: ignore[arg-type]


ENTRY_UUID = DiscoveredAttribute("entryUUID", unique=True, generated=True)
INET_ORG_PERSON = DiscoveredObjectClass(
    "inetOrgPerson",
    "structural",
    [
        attribute("sn", required=True),
        attribute("cn", required=True),
        attribute("objectClass", required=True),
        attribute("uid"),
        attribute("givenName"),
        attribute("mail"),
        attribute("telephoneNumber"),
        attribute("displayName", multi=False),
        attribute("jpegPhoto", type=AttributeType.BINARY),
        ENTRY_UUID,
    ],
)
POSIX_ACCOUNT = DiscoveredObjectClass(
    "posixAccount",
    "auxiliary",
    [attribute("uid", required=True), attribute("uidNumber", required=True, multi=False), attribute("gecos")],
)
GROUP_OF_NAMES = DiscoveredObjectClass(
    "groupOfNames",
    "structural",
    [attribute("member", required=True), attribute("cn", required=True), attribute("description"), ENTRY_UUID],
)
SCHEMA = DiscoveredSchema(
    [
        DiscoveredObjectClass("account", "structural", [attribute("uid", required=True)]),
        INET_ORG_PERSON,
        DiscoveredObjectClass("person", "structural", [attribute("sn", required=True)]),
        POSIX_ACCOUNT,
        GROUP_OF_NAMES,
        DiscoveredObjectClass("posixGroup", "structural", [attribute("memberUid"), attribute("cn", required=True)]),
    ],
    detail={"naming_contexts": SUFFIX},
)


def test_inetorgperson_is_proposed_for_users_before_account_and_person() -> None:
    assert pick_container("User", SCHEMA.object_classes) == "inetOrgPerson"
    assert pick_container("Group", SCHEMA.object_classes) == "groupOfNames"


def test_ad_lds_user_and_group_classes_come_first() -> None:
    classes = [DiscoveredObjectClass(name, "structural") for name in ("inetOrgPerson", "user", "group")]
    assert pick_container("User", classes) == "user"
    assert pick_container("Group", classes) == "group"


def test_auxiliary_classes_are_never_proposed_as_the_container() -> None:
    classes = [DiscoveredObjectClass("userSecurityInformation", "auxiliary")]
    assert pick_container("User", classes) is None


@pytest.mark.parametrize(
    ("names", "vendor", "expected"),
    [
        (["uid", "entryUUID"], "", "entryUUID"),
        (["cn", "objectGUID"], "", "objectGUID"),
        (["nsUniqueId", "entryUUID"], "389 Project", "nsUniqueId"),
        (["nsUniqueId", "entryUUID"], "", "entryUUID"),
        (["nsUniqueId"], "", "nsUniqueId"),
        (["cn"], "", "-dn-"),
    ],
)
def test_the_anchor_is_the_directorys_own_entry_id(names: list[str], vendor: str, expected: str) -> None:
    assert pick_directory_anchor(names, vendor) == expected


def test_users_are_named_by_uid_below_the_naming_context_with_cn_filled_in() -> None:
    assert propose_directory_answers("User", INET_ORG_PERSON, [SUFFIX]) == {
        "base_dn": SUFFIX,
        "dn_template": f"uid={{uid}},{SUFFIX}",
        "create_defaults": "cn={uid}",
    }


def test_ad_lds_users_are_named_by_cn() -> None:
    user = DiscoveredObjectClass("user", "structural", [attribute("cn", required=True), attribute("uid")])
    user.attributes.append(DiscoveredAttribute("objectGUID", generated=True))
    answers = propose_directory_answers("User", user, ["CN=App,DC=contoso,DC=lab"])
    assert answers["dn_template"] == "cn={cn},CN=App,DC=contoso,DC=lab"
    assert "create_defaults" not in answers


def test_group_of_names_gets_member_and_a_placeholder_member() -> None:
    answers = propose_directory_answers("Group", GROUP_OF_NAMES, [SUFFIX])
    assert answers["member_attribute"] == "member"
    assert answers["empty_member_dn"] == f"cn=nobody,{SUFFIX}"
    target = LDAP.target_for("groupOfNames", answers)
    assert target["dn_template"] == f"cn={{cn}},{SUFFIX}"


def test_member_uid_groups_reference_members_by_uid_without_placeholder() -> None:
    target = LDAP.target_for("posixGroup", {"base_dn": SUFFIX, "member_attribute": "memberUid", "empty_member_dn": "x"})
    assert target["member_reference"] == "uid"
    assert "empty_member_dn" not in target


def test_mapped_attributes_are_single_value_and_other_selected_ones_lists() -> None:
    target = LDAP.target_for("inetOrgPerson", propose_directory_answers("User", INET_ORG_PERSON, [SUFFIX]))
    proposal = propose_directory_object_type("User", INET_ORG_PERSON, target)
    selected = proposal.attributes
    assert selected["uid"].scim == "userName"
    assert selected["uid"].required
    assert selected["uid"].unique
    assert not selected["sn"].multi_valued
    assert selected["sn"].scim == "name.familyName"
    assert not selected["cn"].required  # filled by create_defaults
    assert proposal.anchor == "entryUUID"
    assert proposal.anchor_generate.value == "target"
    assert selected["entryUUID"].extra == {"mutability": "readOnly", "case_exact": True}
    assert "telephoneNumber" not in selected  # offered on the page, not selected by default


def test_objectclass_binary_and_the_member_attribute_are_never_selected() -> None:
    user = propose_directory_object_type("User", INET_ORG_PERSON, {"object_classes": ["inetOrgPerson"]})
    group_target = LDAP.target_for("groupOfNames", propose_directory_answers("Group", GROUP_OF_NAMES, [SUFFIX]))
    group = propose_directory_object_type("Group", GROUP_OF_NAMES, group_target)
    assert "objectClass" not in user.attributes
    assert "jpegPhoto" not in user.attributes
    assert "member" not in group.attributes
    assert group.attributes["cn"].scim == "displayName"


def test_a_boolean_disabled_attribute_is_set_to_true_on_disable() -> None:
    user = DiscoveredObjectClass(
        "user",
        "structural",
        [attribute("cn", required=True), DiscoveredAttribute("msDS-UserAccountDisabled", type=AttributeType.BOOLEAN)],
    )
    proposal = propose_directory_object_type("User", user, {"object_classes": ["user"]})
    assert proposal.disable.to_file() == {"set": {"msDS-UserAccountDisabled": True}}
    assert proposal.attributes["msDS-UserAccountDisabled"].type is AttributeType.BOOLEAN


def test_a_changed_base_dn_moves_a_dn_template_that_was_not_edited() -> None:
    current = LDAP.target_for("inetOrgPerson", {"base_dn": SUFFIX, "dn_template": f"uid={{uid}},{SUFFIX}"})
    current["scope"] = "one"
    moved = LDAP.update_target(current, "inetOrgPerson", {"base_dn": PEOPLE})
    assert moved["dn_template"] == f"uid={{uid}},{PEOPLE}"
    assert moved["scope"] == "one"  # a key the wizard does not ask is kept
    edited = LDAP.update_target(current, "inetOrgPerson", {"base_dn": PEOPLE, "dn_template": f"cn={{cn}},{PEOPLE}"})
    assert edited["dn_template"] == f"cn={{cn}},{PEOPLE}"


def test_values_for_new_entries_are_attribute_template_pairs() -> None:
    assert parse_create_defaults("cn={givenName} {sn}; description=Managed") == {
        "cn": "{givenName} {sn}",
        "description": "Managed",
    }
    with pytest.raises(AnswerError, match="ATTRIBUTE=TEMPLATE"):
        parse_create_defaults("cn")


def test_adding_an_auxiliary_class_selects_its_mandatory_attributes(tmp_path: Path) -> None:
    draft = ConnectorDraft(name="dir", type="ldap")
    apply_object_type(draft, "User", ObjectTypeAnswers("inetOrgPerson", {"base_dn": PEOPLE}), LDAP, SCHEMA)
    assert "uidNumber" not in draft.object_types["User"].attributes
    answers = ObjectTypeAnswers("inetOrgPerson", {"auxiliary_classes": "posixAccount"})
    user = apply_object_type(draft, "User", answers, LDAP, SCHEMA)
    assert user.target["object_classes"] == ["inetOrgPerson", "posixAccount"]
    assert user.attributes["uidNumber"].required
    assert user.target["dn_template"] == f"uid={{uid}},{PEOPLE}"


def test_attributes_can_be_given_as_lists_or_single_values() -> None:
    draft = ConnectorDraft(name="dir", type="ldap")
    answers = ObjectTypeAnswers("inetOrgPerson", {"base_dn": PEOPLE}, multi_valued=["telephoneNumber"])
    answers.single_value = ["sn"]
    user = apply_object_type(draft, "User", answers, LDAP, SCHEMA)
    assert user.attributes["telephoneNumber"].multi_valued
    assert user.to_file()["attributes"]["telephoneNumber"] == {"multi_valued": True}
    with pytest.raises(AnswerError, match="not an attribute"):
        apply_object_type(draft, "User", ObjectTypeAnswers("inetOrgPerson", multi_valued=["shoeSize"]), LDAP, SCHEMA)


def test_ldap_connectivity_answers_keep_the_keys_the_wizard_does_not_ask(tmp_path: Path) -> None:
    home = Home(tmp_path)
    home.ensure()
    draft = ConnectorDraft(
        name="dir",
        type="ldap",
        connection={"host": "old", "security": "ldaps", "password": "enc:x", "timeout_seconds": 20},
    )
    LDAP.apply_connectivity(draft, {"host": "ldap.example", "port": "389", "security": "none"}, home)
    assert draft.connection == {"host": "ldap.example", "port": 389, "password": "enc:x", "timeout_seconds": 20}

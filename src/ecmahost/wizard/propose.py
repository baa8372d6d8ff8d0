"""The wizard's first configuration, proposed from what discovery found (shown on every page and used for what a
script does not state, see `wizard.answers.apply_object_type`), by rules an admin can predict:

- the container named like `user`, `employee`, `person`, `account` (Users) or `group`, `role`, `team` (Groups),
  the earlier word first, never a link table; in a directory only structural classes (`inetOrgPerson`,
  `groupOfNames`, AD's `user`);
- SQL: the anchor and who produces its value, a group's link table and the created/modified columns from the
  table's facts (`wizard.keys`: keys, identity and defaults, foreign keys, types); what the facts leave open is
  put in `ObjectTypeDraft.undecided`, an issue until the admin answers it;
- LDAP anchor: the directory's own immutable id, read back after the add (`generate: target`): `objectGUID` on
  AD LDS, `nsUniqueId` on 389 DS, `entryUUID` elsewhere (OpenLDAP); the DN (`-dn-`) when there is none;
- LDAP placement: the first naming context as base DN, a DN template `uid={uid},<base>` for users (`cn=` for
  groups and on AD LDS), `cn={uid}` as the value of a mandatory `cn` that is not the naming attribute, the first
  of `member`/`uniqueMember`/`memberUid` the group class has, and a placeholder member (`cn=nobody,<base>`)
  when the class requires one;
- each attribute whose name matches a well-known SCIM attribute (`wizard.naming`: login -> userName, given/first
  name -> name.givenName, mail -> work email, enabled/active -> active, ...) is mapped to it, once, unless its
  type says otherwise; with no such name, the one unique required string column is userName (displayName for
  groups); in a directory, where almost every attribute is multi-valued, a mapped attribute is treated as single
  value and the others selected are lists; only the mandatory, mapped, naming and anchor attributes are selected
  there (not all fifty);
- disable sets the boolean attribute mapped to `active` to false, or a boolean `*Disabled` attribute (AD LDS's
  `msDS-UserAccountDisabled`) to true, when there is one; delete deletes.

It touches no target and writes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ecmahost.config.model import AnchorGeneration, AttributeType
from ecmahost.connectors.base import DiscoveredAttribute, DiscoveredObjectClass, DiscoveredSchema
from ecmahost.wizard.discovery import combined_class, naming_contexts
from ecmahost.wizard.draft import Deprovision, ObjectTypeDraft, SelectedAttribute
from ecmahost.wizard.keys import AnchorProposal, propose_anchor, propose_link_table, timestamp_columns
from ecmahost.wizard.naming import MANAGER, propose_mapping
from ecmahost.wizard.profiles import LDAP_MEMBER_ATTRIBUTES, AnswerError, TypeProfile, member_holder, rebase_dn

CONTAINER_WORDS = {
    "User": ("user", "employee", "inetorgperson", "person", "people", "account", "staff"),
    "Group": ("group", "groupofnames", "groupofuniquenames", "role", "team"),
}
"""in order of preference: AD LDS has both `user` and `inetOrgPerson`, OpenLDAP `inetOrgPerson` and `account`"""
DIRECTORY_ANCHORS = ("objectGUID", "nsUniqueId", "entryUUID")
DN = "-dn-"
MATCHING = {"User": "userName", "Group": "displayName"}
"""the attribute Entra matches existing objects on, by default"""

_OPERATIONAL = re.compile(r"(created|modified|updated)(_?at|_?on|timestamp)?$", re.IGNORECASE)


def pick_container(object_type: str, classes: Sequence[DiscoveredObjectClass]) -> str | None:
    """The discovered table/structural object class that most likely holds `object_type`, or None."""
    candidates = [item for item in classes if item.kind not in ("auxiliary", "abstract") and not _is_link(item)]
    for exact in (True, False):
        for word in CONTAINER_WORDS[object_type]:
            for item in candidates:
                lowered = item.name.lower()
                if (exact and word in (lowered, lowered.rstrip("s"))) or (not exact and word in lowered):
                    return item.name
    return None


def _is_link(item: DiscoveredObjectClass) -> bool:
    """A link table: two or more foreign keys and nothing else of its own (`TeamMembers(Team, Person)`)."""
    own = [a for a in item.attributes if not a.generated]
    return len(own) >= 2 and all(a.references for a in own)


def propose_object_type(
    object_type: str,
    discovered: DiscoveredObjectClass,
    target: dict[str, object],
    by_name: AnchorGeneration = AnchorGeneration.UUID,
) -> ObjectTypeDraft:
    """A full object type from one discovered table/object class: every attribute selected (not the one holding
    a group's members, not the created/modified columns, which become the SQL `timestamps`); the anchor and where
    its value comes from by the keys (`wizard.keys`), what the facts leave open in `undecided`."""
    attributes = _exposed_attributes(discovered, target)
    anchor = propose_anchor(discovered, attributes, object_type, by_name)
    mapping = _proposed_mapping(object_type, discovered, attributes, anchor)
    selected = {
        attribute.name: _selected_attribute(attribute, mapping.get(attribute.name), anchor)
        for attribute in attributes
        if attribute.type not in (AttributeType.BINARY, AttributeType.COMPLEX)
    }
    if not any(a.primary_key or a.unique or a.required for a in attributes):  # a CSV header, a JSON object
        _require_matching(object_type, selected)
    draft = _anchored_draft(target, anchor, selected)
    _propose_disable(object_type, draft, discovered)
    return draft


def _exposed_attributes(discovered: DiscoveredObjectClass, target: dict[str, object]) -> list[DiscoveredAttribute]:
    """The attributes an object type exposes: not the operational ones, not the one holding a group's members,
    not a table's created/modified columns (set as the target's `timestamps`)."""
    stamps = timestamp_columns(discovered.attributes) if discovered.kind == "table" and "table" in target else {}
    if stamps:
        target["timestamps"] = dict(stamps)
    skipped = {member_holder(target), *stamps.values()}
    return [
        a for a in discovered.attributes if not (a.generated and _OPERATIONAL.match(a.name)) and a.name not in skipped
    ]


def _proposed_mapping(
    object_type: str,
    discovered: DiscoveredObjectClass,
    attributes: Sequence[DiscoveredAttribute],
    anchor: AnchorProposal,
) -> dict[str, str]:
    """Attribute -> SCIM attribute for the attributes a client may write (single-valued, not read-only, not an
    anchor the host or target produces): by name and type, else the one unique column for matching."""
    writable = [
        a
        for a in attributes
        if not a.multi_valued
        and not a.read_only
        and (a.name != anchor.attribute or anchor.generate is AnchorGeneration.NONE)
    ]
    mapping = _typed(discovered, propose_mapping(object_type, [a.name for a in writable]), attributes)
    return mapping | _unique_matching_column(object_type, writable, mapping)


def _selected_attribute(attribute: DiscoveredAttribute, scim: str | None, anchor: AnchorProposal) -> SelectedAttribute:
    """One discovered attribute as selected: its SCIM attribute and type; required and unique as the target says
    (not for the anchor, nor unique for a primary key); read-only when the target computes or fills it."""
    is_anchor = attribute.name == anchor.attribute
    selected = SelectedAttribute(
        scim=scim,
        type=_scim_type(scim, attribute.type),
        required=attribute.required and not is_anchor,
        unique=attribute.unique and not is_anchor and not attribute.primary_key,
        multi_valued=attribute.multi_valued,
    )
    if not is_anchor and (attribute.read_only or (attribute.generated and (attribute.primary_key or attribute.unique))):
        selected.extra["mutability"] = "readOnly"  # computed, or an identity the target fills
    return selected


def _anchored_draft(
    target: dict[str, object], anchor: AnchorProposal, selected: dict[str, SelectedAttribute]
) -> ObjectTypeDraft:
    """The object type with its anchor (an open question in `undecided`); an anchor the host or the target
    produces is read-only."""
    draft = ObjectTypeDraft(
        target=target, anchor=anchor.attribute, anchor_generate=anchor.generate, attributes=selected
    )
    if anchor.problem:
        draft.undecided["anchor"] = anchor.problem
    if anchor.attribute in selected and anchor.generate is not AnchorGeneration.NONE:
        selected[anchor.attribute].extra.setdefault("mutability", "readOnly")
    return draft


def _require_matching(object_type: str, selected: Mapping[str, SelectedAttribute]) -> None:
    """In a source without keys, the attribute mapped to the one Entra matches on is required and unique."""
    for selected_attribute in selected.values():
        if selected_attribute.scim == MATCHING[object_type]:  # Entra matches on it: it must be unique
            selected_attribute.required = selected_attribute.unique = True


def _typed(
    discovered: DiscoveredObjectClass, mapping: dict[str, str], attributes: Sequence[DiscoveredAttribute]
) -> dict[str, str]:
    """The name-based mapping less what the types contradict: in a typed source (a table) `active` needs a
    boolean (or 0/1 integer) column and the manager a string column (a user's id as the SCIM client sends it)."""
    if discovered.kind != "table":
        return mapping
    types = {a.name: a.type for a in attributes}
    flags = (AttributeType.BOOLEAN, AttributeType.INTEGER)
    return {
        name: scim
        for name, scim in mapping.items()
        if not (scim == "active" and types.get(name) not in flags)
        and not (scim == MANAGER and types.get(name) is not AttributeType.STRING)
    }


def _unique_matching_column(
    object_type: str, attributes: Sequence[DiscoveredAttribute], mapping: Mapping[str, str]
) -> dict[str, str]:
    """The one unique, required string column of a table (not the anchor) is what Entra matches on (`userName`,
    a group's `displayName`) when no name said so; none when there are several or none."""
    matching = MATCHING[object_type]
    if matching in mapping.values():
        return {}
    candidates = [
        a
        for a in attributes
        if a.unique and a.required and a.type is AttributeType.STRING and not a.generated and a.name not in mapping
    ]
    return {candidates[0].name: matching} if len(candidates) == 1 else {}


def _scim_type(scim: str | None, found: AttributeType) -> AttributeType:
    """The SCIM attribute's type, not the column's: every core and enterprise attribute the wizard maps besides
    `active` and `manager` is a string (RFC 7643 §4), so a number column mapped to one (`externalId`,
    `employeeNumber`) is served as a string, as strict clients expect."""
    if scim == "active":
        return AttributeType.BOOLEAN
    if scim == MANAGER:
        return AttributeType.REFERENCE
    if scim and found in (AttributeType.INTEGER, AttributeType.DECIMAL):
        return AttributeType.STRING
    return found


def _propose_disable(object_type: str, draft: ObjectTypeDraft, discovered: DiscoveredObjectClass) -> None:
    """Set the boolean mapped to `active` to false, or a boolean `*Disabled` attribute to true (selecting it)."""
    if object_type != "User":
        return
    active = next((name for name, selected in draft.attributes.items() if selected.scim == "active"), None)
    if active is not None:
        draft.disable = Deprovision("set", active, False)
        return
    for attribute in discovered.attributes:
        if attribute.type is AttributeType.BOOLEAN and attribute.name.lower().endswith("disabled"):
            draft.attributes.setdefault(attribute.name, SelectedAttribute(type=AttributeType.BOOLEAN))
            draft.disable = Deprovision("set", attribute.name, True)
            return


# --- LDAP ---------------------------------------------------------------------------------------------------


def pick_directory_anchor(names: Iterable[str], vendor: str = "") -> str:
    """The directory's immutable entry id: objectGUID (AD LDS), nsUniqueId (389 DS), entryUUID; else the DN."""
    present = {name.lower(): name for name in names}
    preferred = list(DIRECTORY_ANCHORS)
    if "389" not in vendor and "nsuniqueid" in present and "entryuuid" in present:
        preferred.remove("nsUniqueId")  # a 389-compatible schema loaded elsewhere: entryUUID is native there
    return next((present[name.lower()] for name in preferred if name.lower() in present), DN)


def propose_directory_answers(
    object_type: str, discovered: DiscoveredObjectClass, contexts: Sequence[str]
) -> dict[str, str]:
    """The LDAP object type questions' proposed answers (base DN, DN template, defaults, member attribute)."""
    found = {attribute.name.lower(): attribute for attribute in discovered.attributes}
    base = contexts[0] if contexts else ""
    active_directory = "objectguid" in found
    rdn = "uid" if object_type == "User" and "uid" in found and not active_directory else "cn"
    answers = {"base_dn": base, "dn_template": f"{rdn}={{{rdn}}},{base}" if base else ""}
    if object_type == "User" and "cn" in found and found["cn"].required and rdn != "cn":
        answers["create_defaults"] = f"cn={{{rdn}}}"
    if object_type == "Group":
        member = next((name for name in LDAP_MEMBER_ATTRIBUTES if name.lower() in found), "")
        answers["member_attribute"] = member
        if member in ("member", "uniqueMember") and found[member.lower()].required and base:
            answers["empty_member_dn"] = f"cn=nobody,{base}"
    return answers


def propose_directory_object_type(
    object_type: str, discovered: DiscoveredObjectClass, target: Mapping[str, Any], vendor: str = ""
) -> ObjectTypeDraft:
    """An LDAP object type: the mandatory, mapped, naming and anchor attributes of the classes, selected."""
    member = str(target.get("member_attribute") or "").lower()
    defaults = {name.lower() for name in target.get("create_defaults") or {}}
    naming = {name.lower() for name in re.findall(r"\{([^{}]+)\}", str(target.get("dn_template") or "").split(",")[0])}
    attributes = [
        a
        for a in discovered.attributes
        if a.name.lower() not in ("objectclass", member) and a.type is not AttributeType.BINARY
    ]
    anchor = pick_directory_anchor((a.name for a in attributes), vendor)
    candidates = [a for a in attributes if a.name.lower() not in {n.lower() for n in DIRECTORY_ANCHORS}]
    mapping = propose_mapping(object_type, [a.name for a in candidates])
    mapping = {name: scim for name, scim in mapping.items() if not scim.startswith("phoneNumbers")}  # lists there
    selected: dict[str, SelectedAttribute] = {}
    if anchor == DN:
        selected[DN] = SelectedAttribute(extra={"mutability": "readOnly"})
    for attribute in attributes:
        lowered = attribute.name.lower()
        if attribute.name == anchor:
            selected[anchor] = SelectedAttribute(extra={"mutability": "readOnly", "case_exact": True})
        elif attribute in candidates and (attribute.name in mapping or attribute.required or lowered in naming):
            scim = mapping.get(attribute.name)
            selected[attribute.name] = SelectedAttribute(
                scim=scim,
                type=AttributeType.BOOLEAN if scim == "active" else attribute.type,
                required=lowered in naming or (attribute.required and lowered not in defaults),
                unique=lowered in naming,
                multi_valued=attribute.multi_valued and scim is None and lowered not in naming,
            )
    draft = ObjectTypeDraft(
        target=dict(target), anchor=anchor, anchor_generate=AnchorGeneration.TARGET, attributes=selected
    )
    _propose_disable(object_type, draft, discovered)
    return draft


def select_required(object_type: ObjectTypeDraft, discovered: DiscoveredObjectClass) -> list[str]:
    """Select the mandatory attributes not selected yet (after an auxiliary class was added); their names."""
    taken = {name.lower() for name in object_type.attributes}
    taken |= {"objectclass", str(object_type.target.get("member_attribute") or "").lower()}
    taken |= {name.lower() for name in object_type.target.get("create_defaults") or {}}
    added = []
    for attribute in discovered.attributes:
        if attribute.required and attribute.name.lower() not in taken and not attribute.generated:
            object_type.attributes[attribute.name] = SelectedAttribute(
                type=attribute.type, required=True, multi_valued=attribute.multi_valued
            )
            added.append(attribute.name)
    return added


# --- both -----------------------------------------------------------------------------------------------------


def propose_answers(
    profile: TypeProfile,
    object_type: str,
    container: str,
    schema: DiscoveredSchema | None,
    users: str = "",
    members_table: str = "",
) -> dict[str, str]:
    """The object type questions' proposed answers for `container` (SQL groups: the link table to `users`, the
    users' table, or the `members_table` named)."""
    if profile.type_name == "ldap":
        discovered = combined_class(schema, [container])
        return propose_directory_answers(object_type, discovered, naming_contexts(schema)) if discovered else {}
    if profile.type_name == "csv" and object_type == "Group":
        discovered = combined_class(schema, [container])
        names = [attribute.name for attribute in discovered.attributes] if discovered else []
        return {"members_column": next((name for name in names if "member" in name.lower()), "")}
    if profile.type_name == "sql" and object_type == "Group" and schema is not None:
        users = users or pick_container("User", schema.object_classes) or ""
        return propose_link_table(schema.object_classes, container, users, members_table)
    return {}


def proposal(
    profile: TypeProfile,
    object_type: str,
    container: str,
    schema: DiscoveredSchema | None,
    answers: Mapping[str, str] | None = None,
    users: str = "",
) -> ObjectTypeDraft:
    """A whole object type for `container`: the proposed answers overridden by the given (non-empty) ones."""
    given = {key: value for key, value in (answers or {}).items() if str(value).strip()}
    proposed = propose_answers(profile, object_type, container, schema, users, given.get("members_table", ""))
    if "dn_template" not in given and "rdn" in given:
        proposed.pop("dn_template", None)
    elif "dn_template" not in given and "dn_template" in proposed:
        proposed["dn_template"] = rebase_dn(proposed["dn_template"], proposed["base_dn"], given.get("base_dn", ""))
    target = profile.target_for(container, {**proposed, **given})
    discovered = combined_class(schema, target.get("object_classes") or [container])
    if discovered is None and profile.new_containers:
        discovered = DiscoveredObjectClass(container, "new", [])  # its attributes are added on Select Attributes
    if discovered is None:
        raise AnswerError(f"{profile.container_word} {container!r} was not found in the target")
    if profile.type_name == "ldap":
        vendor = schema.detail.get("vendor", "") if schema else ""
        return propose_directory_object_type(object_type, discovered, target, vendor)
    proposed = propose_object_type(object_type, discovered, target, profile.anchor_generation)
    proposed.container = container
    return proposed

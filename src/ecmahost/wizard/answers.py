"""Scripted answers to the wizard: what `ecmahost connector new/edit` takes as flags or as an answers file.

An answers file is YAML with the same words as the pages::

    name: hr
    type: sql
    description: HR database
    connectivity: {dialect: postgresql, host: db.example, database: hr, username: ecma}
    password_env: HR_DB_PASSWORD        # or type it at the hidden prompt; never in the file
    views: both                         # both | core | extension: the SCIM views the connector serves
    object_types:
      User:
        container: Employees            # table/view, or LDAP object class
        options: {}                     # the type's object type questions (base_dn, rdn, members_table...)
        child_tables:                   # SQL: complex multi-valued attributes stored in child tables
          PhoneNumbers: {table: EmployeePhoneNumbers, key: EmployeeGUID, columns: {value: Value, type: Type}}
        anchor: InternalGUID            # optional: the proposal's choice otherwise
        anchor_generate: uuid           # uuid | target | none
        map: {ContosoLogin: userName, Nick: null}   # null: exposed only in the ECMA2Host extension
        drop: [textID]                  # do not expose these
        multi_valued: [telephoneNumber] # LDAP: give and take lists ("Treat as single value" unchecked)
        single_value: [description]     # LDAP: the first value only ("Treat as single value" checked)
        disable: "set:Active=false"     # nothing | delete | set:<boolean attribute>=true|false
        delete: delete

`apply_object_type` starts from the proposal made from discovery (`wizard.propose`) and then applies the
answers, so a script only states what differs. It prompts for nothing and touches no target.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ecmahost.config.model import AnchorGeneration, AttributeType, SchemaViews
from ecmahost.connectors.base import DiscoveredAttribute, DiscoveredObjectClass, DiscoveredSchema
from ecmahost.wizard.child_tables import render_child_tables, select_child_attributes
from ecmahost.wizard.discovery import combined_class
from ecmahost.wizard.draft import ConnectorDraft, Deprovision, ObjectTypeDraft, SelectedAttribute
from ecmahost.wizard.keys import generation_of, link_mismatch
from ecmahost.wizard.profiles import AnswerError, TypeProfile, member_holder, place_of
from ecmahost.wizard.propose import proposal, propose_answers, select_required

__all__ = [
    "AnswerError",
    "Answers",
    "ObjectTypeAnswers",
    "answers_from_mapping",
    "apply_object_type",
    "parse_views",
]


@dataclass(slots=True)
class ObjectTypeAnswers:
    container: str
    options: dict[str, str] = field(default_factory=dict)
    anchor: str | None = None
    anchor_generate: str | None = None
    dn: str | None = None
    map: dict[str, str | None] = field(default_factory=dict)
    drop: list[str] = field(default_factory=list)
    multi_valued: list[str] = field(default_factory=list)
    single_value: list[str] = field(default_factory=list)
    disable: str | None = None
    delete: str | None = None


@dataclass(slots=True)
class Answers:
    name: str | None = None
    type: str | None = None
    description: str | None = None
    connectivity: dict[str, str] = field(default_factory=dict)
    password_env: str | None = None
    object_types: dict[str, ObjectTypeAnswers] = field(default_factory=dict)
    views: SchemaViews | None = None
    """the connector's `views:` (None: ask, or keep the file's)"""


def parse_views(text: str, where: str = "views") -> SchemaViews:
    """`both`, `core` or `extension`, in any case; anything else names the choices."""
    try:
        return SchemaViews(text.strip().lower())
    except ValueError:
        raise AnswerError(f"{where} {text!r}: choose one of {', '.join(v.value for v in SchemaViews)}") from None


def answers_from_mapping(data: Mapping[str, Any]) -> Answers:
    known = {"name", "type", "description", "connectivity", "password_env", "object_types", "views"}
    unknown = set(data) - known
    if unknown:
        raise AnswerError(f"unknown answer(s): {', '.join(sorted(unknown))}")
    object_types = {}
    for type_name, body in (data.get("object_types") or {}).items():
        if isinstance(body, str):
            body = {"container": body}
        if not isinstance(body, Mapping) or not body.get("container"):
            raise AnswerError(f"object_types.{type_name}: give at least `container:` (table or object class)")
        body = dict(body)
        children = body.pop("child_tables", None)
        if isinstance(children, Mapping):
            body["options"] = {**(body.get("options") or {}), "child_tables": render_child_tables(children)}
        allowed = set(ObjectTypeAnswers.__dataclass_fields__)
        if set(body) - allowed:
            raise AnswerError(f"object_types.{type_name}: unknown answer(s) {', '.join(sorted(set(body) - allowed))}")
        object_types[str(type_name)] = ObjectTypeAnswers(
            container=str(body["container"]),
            options={str(k): str(v) for k, v in (body.get("options") or {}).items()},
            anchor=body.get("anchor"),
            anchor_generate=body.get("anchor_generate"),
            dn=body.get("dn"),
            map={str(k): (None if v in (None, "") else str(v)) for k, v in (body.get("map") or {}).items()},
            drop=[str(item) for item in body.get("drop") or []],
            multi_valued=[str(item) for item in body.get("multi_valued") or []],
            single_value=[str(item) for item in body.get("single_value") or []],
            disable=body.get("disable"),
            delete=body.get("delete"),
        )
    return Answers(
        name=data.get("name"),
        type=data.get("type"),
        description=data.get("description"),
        connectivity={str(k): str(v) for k, v in (data.get("connectivity") or {}).items()},
        password_env=data.get("password_env"),
        object_types=object_types,
        views=parse_views(str(data["views"])) if data.get("views") is not None else None,
    )


def parse_deprovision(text: str) -> Deprovision:
    """`nothing`, `delete` or `set:<attribute>=true|false`."""
    kind, _, rest = text.strip().partition(":")
    if kind in ("nothing", "delete") and not rest:
        return Deprovision(kind)
    attribute, _, value = rest.partition("=")
    if kind == "set" and attribute and value.lower() in ("true", "false"):
        return Deprovision("set", attribute, value.lower() == "true")
    raise AnswerError(f"{text!r}: use nothing, delete or set:<boolean attribute>=true|false")


def parse_key_value(text: str, what: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise AnswerError(f"{what} {text!r}: write KEY=VALUE")
    return key.strip(), value.strip()


def _complete_member_keys(
    type_name: str, answers: ObjectTypeAnswers, profile: TypeProfile, schema: DiscoveredSchema | None, users: str
) -> None:
    """A members table named without its columns: `group_key`/`member_key` from its foreign keys."""
    table = answers.options.get("members_table", "").strip()
    keys = ("group_key", "member_key")
    if type_name != "Group" or profile.type_name != "sql" or not table or all(answers.options.get(k) for k in keys):
        return
    found = propose_answers(profile, type_name, answers.container, schema, users, table)
    for key in keys:
        if not answers.options.get(key) and found.get(key):
            answers.options[key] = found[key]


def _change_anchor(
    object_type: ObjectTypeDraft, type_name: str, anchor: str, discovered: DiscoveredObjectClass | None
) -> None:
    """A newly chosen anchor: who produces its value, from its facts in a table (a question when they do not say)."""
    object_type.anchor = anchor
    object_type.undecided.pop("anchor", None)
    found = next((a for a in discovered.attributes if a.name == anchor), None) if discovered else None
    if found is None or discovered is None or discovered.kind != "table":
        return
    object_type.anchor_generate, problem = generation_of(found, type_name)
    if problem:
        object_type.undecided["anchor"] = problem


def apply_object_type(
    draft: ConnectorDraft,
    type_name: str,
    answers: ObjectTypeAnswers,
    profile: TypeProfile,
    schema: DiscoveredSchema | None,
) -> ObjectTypeDraft:
    """Set `draft.object_types[type_name]`: the existing object type when the container did not change (with the
    given object type answers applied), else the proposal from discovery; then every explicit answer."""
    users = place_of(draft.object_types["User"]) if type_name == "Group" and "User" in draft.object_types else ""
    _complete_member_keys(type_name, answers, profile, schema, users)
    current = draft.object_types.get(type_name)
    object_type, discovered = _start_object_type(current, type_name, answers, profile, schema, users)
    known = {a.name: a for a in discovered.attributes} if discovered and not profile.new_containers else {}
    _apply_map(object_type, type_name, answers, known)
    _apply_cardinality(object_type, type_name, answers, known)
    for attribute in answers.drop:
        object_type.attributes.pop(attribute, None)
    object_type.attributes.pop(member_holder(object_type.target), None)
    _apply_anchor(object_type, type_name, answers, discovered)
    _apply_dn_and_deprovisioning(object_type, answers)
    draft.object_types[type_name] = object_type
    _check_link(draft, schema)
    return object_type


def _start_object_type(
    current: ObjectTypeDraft | None,
    type_name: str,
    answers: ObjectTypeAnswers,
    profile: TypeProfile,
    schema: DiscoveredSchema | None,
    users: str,
) -> tuple[ObjectTypeDraft, DiscoveredObjectClass | None]:
    """The object type the answers apply to, and its discovered class: `current` with its target updated when the
    container did not change, else the proposal; the child tables' attributes selected either way."""
    previous_children = dict(current.target.get("child_tables") or {}) if current is not None else {}
    if current is not None and place_of(current) == answers.container:
        object_type, discovered = current, _update_target(current, answers, profile, schema)
    else:
        object_type = proposal(profile, type_name, answers.container, schema, answers.options, users)
        discovered = combined_class(schema, object_type.target.get("object_classes") or [answers.container])
    if object_type.target.get("child_tables") or previous_children:
        select_child_attributes(object_type, previous_children)
    return object_type, discovered


def _update_target(
    current: ObjectTypeDraft, answers: ObjectTypeAnswers, profile: TypeProfile, schema: DiscoveredSchema | None
) -> DiscoveredObjectClass | None:
    """Apply the object type answers to `current`'s target; its discovered class (an added auxiliary class's
    required attributes selected)."""
    before = list(current.target.get("object_classes") or [])
    current.target = profile.update_target(current.target, answers.container, answers.options)
    classes = list(current.target.get("object_classes") or [answers.container])
    discovered = combined_class(schema, classes)
    if discovered is not None and classes != before:
        select_required(current, discovered)  # an auxiliary class was added
    return discovered


def _selected(
    object_type: ObjectTypeDraft,
    type_name: str,
    attribute: str,
    answers: ObjectTypeAnswers,
    known: Mapping[str, DiscoveredAttribute],
) -> SelectedAttribute:
    """The selected `attribute`, added with its discovered type (string when unknown); an error when discovery
    knows the container's attributes and this is none of them."""
    found = known.get(attribute)
    if known and found is None and attribute not in object_type.attributes:
        raise AnswerError(f"{type_name}: {attribute!r} is not an attribute of {answers.container}")
    return object_type.attributes.setdefault(
        attribute, SelectedAttribute(type=found.type if found else AttributeType.STRING)
    )


def _apply_map(
    object_type: ObjectTypeDraft, type_name: str, answers: ObjectTypeAnswers, known: Mapping[str, DiscoveredAttribute]
) -> None:
    """`map:` each attribute to its SCIM attribute (None: the ECMA2Host extension only)."""
    for attribute, scim in answers.map.items():
        selected = _selected(object_type, type_name, attribute, answers, known)
        selected.scim = scim
        if scim and selected.type is not AttributeType.COMPLEX:
            selected.multi_valued = False  # a mapped attribute is treated as single value (not a child table's)
        if scim == "active":
            selected.type = AttributeType.BOOLEAN


def _apply_cardinality(
    object_type: ObjectTypeDraft, type_name: str, answers: ObjectTypeAnswers, known: Mapping[str, DiscoveredAttribute]
) -> None:
    """`multi_valued:` then `single_value:` attributes."""
    for names, multi in ((answers.multi_valued, True), (answers.single_value, False)):
        for attribute in names:
            _selected(object_type, type_name, attribute, answers, known).multi_valued = multi


def _apply_anchor(
    object_type: ObjectTypeDraft, type_name: str, answers: ObjectTypeAnswers, discovered: DiscoveredObjectClass | None
) -> None:
    """`anchor:` (selected, its generation from the target's facts) and `anchor_generate:` (settles the question)."""
    if answers.anchor:
        if answers.anchor != object_type.anchor:
            _change_anchor(object_type, type_name, answers.anchor, discovered)
        object_type.attributes.setdefault(answers.anchor, SelectedAttribute())
    if answers.anchor_generate:
        try:
            object_type.anchor_generate = AnchorGeneration(answers.anchor_generate)
        except ValueError:
            raise AnswerError(f"anchor_generate {answers.anchor_generate!r}: use uuid, target or none") from None
        object_type.undecided.pop("anchor", None)  # the admin said who produces it


def _apply_dn_and_deprovisioning(object_type: ObjectTypeDraft, answers: ObjectTypeAnswers) -> None:
    """`dn:` (empty: none), `disable:` and `delete:`."""
    if answers.dn is not None:
        object_type.dn = answers.dn or None
    if answers.disable:
        object_type.disable = parse_deprovision(answers.disable)
    if answers.delete:
        object_type.delete = parse_deprovision(answers.delete)


def _check_link(draft: ConnectorDraft, schema: DiscoveredSchema | None) -> None:
    """A SQL group's members table must hold the anchors of groups and users: say so when its foreign keys
    point at other columns (an issue until the anchor or the table changes)."""
    group = draft.object_types.get("Group")
    members = group.target.get("members") if group is not None else None
    if group is None or schema is None or not isinstance(members, Mapping):
        return
    sides = {"group_key": (place_of(group), group.anchor)}
    if "User" in draft.object_types:
        sides["member_key"] = (place_of(draft.object_types["User"]), draft.object_types["User"].anchor)
    problem = link_mismatch(schema.object_classes, members, sides)
    if problem:
        group.undecided["members"] = problem
    else:
        group.undecided.pop("members", None)

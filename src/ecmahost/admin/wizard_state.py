"""What the wizard's pages show: the draft kept per browser session (`DraftState`), the attribute rows of Select
Attributes (discovered attributes of the object type's classes plus those already selected) and the template
context of each page.

It reads the session's draft and the last discovery; it does not apply a form (see `admin.wizard_pages`) and
never renders a secret: the connector file shown on Review has its password and token hash masked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.requests import Request

from ecmahost.admin.pages import state
from ecmahost.config import secrets as config_secrets
from ecmahost.config import yaml_io
from ecmahost.config.model import AnchorGeneration, AttributeType, SchemaViews
from ecmahost.connectors.base import DiscoveredAttribute
from ecmahost.connectors.registry import connector_types
from ecmahost.wizard import discovery
from ecmahost.wizard.draft import OBJECT_TYPES, ConnectorDraft, SelectedAttribute
from ecmahost.wizard.naming import SCIM_CHOICES
from ecmahost.wizard.profiles import PROFILES, member_holder, place_of
from ecmahost.wizard.propose import pick_container
from ecmahost.wizard.steps import Step, headed_issues, preview_schemas

VIEWS_CHOICES = (
    (SchemaViews.BOTH.value, "both: core paths and the ECMA2Host extension (Entra's ECMA template and any client)"),
    (SchemaViews.CORE.value, "core: core and enterprise paths only (strict RFC 7643 clients, Okta, scripts)"),
    (SchemaViews.EXTENSION.value, "extension: the ECMA2Host extension only (Entra's ECMA template alone)"),
)
"""the Properties page's SCIM views choice (`views:` in the file)"""

NEVER_OFFERED = ("objectclass",)
"""written by the connector from the object type's classes, never selected"""


@dataclass(slots=True)
class DraftState:
    draft: ConnectorDraft
    probe: discovery.ProbeResult | None = None
    """the last discovery of the target"""
    test: discovery.ProbeResult | None = None
    """the last "Test" of the Connectivity page"""
    shown_token: str | None = None
    """a token generated on the Properties page, shown once, then forgotten"""
    notes: list[str] = field(default_factory=list)


def discovered_by_name(current: DraftState, type_name: str) -> dict[str, DiscoveredAttribute]:
    """The discovered attributes of the object type's table, or of all its object classes."""
    object_type = current.draft.object_types[type_name]
    classes = list(object_type.target.get("object_classes") or [place_of(object_type)])
    found = discovery.combined_class(current.probe.schema if current.probe else None, classes)
    return {attribute.name: attribute for attribute in found.attributes} if found else {}


def attribute_names(current: DraftState, type_name: str) -> list[str]:
    """Every attribute offered on Select Attributes: discovered ones, then selected ones discovery did not list
    (e.g. `-dn-`); never objectClass nor the group's member attribute."""
    object_type = current.draft.object_types[type_name]
    hidden = {*NEVER_OFFERED, member_holder(object_type.target).lower()}
    names = [name for name in discovered_by_name(current, type_name) if name.lower() not in hidden]
    return names + [name for name in object_type.attributes if name not in names]


def can_be_multi_valued(found: DiscoveredAttribute | None, selected: SelectedAttribute | None) -> bool:
    """The target may hold several values: the page offers "Treat as single value"."""
    return bool((found and found.multi_valued) or (selected and selected.multi_valued))


def attribute_rows(current: DraftState, type_name: str) -> list[dict[str, Any]]:
    object_type = current.draft.object_types[type_name]
    found = discovered_by_name(current, type_name)
    rows = []
    for name in attribute_names(current, type_name):
        selected = object_type.attributes.get(name)
        info = found.get(name)
        facts = (
            ("primary key", info and info.primary_key),
            ("unique", info and info.unique),
            ("required", info and info.required),
            ("generated", info and info.generated),
        )
        rows.append(
            {
                "name": name,
                "selected": selected is not None,
                "scim": (selected.scim if selected else "") or "",
                "type": (selected.type if selected else (info.type if info else AttributeType.STRING)).value,
                "detail": info.detail if info else "",
                "facts": ", ".join(word for word, flag in facts if flag),
                "anchor": name == object_type.anchor,
                "multi": can_be_multi_valued(info, selected),
                "single": not (selected.multi_valued if selected else bool(info and info.multi_valued)),
            }
        )
    return rows


def container_choices(current: DraftState) -> tuple[list[Any], dict[str, str]]:
    """The Schema page's choices (tables/views, or structural object classes) and what is chosen: the draft's
    containers, or the proposal for a new draft."""
    schema = current.probe.schema if current.probe and current.probe.ok else None
    classes = [item for item in schema.object_classes if item.kind not in ("auxiliary", "abstract")] if schema else []
    draft = current.draft
    chosen = {name: place_of(object_type) for name, object_type in draft.object_types.items()}
    if not draft.object_types and schema is not None:
        chosen = {name: pick_container(name, classes) or "" for name in OBJECT_TYPES}
    return classes, chosen


def wizard_context(request: Request, current: DraftState, step: Step) -> dict[str, Any]:
    draft, home = current.draft, state(request).home
    profile = PROFILES.get(draft.type)
    raw = yaml_io.parse_mapping(yaml_io.dump(draft.to_file_dict()), file="<wizard>")
    if isinstance(raw.get("connection"), yaml_io.CommentedMap):
        config_secrets.mask_for_display(raw["connection"])
    if isinstance(raw.get("token"), yaml_io.CommentedMap):
        raw["token"]["hash"] = config_secrets.MASK
    classes, chosen = container_choices(current)
    return {
        "draft_id": request.path_params["draft"],
        "draft": draft,
        "step": step,
        "steps": list(Step),
        "profile": profile,
        "types": [name for name in PROFILES if name in connector_types()],
        "answers": profile.connectivity_answers(draft.connection) if profile else {},
        "has_password": _holds_secret(draft.connection),
        "test": current.test,
        "probe": current.probe,
        "container_classes": classes,
        "chosen": chosen,
        "attribute_rows": {name: attribute_rows(current, name) for name in draft.object_types},
        "target_answers": {
            name: profile.target_answers(ot.target) if profile else {} for name, ot in draft.object_types.items()
        },
        "containers": {name: place_of(ot) for name, ot in draft.object_types.items()},
        "scim_choices": sorted({choice for choices in SCIM_CHOICES.values() for choice in choices}),
        "attribute_types": [kind.value for kind in AttributeType if kind is not AttributeType.COMPLEX],
        "complex_type": AttributeType.COMPLEX.value,
        "generations": [kind.value for kind in AnchorGeneration],
        "preview": orjson.dumps(preview_schemas(draft, home), option=orjson.OPT_INDENT_2).decode()
        if step is Step.ATTRIBUTES
        else "",
        "file_text": yaml_io.dump(raw),
        "all_issues": headed_issues(Step.REVIEW, draft, home) if step is Step.REVIEW else [],
        "views_choices": VIEWS_CHOICES,
    }


def _holds_secret(connection: Any) -> bool:
    """A stored secret anywhere in the block (`password`, REST's `auth.token`, a script's parameter)."""
    if isinstance(connection, dict):
        return any(_holds_secret(value) for value in connection.values())
    return isinstance(connection, str) and config_secrets.is_reference(connection)

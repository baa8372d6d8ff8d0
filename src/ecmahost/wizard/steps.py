"""The wizard's pages, in the ECMA host's order, and what makes each one valid.

Each step owns the field paths of the connector file it edits; `issues_for(step, draft, home)` validates the
whole draft with the same rules as the connector store (`config.validation.validate_connector`) and keeps the
issues of that step's paths, plus the wizard's own rules (a new name must be free, at least one object type,
each SCIM path mapped once); `headed_issues` gives them under headings, what the chosen `views:` cannot serve
apart. `full_issues` is every issue: a draft with any cannot be saved.

`preview_schemas` renders the `/Schemas` documents the draft would serve, for the Select Attributes page. This
module does not touch the target (see `wizard.discovery`) and writes nothing (see `wizard.save`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ecmahost.config.errors import ConfigFileError, Issue
from ecmahost.config.model import ConnectorConfig, SchemaViews
from ecmahost.config.store import ConnectorStore
from ecmahost.config.validation import validate_connector
from ecmahost.config.views import views_problems
from ecmahost.home import Home
from ecmahost.scim.discovery import schema_documents
from ecmahost.scim.mapping import MappingError, ObjectMapping
from ecmahost.wizard.draft import ConnectorDraft, ObjectTypeDraft


class Step(StrEnum):
    PROPERTIES = "properties"
    CONNECTIVITY = "connectivity"
    SCHEMA = "schema"
    OBJECT_TYPES = "object-types"
    ATTRIBUTES = "attributes"
    DEPROVISIONING = "deprovisioning"
    REVIEW = "review"

    @property
    def title(self) -> str:
        return _TITLES[self]

    def next(self) -> Step | None:
        order = list(Step)
        index = order.index(self)
        return order[index + 1] if index + 1 < len(order) else None


_TITLES = {
    Step.PROPERTIES: "Properties",
    Step.CONNECTIVITY: "Connectivity",
    Step.SCHEMA: "Schema",
    Step.OBJECT_TYPES: "Object types",
    Step.ATTRIBUTES: "Select Attributes",
    Step.DEPROVISIONING: "Deprovisioning",
    Step.REVIEW: "Review and save",
}

_OBJECT_TYPE_PART = {"attributes": Step.ATTRIBUTES, "deprovisioning": Step.DEPROVISIONING}


def step_of(path: str) -> Step:
    """The page that edits a field path of the connector file."""
    parts = path.split(".")
    if parts[0] == "connection":
        return Step.CONNECTIVITY
    if parts[0] == "object_types":
        if len(parts) < 3:
            return Step.SCHEMA
        return _OBJECT_TYPE_PART.get(parts[2], Step.OBJECT_TYPES)
    return Step.PROPERTIES


@dataclass(frozen=True, slots=True)
class Validated:
    config: ConnectorConfig | None
    issues: list[Issue]
    """every problem, the views ones included: a draft with any cannot be saved"""
    views: SchemaViews = SchemaViews.BOTH
    views_issues: tuple[Issue, ...] = ()
    """what the chosen `views:` makes impossible to serve (`config.views`), shown under their own heading"""


def validate_draft(draft: ConnectorDraft, home: Home) -> Validated:
    """The draft checked as a connector file would be, plus the wizard's own rules. The `views:` rule is run
    apart (the file validated as `both`, then `config.views` with the chosen views), so its problems can be told
    from the others: they are fixed by another choice of views as much as by a mapping."""
    issues = list(_wizard_issues(draft, home))
    raw = draft.to_file_dict()
    views = draft.views
    if raw.get("views") is not None and str(raw["views"]).lower() == views.value:
        raw.pop("views")  # a wrong value stays in the file for the loader to name
    config = None
    try:
        config = validate_connector(raw, file="<wizard>", home=home, expected_name=None, require_env=False)
    except ConfigFileError as exc:
        issues.extend(exc.issues)
    views_issues: tuple[Issue, ...] = ()
    if config is not None:
        views_issues = tuple(
            Issue(p.path, p.problem, fix=p.fix)
            for name, object_type in config.object_types.items()
            for p in views_problems(name, object_type, views)
        )
        if not views_issues:
            config = config.model_copy(update={"views": views})
            issues.extend(_mapping_issues(config))
    return Validated(config if not views_issues else None, issues + list(views_issues), views, views_issues)


def issues_for(step: Step, draft: ConnectorDraft, home: Home) -> list[Issue]:
    """The problems the admin can fix on `step`'s page (the review page shows them all)."""
    return [issue for _, group in headed_issues(step, draft, home) for issue in group]


def headed_issues(step: Step, draft: ConnectorDraft, home: Home) -> list[tuple[str, list[Issue]]]:
    """`issues_for` under headings: the file's and the wizard's problems, then what the chosen views cannot
    serve (with the choice named, so the admin knows another view is a fix too). Empty groups are left out."""
    validated = validate_draft(draft, home)
    views = set(validated.views_issues)
    found = [i for i in validated.issues if step is Step.REVIEW or step_of(i.path) is step]
    groups = [
        ("Fix these before going on:", [i for i in found if i not in views]),
        (
            f"What `views: {validated.views.value}` cannot serve (map the attribute, or choose other SCIM views on "
            "Properties; CLI: --views):",
            [i for i in found if i in views],
        ),
    ]
    return [(heading, group) for heading, group in groups if group]


def full_issues(draft: ConnectorDraft, home: Home) -> list[Issue]:
    return validate_draft(draft, home).issues


def preview_schemas(draft: ConnectorDraft, home: Home, base_url: str = "") -> list[dict[str, Any]]:
    """The `/Schemas` documents the saved connector would serve; [] while the draft is not valid yet."""
    config = validate_draft(draft, home).config
    if config is None:
        return []
    documents: list[dict[str, Any]] = []
    for name, object_type in config.object_types.items():
        try:
            mapping = ObjectMapping(name, object_type, has_members=_has_members(object_type.target), views=config.views)
        except MappingError:
            continue
        documents.extend(schema_documents(mapping, base_url))
    return documents


def _has_members(target: Any) -> bool:
    return getattr(target, "members", None) is not None or getattr(target, "member_attribute", None) is not None


def _wizard_issues(draft: ConnectorDraft, home: Home) -> list[Issue]:
    issues = []
    if not draft.existing and draft.name and _name_taken(draft.name, home):
        issues.append(Issue("name", f"a connector named {draft.name!r} exists already", fix="pick another name"))
    if not draft.object_types:
        issues.append(
            Issue("object_types", "no object type chosen", fix="pick the table or object class of User or Group")
        )
    for type_name, object_type in draft.object_types.items():
        issues.extend(_open_questions(type_name, object_type))
        seen: dict[str, str] = {}
        for attribute, selected in object_type.attributes.items():
            if selected.scim and selected.scim in seen:
                issues.append(
                    Issue(
                        f"object_types.{type_name}.attributes.{attribute}",
                        f"{selected.scim} is already mapped to {seen[selected.scim]}",
                        fix="map each SCIM attribute once",
                    )
                )
            elif selected.scim:
                seen[selected.scim] = attribute
    return issues


_FIXES = {
    "anchor": "choose the anchor and who produces its value on the Object types page (CLI: --anchor {t}=COLUMN "
    "--anchor-generate {t}=uuid|target|none)",
    "members": "on the Object types page (CLI: --anchor User=COLUMN, --anchor Group=COLUMN or --option "
    "Group:members_table=TABLE)",
}
MATCHING = {"User": "userName", "Group": "displayName"}
"""what SCIM requires of each object type (RFC 7643) and Entra matches existing objects on"""


def _open_questions(type_name: str, object_type: ObjectTypeDraft) -> list[Issue]:
    """What the proposal could not settle, empty members table columns, and the required SCIM attribute mapped
    by no attribute: each must be answered before the file is saved, so no connector is saved that cannot serve."""
    where = f"object_types.{type_name}"
    issues = [
        Issue(f"{where}.{key}", problem, fix=_FIXES.get(key, "").format(t=type_name))
        for key, problem in object_type.undecided.items()
    ]
    members = object_type.target.get("members")
    if isinstance(members, dict) and members.get("table"):
        for key, holds in (("group_key", "the group's anchor"), ("member_key", "the member's anchor")):
            if not str(members.get(key) or "").strip():
                issues.append(
                    Issue(
                        f"{where}.members.{key}",
                        f"no column of {members['table']} is known to hold {holds} (it has no foreign key to it)",
                        fix=f"name the column on the Object types page (CLI: --option {type_name}:{key}=COLUMN)",
                    )
                )
    required = MATCHING.get(type_name)
    if required and object_type.attributes and not any(a.scim == required for a in object_type.attributes.values()):
        issues.append(
            Issue(
                f"{where}.attributes",
                f"no attribute is mapped to {required}, which SCIM requires and Entra matches {type_name}s on",
                fix=f"map the attribute that holds it on Select Attributes (--map {type_name}:ATTRIBUTE={required})",
            )
        )
    return issues


def _name_taken(name: str, home: Home) -> bool:
    try:
        return ConnectorStore(home).exists(name)
    except Exception:  # an invalid name is reported by the model's own rule
        return False


def _mapping_issues(config: ConnectorConfig) -> list[Issue]:
    issues = []
    for name, object_type in config.object_types.items():
        try:
            ObjectMapping(name, object_type, has_members=_has_members(object_type.target), views=config.views)
        except MappingError as exc:
            issues.append(Issue(f"object_types.{name}.attributes", str(exc)))
    return issues

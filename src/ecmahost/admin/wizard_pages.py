"""The wizard's pages in the browser: Properties, Connectivity (with a real "Test"), Schema (what discovery
found), Object types, Select Attributes (with the live `/Schemas` preview), Deprovisioning, Review and save.

Each POST writes the page's fields into the session's `ConnectorDraft`, validates that page
(`wizard.steps.issues_for`) and moves on only when it is valid; Save writes the file through
`wizard.save.save_draft` (the same as `ecmahost connector new`); a running host applies it through its watcher.
The draft stays on the server: a typed password is encrypted into it at once and never rendered back.
"""

from __future__ import annotations

import secrets
from typing import Any

import orjson
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from ecmahost.admin.pages import redirect, render, session_of, state
from ecmahost.admin.wizard_state import (
    DraftState,
    attribute_names,
    can_be_multi_valued,
    discovered_by_name,
    wizard_context,
)
from ecmahost.config.errors import ConfigError
from ecmahost.config.model import AttributeType
from ecmahost.config.store import ConnectorStore
from ecmahost.home import Home
from ecmahost.wizard import discovery
from ecmahost.wizard.answers import AnswerError, ObjectTypeAnswers, apply_object_type, parse_deprovision, parse_views
from ecmahost.wizard.draft import OBJECT_TYPES, ConnectorDraft, SelectedAttribute, draft_from_file
from ecmahost.wizard.profiles import TypeProfile, place_of, profile_for
from ecmahost.wizard.save import checked_save, new_token
from ecmahost.wizard.steps import Step, headed_issues, issues_for, preview_schemas


def _draft_state(request: Request) -> DraftState:
    found = session_of(request).drafts.get(request.path_params["draft"])
    if found is None:
        raise KeyError("draft")
    return found  # type: ignore[no-any-return]


def _start(request: Request, draft: ConnectorDraft) -> Response:
    draft_id = secrets.token_urlsafe(9)
    session_of(request).drafts[draft_id] = DraftState(draft)
    return redirect(f"/wizard/{draft_id}/{Step.PROPERTIES}")


async def new_connector(request: Request) -> Response:
    return _start(request, ConnectorDraft())


async def edit_connector(request: Request) -> Response:
    raw = ConnectorStore(state(request).home).read_raw(request.path_params["name"])
    return _start(request, draft_from_file(raw))


async def _ensure_probe(request: Request, current: DraftState) -> discovery.ProbeResult:
    if current.probe is None or not current.probe.ok:
        current.probe = await discovery.discover(current.draft, state(request).home)
    return current.probe


async def wizard_page(request: Request) -> Response:
    try:
        current = _draft_state(request)
        step = Step(request.path_params["step"])
    except (KeyError, ValueError):
        return PlainTextResponse("this wizard session has ended: start again from the connector list", 404)
    issues: list[tuple[str, list[Any]]] = []
    if request.method == "POST":
        form = await request.form()
        action = str(form.get("action") or "next")
        try:
            response = await _apply(request, current, step, form, action)
        except (AnswerError, ValueError) as exc:
            current.notes.append(str(exc))
            response = None
        if response is not None:
            return response
        issues = headed_issues(step, current.draft, state(request).home) if action == "next" else []
        if action == "next" and not issues and not current.notes and step.next() is not None:
            return redirect(f"/wizard/{request.path_params['draft']}/{step.next()}")
    if step in (Step.SCHEMA, Step.OBJECT_TYPES, Step.ATTRIBUTES) and current.draft.connection:
        await _ensure_probe(request, current)
    context = wizard_context(request, current, step)
    notes, current.notes = current.notes, []
    token, current.shown_token = current.shown_token, None
    status = 400 if issues or notes else 200
    return render(request, "wizard.html", status, issues=issues, notes=notes, token=token, **context)


async def _apply(request: Request, current: DraftState, step: Step, form: FormData, action: str) -> Response | None:
    """Write the page's fields into the draft; Review's Save writes the file (a redirect when saved)."""
    home = state(request).home
    if step is Step.PROPERTIES:
        _apply_properties(current, form, action)
    elif step is Step.CONNECTIVITY:
        await _apply_connectivity(current, form, action, home)
    elif step is Step.SCHEMA:
        await _apply_schema(request, current, form)
    elif step is Step.OBJECT_TYPES:
        await _apply_object_types(request, current, form)
    elif step is Step.ATTRIBUTES:
        _apply_attributes(current, form)
    elif step is Step.DEPROVISIONING:
        _apply_deprovisioning(current.draft, form)
    elif step is Step.REVIEW and action == "save":
        return await _save(request, current, skip_target_check=bool(form.get("skip_target_check")))
    return None


def _apply_properties(current: DraftState, form: FormData, action: str) -> None:
    """Properties: name and type (a new connector only), description, SCIM views; "New token" shows one once."""
    draft = current.draft
    if not draft.existing:
        draft.name = str(form.get("name") or "").strip()
        draft.type = str(form.get("type") or "sql")
    draft.description = str(form.get("description") or "").strip()
    if form.get("views") is not None:
        draft.set_views(parse_views(str(form.get("views")), "SCIM views"))
    if action == "token":
        current.shown_token = new_token(draft)


async def _apply_connectivity(current: DraftState, form: FormData, action: str, home: Home) -> None:
    """Connectivity: the type's answers; "Test" tests them, "Next" discovers the target (a note when it cannot)."""
    answers = {key: str(value) for key, value in form.items() if isinstance(value, str)}
    profile_for(current.draft.type).apply_connectivity(current.draft, answers, home)
    current.probe = None
    if action == "test":
        current.test = await discovery.test_connectivity(current.draft, home)
    elif action == "next":
        current.probe = await discovery.discover(current.draft, home)
        if not current.probe.ok:
            current.notes.append(f"the target could not be read: {current.probe.message}")


async def _apply_schema(request: Request, current: DraftState, form: FormData) -> None:
    """Schema: each object type's container (none: not served); a container discovery did not list is looked up
    again where the type can have new ones (a REST collection typed in)."""
    draft = current.draft
    chosen = {name: str(form.get(f"container_{name}") or "").strip() for name in OBJECT_TYPES}
    probe = await _ensure_probe(request, current)
    found = {item.name for item in probe.schema.object_classes} if probe.schema else set()
    if profile_for(draft.type).new_containers and not set(filter(None, chosen.values())) <= found:
        draft.hints["containers"] = ", ".join(filter(None, chosen.values()))  # e.g. a REST collection typed
        current.probe = probe = await discovery.discover(draft, state(request).home)
    for type_name, container in chosen.items():
        if not container:
            draft.object_types.pop(type_name, None)
        else:
            apply_object_type(draft, type_name, ObjectTypeAnswers(container), profile_for(draft.type), probe.schema)


async def _apply_object_types(request: Request, current: DraftState, form: FormData) -> None:
    """Object types: each one's type questions, anchor, who generates it and DN rule."""
    probe = await _ensure_probe(request, current)
    profile = profile_for(current.draft.type)
    for type_name, object_type in list(current.draft.object_types.items()):
        answers = _object_type_answers(form, type_name, place_of(object_type), profile)
        apply_object_type(current.draft, type_name, answers, profile, probe.schema)


def _object_type_answers(form: FormData, type_name: str, container: str, profile: TypeProfile) -> ObjectTypeAnswers:
    """One object type's fields on the Object types page (`<type>|<question>`), as answers."""
    questions = [q for q in profile.object_type_questions if not (q.groups_only and type_name == "User")]
    dn = form.get(f"{type_name}|dn")
    return ObjectTypeAnswers(
        container,
        options={q.name: str(form.get(f"{type_name}|{q.name}") or "") for q in questions},
        anchor=str(form.get(f"{type_name}|anchor") or "") or None,
        anchor_generate=str(form.get(f"{type_name}|anchor_generate") or "") or None,
        dn=None if dn is None else str(dn).strip(),
    )


def _apply_deprovisioning(draft: ConnectorDraft, form: FormData) -> None:
    """Deprovisioning: each object type's disable and delete actions."""
    for type_name, object_type in draft.object_types.items():
        object_type.disable = parse_deprovision(str(form.get(f"{type_name}|disable") or "nothing"))
        object_type.delete = parse_deprovision(str(form.get(f"{type_name}|delete") or "delete"))


def _apply_attributes(current: DraftState, form: FormData) -> None:
    """Select Attributes: exposed or not, SCIM path, type and "Treat as single value" of each attribute, and the
    attributes typed in "Add attributes" (a new CSV file's columns, fields discovery did not see)."""
    for type_name, object_type in current.draft.object_types.items():
        found = discovered_by_name(current, type_name)
        selected: dict[str, SelectedAttribute] = {}
        for name in attribute_names(current, type_name):
            if not form.get(f"{type_name}|sel|{name}") and name != object_type.anchor:
                continue
            previous = object_type.attributes.get(name) or SelectedAttribute()
            previous.scim = str(form.get(f"{type_name}|scim|{name}") or "").strip() or None
            if previous.type is not AttributeType.COMPLEX:  # a child table's attribute stays complex
                previous.type = AttributeType(str(form.get(f"{type_name}|type|{name}") or previous.type.value))
            if can_be_multi_valued(found.get(name), previous):
                previous.multi_valued = not form.get(f"{type_name}|single|{name}")
            selected[name] = previous
        for name in str(form.get(f"{type_name}|add") or "").split(","):
            if name.strip():
                selected.setdefault(name.strip(), SelectedAttribute())
        if not object_type.anchor and selected:
            object_type.anchor = next(iter(selected))
        object_type.attributes = selected


async def _save(request: Request, current: DraftState, *, skip_target_check: bool = False) -> Response | None:
    """Check the draft against its target (unless skipped), then write it."""
    the_state = state(request)
    try:
        config, _ = await checked_save(
            ConnectorStore(the_state.home), current.draft, skip_target_check=skip_target_check
        )
    except ConfigError as exc:
        current.notes.append(f"Not saved: {exc}")
        return None
    session_of(request).drafts.pop(request.path_params["draft"], None)
    return redirect(f"/?flash=Connector+{config.name}+saved")


async def schema_preview(request: Request) -> Response:
    """The live `/Schemas` preview: the attributes form applied to a copy-free draft, answered as JSON."""
    try:
        current = _draft_state(request)
    except KeyError:
        return JSONResponse({"error": "the wizard session has ended"}, status_code=404)
    _apply_attributes(current, await request.form())
    home = state(request).home
    issues = [f"{issue.path}: {issue.problem}" for issue in issues_for(Step.ATTRIBUTES, current.draft, home)]
    documents = preview_schemas(current.draft, home)
    return JSONResponse({"issues": issues, "preview": orjson.dumps(documents, option=orjson.OPT_INDENT_2).decode()})


ROUTES = [
    ("/connectors/new", new_connector, ["GET"]),
    ("/connectors/{name}/edit", edit_connector, ["GET"]),
    ("/wizard/{draft}/attributes/preview", schema_preview, ["POST"]),
    ("/wizard/{draft}/{step}", wizard_page, ["GET", "POST"]),
]

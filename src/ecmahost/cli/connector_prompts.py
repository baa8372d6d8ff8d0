"""The questions of `ecmahost connector new/edit`, asked at the prompt (or taken from flags and an answers file)
in the order of the admin UI's pages: Properties, Connectivity, then per object type its container, the Object
types questions, Select Attributes and the disable action.

`run_questions` fills a `wizard.draft.ConnectorDraft`; `--no-input` makes every question take its default (the
current value or the proposal from discovery). Secrets are asked at hidden prompts only. It writes nothing
(`cli.connector_new` saves the draft).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import typer
from rich.table import Table
from rich.text import Text

from ecmahost.cli.common import say, stderr, warn
from ecmahost.connectors.registry import connector_types
from ecmahost.home import Home
from ecmahost.wizard import discovery, propose
from ecmahost.wizard.answers import AnswerError, Answers, ObjectTypeAnswers, apply_object_type, parse_views
from ecmahost.wizard.draft import OBJECT_TYPES, ConnectorDraft
from ecmahost.wizard.profiles import PROFILES, TypeProfile, place_of, profile_for, rebase_dn
from ecmahost.wizard.save import new_token


def _ask(label: str, default: str, interactive: bool, *, hide: bool = False) -> str:
    if not interactive:
        return default
    return str(typer.prompt(label, default=default, hide_input=hide, show_default=not hide)).strip()


def run_questions(draft: ConnectorDraft, answers: Answers, home: Home, *, interactive: bool, token: bool) -> str | None:
    """Ask (or take) every answer, step by step as the admin UI's pages; return a new token, if any."""
    if not draft.existing:
        draft.name = answers.name or _ask("Connector name (in the URL)", "", interactive)
        installed = [name for name in PROFILES if name in connector_types()]
        draft.type = answers.type or _ask(f"Connector type ({', '.join(installed)})", "sql", interactive)
    if not draft.name:
        raise AnswerError("give the connector's name with --name")
    if answers.description is not None or not draft.existing:
        draft.description = answers.description or _ask("Description", draft.description, interactive)
    _views(draft, answers, interactive)
    profile = profile_for(draft.type)
    _connectivity(draft, answers, profile, home, interactive)
    result = asyncio.run(discovery.discover(draft, home))
    if not result.ok:
        raise AnswerError(f"the target could not be read: {result.message}")
    say(f"Connectivity: {result.message}")
    _object_types(draft, answers, profile, result, interactive, home)
    return new_token(draft) if token else None


VIEWS_QUESTION = (
    "SCIM views served (both: core paths and the ECMA2Host extension; core: strict RFC clients, Okta, scripts; "
    "extension: Entra's ECMA template only)"
)


def _views(draft: ConnectorDraft, answers: Answers, interactive: bool) -> None:
    """The Properties page's views choice: `--views` or the answers file, else asked (the file's as default) until
    it is one of the choices; without input a new connector keeps `both` and an edited one its file's."""
    if answers.views is not None:
        draft.set_views(answers.views)
        return
    while interactive:
        try:
            draft.set_views(parse_views(_ask(VIEWS_QUESTION, draft.views.value, interactive)))
            return
        except AnswerError as exc:
            say(str(exc))


def _connectivity(draft: ConnectorDraft, answers: Answers, profile: TypeProfile, home: Home, interactive: bool) -> None:
    current = profile.connectivity_answers(draft.connection)
    given = dict(answers.connectivity)
    if "url" not in given:
        for question in profile.connectivity:
            if question.name in given:
                continue
            default = current.get(question.name, question.default)
            if question.kind == "password":
                if answers.password_env:
                    given[f"{question.name}_env"] = answers.password_env
                else:
                    given[question.name] = _ask(f"{question.label} (empty: none or keep)", "", interactive, hide=True)
            elif question.kind == "secrets":
                label = f"{question.label} (NAME=VALUE;NAME=VALUE, hidden; empty: keep)"
                typed = _ask(label, "", interactive, hide=True)
                given[question.name] = typed or current.get(question.name, "").replace("\n", ";")
            else:
                choices = f" ({', '.join(question.choices)})" if question.choices else ""
                label = f"{question.label} (a PEM file)" if _is_certificate(question.name) else question.label
                given[question.name] = _ask(f"{label}{choices}", default, interactive)
    elif answers.password_env:
        given["password_env"] = answers.password_env
    for question in profile.connectivity:
        if _is_certificate(question.name):
            given[question.name] = _file_or_text(given.get(question.name) or "")
    profile.apply_connectivity(draft, given, home)


def _is_certificate(name: str) -> bool:
    return "certificate" in name


def _file_or_text(value: str) -> str:
    """A PEM answer at the prompt or in a flag is the path of its file (a PEM cannot be typed on one line)."""
    if not value or value.startswith(("-----", "sha256:")) or "\n" in value:
        return value
    path = Path(value).expanduser()
    try:
        return path.read_text(encoding="utf-8") if path.is_file() else value
    except OSError as exc:
        raise AnswerError(f"{value}: cannot be read ({exc.strerror})") from None


def _object_types(
    draft: ConnectorDraft,
    answers: Answers,
    profile: TypeProfile,
    result: discovery.ProbeResult,
    interactive: bool,
    home: Home,
) -> None:
    classes = result.schema.object_classes if result.schema else []
    wanted = {name: item for name, item in answers.object_types.items() if item.container}
    if not wanted and not draft.existing:
        if interactive:
            offered = [item.name for item in classes if item.kind not in ("auxiliary", "abstract")]
            say(f"Found in the target: {', '.join(offered)}")
        for type_name in OBJECT_TYPES:
            proposal = propose.pick_container(type_name, classes) or ""
            container = _ask(f"{profile.container_word} for {type_name} (empty: none)", proposal, interactive)
            if container:
                wanted[type_name] = answers.object_types.get(type_name) or ObjectTypeAnswers(container)
                wanted[type_name].container = container
    for type_name, item in answers.object_types.items():
        if not item.container and type_name in draft.object_types:
            item.container = place_of(draft.object_types[type_name])
            wanted[type_name] = item
    if profile.new_containers and not {item.container for item in wanted.values()} <= {c.name for c in classes}:
        draft.hints["containers"] = ", ".join(item.container for item in wanted.values())
        result = asyncio.run(discovery.discover(draft, home))  # e.g. a REST collection not read yet
    for type_name, item in wanted.items():
        _ask_object_type_questions(draft, type_name, item, profile, result, interactive)
        object_type = apply_object_type(draft, type_name, item, profile, result.schema)
        if profile.type_name == "sql" and type_name == "Group" and not object_type.target.get("members"):
            warn(
                f"Group: no table links {item.container} to the users (no foreign keys to both): groups get no "
                "members; name the link table with --option Group:members_table=TABLE"
            )
        if interactive:
            _ask_attributes(draft, type_name, item.container, profile, result)


def _ask_object_type_questions(
    draft: ConnectorDraft,
    type_name: str,
    item: ObjectTypeAnswers,
    profile: TypeProfile,
    result: discovery.ProbeResult,
    interactive: bool,
) -> None:
    """The Object types page: base DN, DN template... (SQL: the members table), the current values or the
    proposal from discovery as defaults; a DN template follows a changed base DN."""
    existing = draft.object_types.get(type_name)
    if existing is not None and place_of(existing) == item.container:
        defaults = profile.target_answers(existing.target)
    else:
        users = place_of(draft.object_types["User"]) if "User" in draft.object_types else ""
        named = item.options.get("members_table", "")
        defaults = propose.propose_answers(profile, type_name, item.container, result.schema, users, named)
    for question in profile.object_type_questions:
        if question.name in item.options or (type_name == "User" and question.groups_only):
            continue
        if question.name == "dn_template" and "rdn" in item.options:
            continue  # `--option User:rdn=uid` names the template
        default = defaults.get(question.name, "")
        if question.name == "dn_template":
            default = rebase_dn(default, defaults.get("base_dn", ""), item.options.get("base_dn", ""))
        choices = f" ({', '.join(question.choices)})" if question.choices else ""
        if question.kind == "textarea":  # several lines at a one-line prompt: `;` separates them
            answer = _ask(f"{type_name}: {question.label} (lines separated by ;){choices}", default, interactive)
            item.options[question.name] = "\n".join(answer.split(";")) if "\n" not in answer else answer
        else:
            item.options[question.name] = _ask(f"{type_name}: {question.label}{choices}", default, interactive)


def _ask_attributes(
    draft: ConnectorDraft, type_name: str, container: str, profile: TypeProfile, result: discovery.ProbeResult
) -> None:
    """Select Attributes and Deprovisioning at the prompt: more attributes, lists (LDAP), anchor, disable."""
    _show_attributes(type_name, draft)
    object_type = draft.object_types[type_name]
    more = ObjectTypeAnswers(container)
    added = _ask(f"{type_name}: also expose (ATTRIBUTE or ATTRIBUTE=SCIM path, comma-separated)", "", True)
    for entry in _split_list(added):
        attribute, _, scim = entry.partition("=")
        if scim.strip() or attribute.strip() not in object_type.attributes:
            more.map[attribute.strip()] = scim.strip() or None
    if profile.type_name == "ldap":
        current = ", ".join(name for name, selected in object_type.attributes.items() if selected.multi_valued)
        lists = _split_list(_ask(f"{type_name}: attributes that keep several values (comma-separated)", current, True))
        more.multi_valued = lists
        more.single_value = [name for name in object_type.attributes if name not in lists]
    more.anchor = _ask(f"{type_name}: anchor", object_type.anchor, True)
    if more.anchor != object_type.anchor:
        apply_object_type(draft, type_name, ObjectTypeAnswers(container, anchor=more.anchor), profile, result.schema)
        more.anchor = None
    more.anchor_generate = _ask_generation(type_name, draft.object_types[type_name])
    more.disable = _ask(
        f"{type_name}: on disable (nothing, delete, set:ATTR=false)", _deprovision_text(object_type.disable), True
    )
    apply_object_type(draft, type_name, more, profile, result.schema)


def _ask_generation(type_name: str, object_type: Any) -> str:
    """Who produces the anchor's value; asked until answered when the target's facts did not say."""
    problem = object_type.undecided.get("anchor")
    if problem:
        say(f"{type_name}: {problem}")
    default = "" if problem else object_type.anchor_generate.value
    label = (
        f"{type_name}: {object_type.anchor}'s value comes from (uuid: the host, target: the database, none: the client)"
    )
    while True:
        answer = str(typer.prompt(label, default=default, show_default=bool(default))).strip().lower()
        if answer in ("uuid", "target", "none"):
            return answer
        say("answer uuid, target or none")


def _split_list(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _deprovision_text(action: Any) -> str:
    return f"set:{action.attribute}={str(action.value).lower()}" if action.kind == "set" else action.kind


def _show_attributes(type_name: str, draft: ConnectorDraft) -> None:
    object_type = draft.object_types[type_name]
    table = Table(title=f"{type_name}: selected attributes (change with --map/--drop or the admin UI)")
    for column in ("Attribute", "SCIM", "Type", "Values"):
        table.add_column(column)
    for name, selected in object_type.attributes.items():
        values = "several" if selected.multi_valued else "single"
        table.add_row(Text(name), Text(selected.scim or "(ECMA2Host extension only)"), selected.type.value, values)
    stderr.print(table)

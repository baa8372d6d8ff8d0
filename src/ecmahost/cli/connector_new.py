"""`ecmahost connector new` and `ecmahost connector edit NAME`: the configuration wizard in a terminal.

Every question of the admin UI's pages is asked here too, with what was discovered in the target as choices,
unless its answer is given as a flag or in an answers file (`--answers`, see `wizard.answers`); `--no-input`
never prompts, so scripts get the proposal from discovery for whatever they did not state. Both front ends
build the same `wizard.draft.ConnectorDraft` and save it with `wizard.save.save_draft`, so they write the same
file. Passwords come from a hidden prompt or `--password-env`, never from a flag.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from ecmahost.cli.common import HomeOption, fail, open_home, reported_errors, say, stderr, stdout, warn
from ecmahost.config import yaml_io
from ecmahost.config.store import ConnectorStore
from ecmahost.connectors.registry import connector_types
from ecmahost.home import Home
from ecmahost.wizard import discovery, propose
from ecmahost.wizard.answers import (
    AnswerError,
    Answers,
    ObjectTypeAnswers,
    answers_from_mapping,
    apply_object_type,
    parse_key_value,
)
from ecmahost.wizard.draft import OBJECT_TYPES, ConnectorDraft, draft_from_file
from ecmahost.wizard.profiles import PROFILES, TypeProfile, container_of, profile_for, rebase_dn, target_answers
from ecmahost.wizard.save import file_text, new_token, save_draft
from ecmahost.wizard.steps import full_issues

Many = Annotated[list[str] | None, typer.Option(show_default=False)]


def _opt(help_text: str, *names: str) -> typer.models.OptionInfo:
    return typer.Option(*names, help=help_text, show_default=False)


def new(
    name: Annotated[str | None, _opt("Connector name (in the URL, case-sensitive).", "--name")] = None,
    type_: Annotated[str | None, _opt("Connector type: sql or ldap.", "--type")] = None,
    description: Annotated[str | None, _opt("Free text shown in the connector list.", "--description")] = None,
    answers_file: Annotated[Path | None, _opt("YAML answers file (see docs/wizard.md).", "--answers")] = None,
    connect: Annotated[list[str] | None, _opt("Connectivity answer KEY=VALUE (host, port, ...).", "--connect")] = None,
    url: Annotated[str | None, _opt("SQL: the SQLAlchemy URL without password.", "--url")] = None,
    password_env: Annotated[
        str | None, _opt("Reference this environment variable as password.", "--password-env")
    ] = None,
    object_type: Annotated[list[str] | None, _opt("TYPE=CONTAINER, e.g. User=Employees.", "--object-type")] = None,
    option: Annotated[
        list[str] | None, _opt("TYPE:KEY=VALUE object type option (base_dn, rdn, ...).", "--option")
    ] = None,
    anchor: Annotated[list[str] | None, _opt("TYPE=ATTRIBUTE: the anchor.", "--anchor")] = None,
    map_: Annotated[list[str] | None, _opt("TYPE:ATTRIBUTE=SCIM_PATH (empty path: extension only).", "--map")] = None,
    drop: Annotated[list[str] | None, _opt("TYPE:ATTRIBUTE not to expose.", "--drop")] = None,
    multi_valued: Annotated[
        list[str] | None, _opt("TYPE:ATTRIBUTE gives and takes lists (LDAP).", "--multi-valued")
    ] = None,
    single_value: Annotated[
        list[str] | None, _opt("TYPE:ATTRIBUTE: treat as single value (LDAP).", "--single-value")
    ] = None,
    disable: Annotated[list[str] | None, _opt("TYPE=nothing|delete|set:ATTR=false.", "--disable")] = None,
    delete: Annotated[list[str] | None, _opt("TYPE=delete|nothing|set:ATTR=true.", "--delete")] = None,
    no_token: Annotated[bool, _opt("Do not generate a token now.", "--no-token")] = False,
    no_input: Annotated[bool, _opt("Never prompt: missing answers take the proposal.", "--no-input")] = False,
    dry_run: Annotated[bool, _opt("Print the connector file instead of saving it.", "--dry-run")] = False,
    home: HomeOption = None,
) -> None:
    """Create a connector: the configuration wizard's questions, asked here or answered by flags."""
    with reported_errors(), _answer_errors():
        where = open_home(home)
        answers = _collect(answers_file, name, type_, description, connect, url, password_env)
        _collect_object_types(answers, object_type, option, anchor, map_, drop, disable, delete)
        _collect_values(answers, multi_valued, single_value)
        draft = ConnectorDraft()
        token = _run(draft, answers, where, interactive=not no_input, token=not no_token)
        _finish(draft, where, token, dry_run)


def edit(
    name: Annotated[str, typer.Argument(help="Connector name.")],
    description: Annotated[str | None, _opt("Free text shown in the connector list.", "--description")] = None,
    answers_file: Annotated[Path | None, _opt("YAML answers file (see docs/wizard.md).", "--answers")] = None,
    connect: Annotated[list[str] | None, _opt("Connectivity answer KEY=VALUE.", "--connect")] = None,
    url: Annotated[str | None, _opt("SQL: the SQLAlchemy URL without password.", "--url")] = None,
    password_env: Annotated[
        str | None, _opt("Reference this environment variable as password.", "--password-env")
    ] = None,
    object_type: Annotated[list[str] | None, _opt("TYPE=CONTAINER, e.g. User=Employees.", "--object-type")] = None,
    option: Annotated[list[str] | None, _opt("TYPE:KEY=VALUE object type option.", "--option")] = None,
    anchor: Annotated[list[str] | None, _opt("TYPE=ATTRIBUTE: the anchor.", "--anchor")] = None,
    map_: Annotated[list[str] | None, _opt("TYPE:ATTRIBUTE=SCIM_PATH.", "--map")] = None,
    drop: Annotated[list[str] | None, _opt("TYPE:ATTRIBUTE not to expose.", "--drop")] = None,
    multi_valued: Annotated[
        list[str] | None, _opt("TYPE:ATTRIBUTE gives and takes lists (LDAP).", "--multi-valued")
    ] = None,
    single_value: Annotated[
        list[str] | None, _opt("TYPE:ATTRIBUTE: treat as single value (LDAP).", "--single-value")
    ] = None,
    disable: Annotated[list[str] | None, _opt("TYPE=nothing|delete|set:ATTR=false.", "--disable")] = None,
    delete: Annotated[list[str] | None, _opt("TYPE=delete|nothing|set:ATTR=true.", "--delete")] = None,
    generate_token: Annotated[bool, _opt("Replace the token with a new one, shown once.", "--generate-token")] = False,
    no_input: Annotated[bool, _opt("Never prompt: only the given answers change.", "--no-input")] = False,
    dry_run: Annotated[bool, _opt("Print the connector file instead of saving it.", "--dry-run")] = False,
    home: HomeOption = None,
) -> None:
    """Change a connector with the wizard's questions (current values are the defaults); comments are kept."""
    with reported_errors(), _answer_errors():
        where = open_home(home)
        draft = draft_from_file(ConnectorStore(where).read_raw(name))
        answers = _collect(answers_file, name, draft.type, description, connect, url, password_env)
        _collect_object_types(answers, object_type, option, anchor, map_, drop, disable, delete)
        _collect_values(answers, multi_valued, single_value)
        token = _run(draft, answers, where, interactive=not no_input, token=generate_token)
        _finish(draft, where, token, dry_run)


# --- gathering answers --------------------------------------------------------------------------------------


@contextmanager
def _answer_errors() -> Iterator[None]:
    """A wrong answer (flag, answers file, prompt) is a message and exit code 1, like a config error."""
    try:
        yield
    except AnswerError as exc:
        fail(str(exc))


def _collect(
    answers_file: Path | None,
    name: str | None,
    type_: str | None,
    description: str | None,
    connect: list[str] | None,
    url: str | None,
    password_env: str | None,
) -> Answers:
    answers = Answers()
    if answers_file is not None:
        text = sys.stdin.read() if str(answers_file) == "-" else answers_file.read_text(encoding="utf-8")
        answers = answers_from_mapping(yaml_io.to_plain(yaml_io.parse_mapping(text, file=str(answers_file))))
    answers.name = name or answers.name
    answers.type = type_ or answers.type
    answers.description = description if description is not None else answers.description
    answers.connectivity.update(parse_key_value(item, "--connect") for item in connect or [])
    if url:
        answers.connectivity["url"] = url
    answers.password_env = password_env or answers.password_env
    return answers


def _split_type(text: str, flag: str) -> tuple[str, str]:
    type_name, sep, rest = text.partition(":") if ":" in text.split("=", 1)[0] else text.partition("=")
    if not sep or type_name not in OBJECT_TYPES:
        raise AnswerError(f"{flag} {text!r}: start with User or Group, e.g. User{':' if sep == ':' else '='}...")
    return type_name, rest


def _collect_object_types(answers: Answers, *flags: list[str] | None) -> None:
    object_type, option, anchor, map_, drop, disable, delete = (flag or [] for flag in flags)
    for item in object_type:
        type_name, container = _split_type(item, "--object-type")
        answers.object_types.setdefault(type_name, ObjectTypeAnswers(container)).container = container

    def entry(item: str, flag: str) -> tuple[ObjectTypeAnswers, str]:
        type_name, rest = _split_type(item, flag)
        if type_name not in answers.object_types:
            answers.object_types[type_name] = ObjectTypeAnswers("")
        return answers.object_types[type_name], rest

    for item in option:
        target, rest = entry(item, "--option")
        key, value = parse_key_value(rest, "--option")
        target.options[key] = value
    for item in map_:
        target, rest = entry(item, "--map")
        key, value = parse_key_value(rest, "--map")
        target.map[key] = value or None
    for items, flag, field in (
        (anchor, "--anchor", "anchor"),
        (disable, "--disable", "disable"),
        (delete, "--delete", "delete"),
    ):
        for item in items:
            target, rest = entry(item, flag)
            setattr(target, field, rest)
    for item in drop:
        target, rest = entry(item, "--drop")
        target.drop.append(rest)


def _collect_values(answers: Answers, multi_valued: list[str] | None, single_value: list[str] | None) -> None:
    for items, flag, field in (
        (multi_valued, "--multi-valued", "multi_valued"),
        (single_value, "--single-value", "single_value"),
    ):
        for item in items or []:
            type_name, attribute = _split_type(item, flag)
            entry = answers.object_types.setdefault(type_name, ObjectTypeAnswers(""))
            getattr(entry, field).append(attribute)


# --- running the questions ----------------------------------------------------------------------------------


def _ask(label: str, default: str, interactive: bool, *, hide: bool = False) -> str:
    if not interactive:
        return default
    return str(typer.prompt(label, default=default, hide_input=hide, show_default=not hide)).strip()


def _run(draft: ConnectorDraft, answers: Answers, home: Home, *, interactive: bool, token: bool) -> str | None:
    """Ask (or take) every answer, step by step as the admin UI's pages; return a new token, if any."""
    if not draft.existing:
        draft.name = answers.name or _ask("Connector name (in the URL)", "", interactive)
        installed = [name for name in PROFILES if name in connector_types()]
        draft.type = answers.type or _ask(f"Connector type ({', '.join(installed)})", "sql", interactive)
    if not draft.name:
        raise AnswerError("give the connector's name with --name")
    if answers.description is not None or not draft.existing:
        draft.description = answers.description or _ask("Description", draft.description, interactive)
    profile = profile_for(draft.type)
    _connectivity(draft, answers, profile, home, interactive)
    result = asyncio.run(discovery.discover(draft, home))
    if not result.ok:
        raise AnswerError(f"the target could not be read: {result.message}")
    say(f"Connectivity: {result.message}")
    _object_types(draft, answers, profile, result, interactive)
    return new_token(draft) if token else None


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
            else:
                choices = f" ({', '.join(question.choices)})" if question.choices else ""
                label = f"{question.label} (a PEM file)" if question.kind == "textarea" else question.label
                given[question.name] = _ask(f"{label}{choices}", default, interactive)
    elif answers.password_env:
        given["password_env"] = answers.password_env
    for question in profile.connectivity:
        if question.kind == "textarea":
            given[question.name] = _file_or_text(given.get(question.name) or "")
    profile.apply_connectivity(draft, given, home)


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
    draft: ConnectorDraft, answers: Answers, profile: TypeProfile, result: discovery.ProbeResult, interactive: bool
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
            item.container = container_of(draft.object_types[type_name].target)
            wanted[type_name] = item
    for type_name, item in wanted.items():
        _ask_object_type_questions(draft, type_name, item, profile, result, interactive)
        apply_object_type(draft, type_name, item, profile, result.schema)
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
    if existing is not None and container_of(existing.target) == item.container:
        defaults = target_answers(existing.target)
    else:
        defaults = propose.propose_answers(profile, type_name, item.container, result.schema)
    for question in profile.object_type_questions:
        if question.name in item.options or (type_name == "User" and question.groups_only):
            continue
        if question.name == "dn_template" and "rdn" in item.options:
            continue  # `--option User:rdn=uid` names the template
        default = defaults.get(question.name, "")
        if question.name == "dn_template":
            default = rebase_dn(default, defaults.get("base_dn", ""), item.options.get("base_dn", ""))
        choices = f" ({', '.join(question.choices)})" if question.choices else ""
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
    more.disable = _ask(
        f"{type_name}: on disable (nothing, delete, set:ATTR=false)", _deprovision_text(object_type.disable), True
    )
    apply_object_type(draft, type_name, more, profile, result.schema)


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


def _finish(draft: ConnectorDraft, home: Home, token: str | None, dry_run: bool) -> None:
    issues = full_issues(draft, home)
    if issues:
        fail("the connector is not valid yet:\n" + "\n".join(issue.render(f"{draft.name}") for issue in issues))
    if dry_run:
        sys.stdout.write(file_text(draft))
        return
    store = ConnectorStore(home)
    save_draft(store, draft)
    say(f"Saved {store.file_label(draft.name)}: /ecma2host_{draft.name}/scim")
    if token:
        stdout.print(token, markup=False, highlight=False)
        stderr.print(
            "This is the connector's secret token. It is shown only this once and is not stored: "
            "copy it into Entra's Secret Token field now.",
            markup=False,
        )
    elif draft.token_hash is None:
        warn(f"no token set: `ecmahost connector set-token {draft.name} --generate`")

"""`ecmahost connector new` and `ecmahost connector edit NAME`: the configuration wizard in a terminal.

Every question of the admin UI's pages is asked here too, with what was discovered in the target as choices,
unless its answer is given as a flag or in an answers file (`--answers`, see `wizard.answers`); `--no-input`
never prompts, so scripts get the proposal from discovery for whatever they did not state. Both front ends
build the same `wizard.draft.ConnectorDraft` and save it with `wizard.save.save_draft`, so they write the same
file. Passwords come from a hidden prompt or `--password-env`, never from a flag.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ecmahost.cli.common import HomeOption, fail, open_home, reported_errors, say, stderr, stdout, warn

# The wizard (it imports every connector package) and the prompts are imported inside the functions that use
# them: every `ecmahost` run, `serve` too, imports all CLI modules first, so a module-level import here delays the
# host's start.
if TYPE_CHECKING:
    from ecmahost.config.model import SchemaViews
    from ecmahost.home import Home
    from ecmahost.wizard.answers import Answers
    from ecmahost.wizard.draft import ConnectorDraft


def _opt(help_text: str, *names: str) -> typer.models.OptionInfo:
    return typer.Option(*names, help=help_text, show_default=False)


# Options shared by `new` and `edit`, declared once.
DescriptionOption = Annotated[str | None, _opt("Free text shown in the connector list.", "--description")]
AnswersOption = Annotated[Path | None, _opt("YAML answers file (see docs/wizard.md).", "--answers")]
ConnectOption = Annotated[
    list[str] | None, _opt("Connectivity answer KEY=VALUE (host, port, folder, command, base_url...).", "--connect")
]
UrlOption = Annotated[str | None, _opt("SQL: the SQLAlchemy URL without password.", "--url")]
PasswordEnvOption = Annotated[str | None, _opt("Reference this environment variable as password.", "--password-env")]
ObjectTypeOption = Annotated[list[str] | None, _opt("TYPE=CONTAINER, e.g. User=Employees.", "--object-type")]
ObjectOptionOption = Annotated[
    list[str] | None,
    _opt("TYPE:KEY=VALUE object type option (base_dn, rdn, members_column, child_tables...).", "--option"),
]
AnchorOption = Annotated[list[str] | None, _opt("TYPE=ATTRIBUTE: the anchor.", "--anchor")]
AnchorGenerateOption = Annotated[
    list[str] | None,
    _opt(
        "TYPE=uuid|target|none: who produces the anchor's value (the host, the target, the client).",
        "--anchor-generate",
    ),
]
MapOption = Annotated[list[str] | None, _opt("TYPE:ATTRIBUTE=SCIM_PATH (empty path: extension only).", "--map")]
DropOption = Annotated[list[str] | None, _opt("TYPE:ATTRIBUTE not to expose.", "--drop")]
MultiValuedOption = Annotated[list[str] | None, _opt("TYPE:ATTRIBUTE gives and takes lists (LDAP).", "--multi-valued")]
SingleValueOption = Annotated[list[str] | None, _opt("TYPE:ATTRIBUTE: treat as single value (LDAP).", "--single-value")]
DisableOption = Annotated[list[str] | None, _opt("TYPE=nothing|delete|set:ATTR=false.", "--disable")]
DeleteOption = Annotated[list[str] | None, _opt("TYPE=delete|nothing|set:ATTR=true.", "--delete")]
DryRunOption = Annotated[bool, _opt("Print the connector file instead of saving it.", "--dry-run")]
ViewsOption = Annotated[
    str | None,
    _opt(
        "Which SCIM views the connector serves: both (the default: core paths and the ECMA2Host extension), core "
        "(strict RFC 7643 clients) or extension (Entra's ECMA template); see docs/configuration.md.",
        "--views",
    ),
]
SkipTargetCheckOption = Annotated[
    bool,
    _opt(
        "Save without checking the file against the target (when it cannot be reached now); the host checks it "
        "when it loads the file.",
        "--skip-target-check",
    ),
]


def new(
    name: Annotated[str | None, _opt("Connector name (in the URL, case-sensitive).", "--name")] = None,
    type_: Annotated[str | None, _opt("Connector type: sql, ldap, csv, script or rest.", "--type")] = None,
    description: DescriptionOption = None,
    answers_file: AnswersOption = None,
    connect: ConnectOption = None,
    url: UrlOption = None,
    password_env: PasswordEnvOption = None,
    object_type: ObjectTypeOption = None,
    option: ObjectOptionOption = None,
    anchor: AnchorOption = None,
    anchor_generate: AnchorGenerateOption = None,
    map_: MapOption = None,
    drop: DropOption = None,
    multi_valued: MultiValuedOption = None,
    single_value: SingleValueOption = None,
    disable: DisableOption = None,
    delete: DeleteOption = None,
    views: ViewsOption = None,
    no_token: Annotated[bool, _opt("Do not generate a token now.", "--no-token")] = False,
    no_input: Annotated[bool, _opt("Never prompt: missing answers take the proposal.", "--no-input")] = False,
    dry_run: DryRunOption = False,
    skip_target_check: SkipTargetCheckOption = False,
    home: HomeOption = None,
) -> None:
    """Create a connector: the configuration wizard's questions, asked here or answered by flags."""
    from ecmahost.cli.connector_prompts import run_questions
    from ecmahost.wizard.draft import ConnectorDraft

    with reported_errors(), _answer_errors():
        chosen_views = _views(views)
        where = open_home(home)
        answers = _collect(answers_file, name, type_, description, connect, url, password_env)
        _collect_object_types(answers, object_type, option, anchor, anchor_generate, map_, drop, disable, delete)
        _collect_values(answers, multi_valued, single_value)
        answers.views = chosen_views or answers.views
        draft = ConnectorDraft()
        token = run_questions(draft, answers, where, interactive=not no_input, token=not no_token)
        _finish(draft, where, token, dry_run, skip_target_check)


def edit(
    name: Annotated[str, typer.Argument(help="Connector name.")],
    description: DescriptionOption = None,
    answers_file: AnswersOption = None,
    connect: ConnectOption = None,
    url: UrlOption = None,
    password_env: PasswordEnvOption = None,
    object_type: ObjectTypeOption = None,
    option: ObjectOptionOption = None,
    anchor: AnchorOption = None,
    anchor_generate: AnchorGenerateOption = None,
    map_: MapOption = None,
    drop: DropOption = None,
    multi_valued: MultiValuedOption = None,
    single_value: SingleValueOption = None,
    disable: DisableOption = None,
    delete: DeleteOption = None,
    views: ViewsOption = None,
    generate_token: Annotated[bool, _opt("Replace the token with a new one, shown once.", "--generate-token")] = False,
    no_input: Annotated[bool, _opt("Never prompt: only the given answers change.", "--no-input")] = False,
    dry_run: DryRunOption = False,
    skip_target_check: SkipTargetCheckOption = False,
    home: HomeOption = None,
) -> None:
    """Change a connector with the wizard's questions (current values are the defaults); comments are kept."""
    from ecmahost.cli.connector_prompts import run_questions
    from ecmahost.config.store import ConnectorStore
    from ecmahost.wizard.draft import draft_from_file

    with reported_errors(), _answer_errors():
        chosen_views = _views(views)
        where = open_home(home)
        draft = draft_from_file(ConnectorStore(where).read_raw(name))
        answers = _collect(answers_file, name, draft.type, description, connect, url, password_env)
        _collect_object_types(answers, object_type, option, anchor, anchor_generate, map_, drop, disable, delete)
        _collect_values(answers, multi_valued, single_value)
        answers.views = chosen_views or answers.views
        token = run_questions(draft, answers, where, interactive=not no_input, token=generate_token)
        _finish(draft, where, token, dry_run, skip_target_check)


# --- gathering answers --------------------------------------------------------------------------------------


@contextmanager
def _answer_errors() -> Iterator[None]:
    """A wrong answer (flag, answers file, prompt) is a message and exit code 1, like a config error."""
    from ecmahost.wizard.answers import AnswerError

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
    from ecmahost.config import yaml_io
    from ecmahost.wizard.answers import Answers, answers_from_mapping, parse_key_value

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
    from ecmahost.wizard.answers import AnswerError
    from ecmahost.wizard.draft import OBJECT_TYPES

    type_name, sep, rest = text.partition(":") if ":" in text.split("=", 1)[0] else text.partition("=")
    if not sep or type_name not in OBJECT_TYPES:
        raise AnswerError(f"{flag} {text!r}: start with User or Group, e.g. User{':' if sep == ':' else '='}...")
    return type_name, rest


def _collect_object_types(answers: Answers, *flags: list[str] | None) -> None:
    from ecmahost.wizard.answers import ObjectTypeAnswers, parse_key_value

    object_type, option, anchor, anchor_generate, map_, drop, disable, delete = (flag or [] for flag in flags)
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
        (anchor_generate, "--anchor-generate", "anchor_generate"),
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
    from ecmahost.wizard.answers import ObjectTypeAnswers

    for items, flag, field in (
        (multi_valued, "--multi-valued", "multi_valued"),
        (single_value, "--single-value", "single_value"),
    ):
        for item in items or []:
            type_name, attribute = _split_type(item, flag)
            entry = answers.object_types.setdefault(type_name, ObjectTypeAnswers(""))
            getattr(entry, field).append(attribute)


def _views(views: str | None) -> SchemaViews | None:
    """`--views` read (any case); a value that is none of the choices ends the command, listing them."""
    from ecmahost.config.model import SchemaViews

    if views is None:
        return None
    try:
        return SchemaViews(views.lower())
    except ValueError:
        fail(f"--views {views!r}: choose one of {', '.join(v.value for v in SchemaViews)}")


def _finish(draft: ConnectorDraft, home: Home, token: str | None, dry_run: bool, skip_target_check: bool) -> None:
    import asyncio

    from ecmahost.config.errors import ConfigFileError
    from ecmahost.config.store import ConnectorStore
    from ecmahost.wizard.save import checked_save, file_text
    from ecmahost.wizard.steps import Step, headed_issues

    groups = headed_issues(Step.REVIEW, draft, home)
    if groups:
        fail(
            "the connector is not valid yet:\n"
            + "\n".join(
                f"{heading}\n" + "\n".join(f"  {issue.render(draft.name)}" for issue in group)
                for heading, group in groups
            )
        )
    if dry_run:
        sys.stdout.write(file_text(draft))
        return
    store = ConnectorStore(home)
    try:
        asyncio.run(checked_save(store, draft, skip_target_check=skip_target_check))
    except ConfigFileError as exc:
        fail(f"nothing was saved: the connector does not work against its target yet:\n{exc}")
    if skip_target_check:
        warn("saved without checking it against the target: `ecmahost test-connection` checks it later")
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

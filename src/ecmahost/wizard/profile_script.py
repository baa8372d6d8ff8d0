"""The wizard's questions for the script connector (`type: script`): the program (one for every operation, or
one per operation), how it runs (per request or as workers, who filters, the timeout, the working folder) and its
parameters, the secret ones kept encrypted.

Answers are text: a command is split as a shell would (`python3 users.py --worker`, no shell runs it), operations
and parameters are `NAME=VALUE` lines. Secret parameters are shown as `NAME=********`; a masked value keeps the
stored one, a `${env:VAR}` reference is kept as written, anything else is encrypted with the home's key at once.
Script object types have no keys of their own (the script decides where objects live); discovery is the script's
`schema` answer. This module starts no process.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from typing import Any

from ecmahost.config import secrets
from ecmahost.home import Home
from ecmahost.wizard.questions import AnswerError, Question, TypeProfile, parse_lines, text_of

OPERATIONS = ("check", "schema", "search", "get", "create", "update", "delete", "set_password")
OWNED = (
    "command",
    "operations",
    "mode",
    "workers",
    "filtering",
    "timeout_seconds",
    "working_directory",
    "parameters",
)


def _split(command: str, what: str) -> list[str]:
    try:
        return shlex.split(command)
    except ValueError as exc:
        raise AnswerError(f"{what} {command!r}: {exc}") from None


def _is_stored_secret(value: Any) -> bool:
    """`enc:...` or `${env:VAR}`: what the Secret parameters answer holds."""
    return isinstance(value, str) and secrets.is_reference(value)


def _is_env(value: Any) -> bool:
    return isinstance(value, str) and bool(secrets.ENV_REFERENCE.search(value)) and not _is_encrypted(value)


def _is_encrypted(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(secrets.ENCRYPTED_PREFIX)


def _parameters(answers: Mapping[str, str], current: Mapping[str, Any], home: Home) -> dict[str, Any]:
    stored = dict(current.get("parameters") or {})
    found: dict[str, Any] = dict(parse_lines(str(answers.get("parameters", "") or ""), "parameter"))
    for name, value in parse_lines(str(answers.get("secret_parameters", "") or ""), "secret parameter").items():
        if value == secrets.MASK:
            if not _is_stored_secret(stored.get(name)):
                raise AnswerError(f"secret parameter {name}: no stored value to keep; type the value")
            found[name] = stored[name]
        elif secrets.is_reference(value):
            found[name] = value
        elif value:
            found[name] = secrets.encrypt(value, home)
    return found


def _connection(answers: Mapping[str, str], current: Mapping[str, Any], home: Home) -> dict[str, Any]:
    connection: dict[str, Any] = {}
    if text_of(answers, "command"):
        connection["command"] = _split(text_of(answers, "command"), "command")
    operations = {}
    for name, command in parse_lines(str(answers.get("operations", "") or ""), "operation").items():
        if name not in OPERATIONS:
            raise AnswerError(f"operation {name!r}: use one of {', '.join(OPERATIONS)}")
        operations[name] = _split(command, f"operation {name}")
    if operations:
        connection["operations"] = operations
    connection["mode"] = text_of(answers, "mode") or "per_request"
    for key, convert in (("workers", int), ("timeout_seconds", float)):
        if text_of(answers, key):
            try:
                connection[key] = convert(text_of(answers, key))
            except ValueError:
                raise AnswerError(f"{key} {text_of(answers, key)!r}: give a number") from None
    for key in ("filtering", "working_directory"):
        if text_of(answers, key):
            connection[key] = text_of(answers, key)
    parameters = _parameters(answers, current, home)
    if parameters:
        connection["parameters"] = parameters
    return connection


def _answers(connection: Mapping[str, Any]) -> dict[str, str]:
    command = connection.get("command")
    parameters = dict(connection.get("parameters") or {})
    plain = {name: value for name, value in parameters.items() if not _is_stored_secret(value)}
    hidden = {name: value for name, value in parameters.items() if _is_stored_secret(value)}
    return {
        "command": shlex.join(str(part) for part in command) if isinstance(command, list) else "",
        "operations": "\n".join(
            f"{name}={shlex.join(str(part) for part in argv)}"
            for name, argv in dict(connection.get("operations") or {}).items()
        ),
        "mode": str(connection.get("mode") or "per_request"),
        "workers": str(connection.get("workers") or ""),
        "filtering": str(connection.get("filtering") or "script"),
        "timeout_seconds": str(connection.get("timeout_seconds") or ""),
        "working_directory": str(connection.get("working_directory") or ""),
        "parameters": "\n".join(f"{name}={value}" for name, value in plain.items()),
        "secret_parameters": "\n".join(
            f"{name}={value if _is_env(value) else secrets.MASK}" for name, value in hidden.items()
        ),
    }


SCRIPT = TypeProfile(
    type_name="script",
    label="Scripts (any language: the host sends JSON on stdin and reads JSON from stdout)",
    container_word="object class",
    connectivity=(
        Question(
            "command",
            "Command",
            help="the program answering every operation, e.g. python3 users_connector.py --worker (no shell)",
        ),
        Question("mode", "Mode", "select", ("per_request", "worker"), default="per_request"),
        Question("workers", "Worker processes", "number", help="worker mode: how many run at once", default="1"),
        Question("filtering", "Who filters", "select", ("script", "host"), default="script"),
        Question("timeout_seconds", "Timeout (seconds)", "number", default="30"),
        Question("working_directory", "Working folder", help="relative to the home folder", default="."),
        Question(
            "operations",
            "Programs per operation (per_request mode)",
            "textarea",
            help=f"OPERATION=COMMAND per line, e.g. create=python3 create.py; operations: {', '.join(OPERATIONS)}",
        ),
        Question("parameters", "Parameters", "textarea", help="NAME=VALUE per line: environment variables"),
        Question(
            "secret_parameters",
            "Secret parameters",
            "secrets",
            help="NAME=VALUE per line, stored encrypted (or NAME=${env:VAR}); ******** keeps the stored value",
        ),
    ),
    build_connection=_connection,
    read_connection=_answers,
    build_target=lambda _container, _answers: {},
    read_target=lambda _target: {},
    secret_fields=(),
    connection_keys=OWNED,
    new_containers=True,
)

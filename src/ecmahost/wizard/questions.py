"""The shape of what the wizard asks per connector type: a `Question`, and a `TypeProfile` that lists the
Connectivity and Object types questions of one type and turns their answers into the connector file's blocks.

Each profile brings its own functions (`build_connection`, `read_connection`, `build_target`, `read_target`)
and, for types whose `discover()` reads only configured object types (CSV files, REST collections), `probe_targets`:
the places discovery should look at. The profiles themselves are in `wizard.profiles` (SQL, LDAP) and
`wizard.profile_csv`, `profile_script`, `profile_rest`. This module renders nothing and validates nothing (the
connector type's own models do, through `wizard.steps`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ecmahost.config.model import AnchorGeneration
from ecmahost.home import Home
from ecmahost.wizard.draft import ConnectorDraft


@dataclass(frozen=True, slots=True)
class Question:
    name: str
    label: str
    kind: str = "text"
    """text, number, select, password, textarea, secrets (lines NAME=VALUE, stored encrypted, shown masked)"""
    choices: tuple[str, ...] = ()
    help: str = ""
    default: str = ""
    groups_only: bool = False
    wizard_only: bool = False
    """kept in the draft's `hints` (what to discover), never written to the connector file"""


class AnswerError(ValueError):
    """An answer that cannot be used; the message names the answer and the allowed values."""


BuildConnection = Callable[[Mapping[str, str], Mapping[str, Any], Home], dict[str, Any]]
"""(answers, the current `connection` block, home) -> the owned keys of the new block, secrets encrypted"""
ProbeTargets = Callable[[ConnectorDraft, Home], dict[str, dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class TypeProfile:
    type_name: str
    label: str
    connectivity: tuple[Question, ...]
    build_connection: BuildConnection
    read_connection: Callable[[Mapping[str, Any]], dict[str, str]]
    build_target: Callable[[str, Mapping[str, str]], dict[str, Any]]
    read_target: Callable[[Mapping[str, Any]], dict[str, str]]
    object_type_questions: tuple[Question, ...] = ()
    container_word: str = "table or view"
    secret_fields: tuple[str, ...] = field(default=("password",))
    """top-level `connection` keys set from a password question (types with nested secrets handle them in
    `build_connection`)"""
    connection_keys: tuple[str, ...] = ()
    """the `connection` keys the questions own; any other key of an edited file (timeouts...) is kept"""
    target_keys: tuple[str, ...] = ()
    """the object type keys the questions own; any other key of an edited file is kept"""
    probe_targets: ProbeTargets | None = None
    """object types (name -> target block) to configure on the probe connector so `discover()` reads them"""
    new_containers: bool = False
    """a container may not exist yet (a new CSV file, a collection discovery could not list): typed, not picked"""
    anchor_generation: AnchorGeneration = AnchorGeneration.UUID
    """where an anchor picked by its name (`id`, `*guid`) gets its value"""

    def connectivity_answers(self, connection: Mapping[str, Any]) -> dict[str, str]:
        return self.read_connection(connection)

    def apply_connectivity(self, draft: ConnectorDraft, answers: Mapping[str, str], home: Home) -> None:
        """Write the answers into `draft.connection` (an empty password keeps the stored one) and the wizard-only
        answers into `draft.hints`."""
        connection = self.build_connection(answers, draft.connection, home)
        kept = {key: value for key, value in draft.connection.items() if key not in self.connection_keys}
        draft.connection = {**connection, **kept}
        for key in self.secret_fields:
            if answers.get(key):
                draft.set_secret(key, answers[key], home)
            if answers.get(f"{key}_env"):
                draft.set_env_secret(key, answers[f"{key}_env"])
        for question in self.connectivity:
            if question.wizard_only and question.name in answers:
                draft.hints[question.name] = str(answers[question.name]).strip()

    def target_for(self, container: str, answers: Mapping[str, str]) -> dict[str, Any]:
        """An object type's place in the target from the container and the object type questions' answers."""
        return self.build_target(container, answers)

    def target_answers(self, target: Mapping[str, Any]) -> dict[str, str]:
        """The object type questions' answers found in an existing target block (to edit it)."""
        return self.read_target(target)

    def update_target(self, current: Mapping[str, Any], container: str, answers: Mapping[str, str]) -> dict[str, Any]:
        """`current` with the given answers applied (answers not given keep their current value; keys the
        questions do not own are kept). A DN template that still ends with the old base DN follows a new one."""
        previous = self.read_target(current)
        merged = {**previous, **answers}
        old_base, new_base = previous.get("base_dn", ""), merged.get("base_dn", "")
        if "rdn" in answers and "dn_template" not in answers:
            merged.pop("dn_template", None)  # `rdn=uid` (a CLI shortcut) names the template's first RDN
        elif "dn_template" not in answers or answers.get("dn_template") == previous.get("dn_template"):
            merged["dn_template"] = rebase_dn(merged.get("dn_template", ""), old_base, new_base)
        target = self.build_target(container, merged)
        return {**target, **{key: value for key, value in current.items() if key not in self.target_keys}}


def rebase_dn(dn: str, old_base: str, new_base: str) -> str:
    """`uid={uid},ou=People,dc=a` with base `ou=People,dc=a` moved to `new_base`; other DNs unchanged."""
    if not (dn and old_base and new_base) or old_base == new_base:
        return dn
    if dn.lower().endswith("," + old_base.lower()):
        return dn[: -len(old_base)] + new_base
    return dn


def text_of(answers: Mapping[str, Any], key: str) -> str:
    return str(answers.get(key, "") or "").strip()


def parse_lines(text: str, what: str) -> dict[str, str]:
    """`NAME=VALUE` lines (on one line, as a flag gives them: separated by `;`) -> {NAME: VALUE}."""
    found: dict[str, str] = {}
    for line in text.splitlines() if "\n" in text else text.split(";"):
        if not line.strip():
            continue
        name, sep, value = line.partition("=")
        if not sep or not name.strip():
            raise AnswerError(f"{what} {line.strip()!r}: write NAME=VALUE, one per line")
        found[name.strip()] = value.strip()
    return found

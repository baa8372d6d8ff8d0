"""The wizard's questions for the CSV connector (`type: csv`): the folder and how the files are written
(delimiter, quote, encoding, the separator of a group's members), and per object type its file (the container)
and, for groups, the members column. The anchor column is the anchor asked on the Object types page.

Discovery is the connector's own `discover()` over every `*.csv` file of the folder (and the files the draft
already names): it reads each header row. A file that does not exist yet may be typed on the Schema page; its
columns are then the attributes added on Select Attributes. This module reads no file itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ecmahost.home import Home
from ecmahost.wizard.draft import ConnectorDraft
from ecmahost.wizard.questions import Question, TypeProfile, text_of

DEFAULTS = {"folder": ".", "delimiter": ",", "quote_char": '"', "encoding": "utf-8", "multi_value_separator": ";"}
OWNED = tuple(DEFAULTS)


def _connection(answers: Mapping[str, str], _current: Mapping[str, Any], _home: Home) -> dict[str, Any]:
    connection: dict[str, Any] = {}
    for key, default in DEFAULTS.items():
        raw = str(answers.get(key, "") or "")
        value = raw if key in ("delimiter", "quote_char") and raw else raw.strip()
        connection[key] = value.replace("\\t", "\t") or default  # a tab typed as \t
    return connection


def _answers(connection: Mapping[str, Any]) -> dict[str, str]:
    found = {key: str(connection.get(key) or default) for key, default in DEFAULTS.items()}
    found["delimiter"] = found["delimiter"].replace("\t", "\\t")
    return found


def _target(container: str, answers: Mapping[str, str]) -> dict[str, Any]:
    target: dict[str, Any] = {"file": container}
    if text_of(answers, "members_column"):
        target["members_column"] = text_of(answers, "members_column")
    return target


def _target_answers(target: Mapping[str, Any]) -> dict[str, str]:
    return {"members_column": str(target["members_column"])} if target.get("members_column") else {}


def _probe_targets(draft: ConnectorDraft, home: Home) -> dict[str, dict[str, Any]]:
    """Every `*.csv` file of the folder, and the files the draft names (they may not exist yet)."""
    folder = home.root / str(draft.connection.get("folder") or ".")
    files = sorted(path.name for path in folder.glob("*.csv") if path.is_file()) if folder.is_dir() else []
    for object_type in draft.object_types.values():
        name = str(object_type.target.get("file") or "")
        if name and name not in files:
            files.append(name)
    return {f"probe-{index}": {"file": name} for index, name in enumerate(files)}


CSV = TypeProfile(
    type_name="csv",
    label="CSV files (one file per object type; small apps and demos)",
    container_word="CSV file",
    connectivity=(
        Question("folder", "Folder", help="relative to the home folder; created on the first write", default="."),
        Question("delimiter", "Delimiter", help="one character; \\t for a tab", default=","),
        Question("quote_char", "Quote character", default='"'),
        Question("encoding", "Encoding", help="utf-8, utf-8-sig, latin-1, cp1252, ...", default="utf-8"),
        Question(
            "multi_value_separator", "Separator of a group's members", help="joins member ids in one cell", default=";"
        ),
    ),
    object_type_questions=(
        Question(
            "members_column",
            "Members column",
            help="the column holding the members' anchors, joined by the separator",
            groups_only=True,
        ),
    ),
    build_connection=_connection,
    read_connection=_answers,
    build_target=_target,
    read_target=_target_answers,
    secret_fields=(),
    connection_keys=OWNED,
    target_keys=("file", "members_column"),
    probe_targets=_probe_targets,
    new_containers=True,
)

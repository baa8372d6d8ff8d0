"""Compare a CSV connector file with its files: the folder is a folder, each existing file reads as CSV with the
configured encoding and delimiter, and its header has a column for every selected attribute and the members
column; the anchor can be produced (a CSV file generates nothing by itself). A file (or folder) that does not
exist yet is fine: the first create writes it with the right header. Reads only the header line."""

from __future__ import annotations

import csv
from pathlib import Path

from ecmahost.config.model import AnchorGeneration, ConnectorConfig, ObjectTypeConfig
from ecmahost.connectors.base import TargetProblem
from ecmahost.connectors.csv.models import CsvConnection, CsvObjectType
from ecmahost.connectors.verify import anchor_problems, closest


def file_problems(folder: Path, settings: CsvConnection, config: ConnectorConfig) -> list[TargetProblem]:
    if folder.exists() and not folder.is_dir():
        return [TargetProblem("connection.folder", f"{folder} is not a folder", "fix `connection.folder`")]
    found: list[TargetProblem] = []
    for name, spec in config.object_types.items():
        target = spec.target if isinstance(spec.target, CsvObjectType) else CsvObjectType.model_validate(spec.target)
        found += anchor_problems(config, name, spec)
        found += _object_type_problems(name, spec, target, folder / target.file, settings)
    return found


def _object_type_problems(
    name: str, spec: ObjectTypeConfig, target: CsvObjectType, path: Path, settings: CsvConnection
) -> list[TargetProblem]:
    where = f"object_types.{name}"
    found = []
    if spec.anchor.generate is AnchorGeneration.TARGET:
        found.append(
            TargetProblem(
                f"{where}.anchor.generate",
                "a CSV file cannot generate an anchor (`generate: target`)",
                "set `generate: uuid` (the host generates it) or `generate: none` (clients send it)",
                name,
            )
        )
    if not path.exists():
        return found
    try:
        with path.open(encoding=settings.encoding, newline="") as handle:
            header = next(csv.reader(handle, delimiter=settings.delimiter, quotechar=settings.quote_char), [])
    except (UnicodeDecodeError, csv.Error) as exc:
        problem = f"{path.name} is not a CSV file in {settings.encoding} with delimiter {settings.delimiter!r}: {exc}"
        return [*found, TargetProblem(f"{where}.file", problem, "fix `connection.encoding`/`delimiter`", name)]
    except OSError as exc:
        return [*found, TargetProblem(f"{where}.file", f"cannot read {path.name}: {exc.strerror}", "", name)]
    if not header:
        return found
    wanted = {a: f"attributes.{a}" for a in spec.attributes}
    if target.members_column:
        wanted[target.members_column] = "members_column"
    for column, key in wanted.items():
        if column not in header:
            found.append(
                TargetProblem(
                    f"{where}.{key}",
                    f"{path.name} has no column {column!r}",
                    f"{closest(column, header)}; add the column to the file's header or remove it from the file",
                    name,
                )
            )
    return found

"""Errors of the configuration layer: a file that cannot be used, a connector that does not exist.

Exception tree::

    ConfigError                 base; its message is meant for an administrator, never contains a secret
    ├── ConfigFileError         one file (connector file, host.yaml, an import) is invalid; holds every
    │                           `Issue` found in it: the field path, what is wrong and the fix
    ├── ConfigFileErrors        several files are invalid (`ConnectorStore.load_all`); holds each file's error
    ├── ConnectorNotFound       no connector file with that name
    ├── ConnectorExists         an import or a new connector would overwrite an existing one
    └── InvalidConnectorName    a name that is not allowed (pattern, path traversal)

It does not render anything: the CLI prints `str(error)`, the admin UI may show `error.issues` one by one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ecmahost.config.model import NAME_PATTERN


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem in a file: `path` is the dotted field path (`object_types.User.anchor`), empty for the
    whole file; `line`/`column` are 1-based when known."""

    path: str
    problem: str
    fix: str = ""
    line: int | None = None
    column: int | None = None

    def render(self, file: str) -> str:
        where = f"{file}:{self.line}:{self.column}" if self.line and self.column and not self.path else file
        text = f"{where}: {self.path}: {self.problem}" if self.path else f"{where}: {self.problem}"
        if self.fix:
            text += f"; {self.fix}"
        if self.line and self.path:
            text += f" (line {self.line})"
        return text


class ConfigError(Exception):
    """Base of the configuration errors."""


class ConfigFileError(ConfigError):
    """A file that cannot be used. `str()` gives one line per issue:
    `connectors/demo.yaml: object_types.User.anchor: 'Login' is not a selected attribute; add it ...`."""

    def __init__(self, file: str, issues: Sequence[Issue]) -> None:
        if not issues:
            raise ValueError("a ConfigFileError needs at least one issue")
        self.file = file
        self.issues = tuple(issues)
        super().__init__("\n".join(issue.render(file) for issue in self.issues))

    @classmethod
    def single(
        cls, file: str, problem: str, *, path: str = "", fix: str = "", line: int | None = None
    ) -> ConfigFileError:
        return cls(file, [Issue(path=path, problem=problem, fix=fix, line=line)])


class ConfigFileErrors(ConfigError):
    """Several invalid files. `errors` maps a connector name to its file's error; `loaded` holds the valid
    ones so a caller may still serve them."""

    def __init__(self, errors: Mapping[str, ConfigFileError], loaded: Mapping[str, object]) -> None:
        self.errors = dict(errors)
        self.loaded = dict(loaded)
        super().__init__("\n".join(str(error) for error in self.errors.values()))


class ConnectorNotFound(ConfigError):
    def __init__(self, name: str, known: Sequence[str]) -> None:
        self.name = name
        listing = ", ".join(known) if known else "none yet"
        super().__init__(f"no connector named {name!r} (names are case-sensitive); connectors: {listing}")


class ConnectorExists(ConfigError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(
            f"a connector named {name!r} already exists; pass --replace to overwrite it, or import it under "
            "another name with --name"
        )


class InvalidConnectorName(ConfigError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(
            f"{name!r} is not a valid connector name: use 1-64 letters, digits, '_', '.' or '-', "
            f"starting with a letter or digit (pattern {NAME_PATTERN})"
        )

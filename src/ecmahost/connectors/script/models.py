"""The script connector's own configuration: its `connection` block (which programs, how they run) and the
(empty) script keys of an object type. It validates settings only; it starts no process."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ecmahost.config.model import ConnectionSettings, TargetSettings

ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Operation(StrEnum):
    CHECK = "check"
    SCHEMA = "schema"
    SEARCH = "search"
    GET = "get"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    SET_PASSWORD = "set_password"  # noqa: S105 - an operation name, not a password


class Mode(StrEnum):
    PER_REQUEST = "per_request"
    """one process per request: the request on stdin, the answer on stdout, then the process exits"""
    WORKER = "worker"
    """long-lived processes (`workers` of them), one JSON line in and one JSON line out per request"""


class Filtering(StrEnum):
    SCRIPT = "script"
    """the script receives the filter, sort and page, and answers `total` and the page"""
    HOST = "host"
    """the script lists every object; the host filters, sorts and pages in memory (simple scripts, small targets)"""


class ScriptConnection(ConnectionSettings):
    """Which programs answer, and within which limits.

    `command` is the argument list of the program that answers every operation (the `operation` field of the
    request says which); `operations` gives another program for some operations (per-request mode only). Relative
    paths are relative to `working_directory`, itself relative to the host's home folder. `parameters` become
    environment variables of the process (a secret as `${env:VAR}` or encrypted); the process inherits only the
    variables named in `inherit_environment`.
    """

    command: list[str] | None = None
    operations: dict[Operation, list[str]] = Field(default_factory=dict)
    mode: Mode = Mode.PER_REQUEST
    workers: int = Field(default=1, ge=1, le=64)
    filtering: Filtering = Filtering.SCRIPT
    timeout_seconds: float = Field(default=30.0, gt=0)
    max_output_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    working_directory: str = "."
    parameters: dict[str, Any] = Field(default_factory=dict)
    """name -> value (text, number or boolean); `Any` keeps the config layer's `Secret` values as they are, so
    they stay masked in logs"""
    inherit_environment: list[str] = Field(
        default_factory=lambda: ["PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT", "PYTHONPATH"]
    )
    password_attribute: str | None = None
    """a write-only attribute (mapped to SCIM `password`) sent through the `set_password` operation, never logged"""

    @field_validator("parameters")
    @classmethod
    def _environment_names(cls, value: dict[str, object]) -> dict[str, object]:
        bad = [name for name in value if not ENV_NAME.match(name)]
        if bad:
            raise ValueError(f"not an environment variable name: {', '.join(bad)} (use letters, digits and _)")
        not_scalar = [name for name, item in value.items() if not isinstance(item, str | int | float | bool)]
        if not_scalar:
            raise ValueError(f"{', '.join(not_scalar)}: a parameter is text, a number or a boolean")
        return value

    @model_validator(mode="after")
    def _has_programs(self) -> ScriptConnection:
        if not self.command and not self.operations:
            raise ValueError("set `command` (one program for every operation) or `operations` (one per operation)")
        if any(not argv for argv in [*(self.operations.values()), *([self.command] if self.command else [])]):
            raise ValueError("a command is a non-empty list of arguments, e.g. [python3, users.py]")
        if self.mode is Mode.WORKER and (self.operations or not self.command):
            raise ValueError("worker mode runs one program: set `command` and no `operations`")
        return self

    def argv(self, operation: Operation) -> list[str] | None:
        return self.operations.get(operation) or self.command


class ScriptObjectType(TargetSettings):
    """Script object types have no keys of their own: the script decides where objects live."""

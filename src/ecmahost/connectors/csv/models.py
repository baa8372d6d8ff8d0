"""The CSV connector's own configuration: its `connection` block and the CSV keys of an object type.

It validates settings only; it opens no file (the connector does, on first use).
"""

from __future__ import annotations

import codecs

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ecmahost.config.model import ConnectionSettings, TargetSettings


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CsvConnection(ConnectionSettings):
    """Where the files are and how they are written.

    `folder` is relative to the host's home folder. `multi_value_separator` joins the member anchors of a group
    in one cell. `fsync` flushes each write to disk before the rename (turn it off only for throw-away demos).
    """

    folder: str = "."
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    quote_char: str = Field(default='"', min_length=1, max_length=1)
    encoding: str = "utf-8"
    multi_value_separator: str = Field(default=";", min_length=1)
    fsync: bool = True

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError("unknown encoding; examples: utf-8, utf-8-sig, latin-1, cp1252") from None
        return value


class CsvObjectType(TargetSettings):
    """The CSV keys of one object type: its file (relative to `connection.folder`), one row per object, one column
    per selected attribute (the anchor's column is the anchor column), and for a group the column holding its
    members' anchors."""

    file: str = Field(min_length=1)
    members_column: str | None = None

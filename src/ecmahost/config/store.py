"""The connector files of a home folder: list, load, save, delete, export, import, set a token or a secret.

One YAML file per connector, `connectors/<Name>.yaml`. Every write validates the whole result first (an
invalid change writes nothing), keeps the file's comments, and writes atomically with private permissions.
Secrets stay references (`${env:..}`) or encrypted (`enc:..`) on disk; exports redact them unless asked
otherwise.

What is valid is decided by `config.validation`; this module does the file handling around it. It does not
connect to any target.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from ruamel.yaml.comments import CommentedMap

from ecmahost import __version__
from ecmahost.config import secrets, tokens, yaml_io
from ecmahost.config.errors import (
    ConfigError,
    ConfigFileError,
    ConfigFileErrors,
    ConnectorExists,
    ConnectorNotFound,
    InvalidConnectorName,
)
from ecmahost.config.model import (
    NAME_PATTERN,
    AnchorGeneration,
    ConnectorConfig,
    Deprovisioning,
    ObjectTypeConfig,
    SchemaViews,
)
from ecmahost.config.validation import validate_connector
from ecmahost.home import CONNECTOR_SUFFIX, Home, write_private

Seal = Callable[[secrets.Secret], str]
_NAME = re.compile(NAME_PATTERN)


def check_connector_name(name: str) -> str:
    """Return `name` if it is a valid connector name (it is also a file name), else raise
    `InvalidConnectorName`. The pattern has no '/', '\\' or leading '.', so no name escapes `connectors/`."""
    if not _NAME.fullmatch(name):
        raise InvalidConnectorName(name)
    return name


@dataclass(slots=True)
class LoadReport:
    """Every connector file of a home: the valid ones, and the error of each invalid one."""

    configs: dict[str, ConnectorConfig] = field(default_factory=dict)
    errors: dict[str, ConfigError] = field(default_factory=dict)


class ConnectorStore:
    def __init__(self, home: Home) -> None:
        self.home = home

    # --- reading -------------------------------------------------------------------------------------------

    def list(self) -> list[str]:
        """Connector names, sorted (case-sensitive); files that are not `<valid name>.yaml` are ignored."""
        folder = self.home.connectors_dir
        if not folder.is_dir():
            return []
        names = []
        for path in folder.iterdir():
            if path.suffix == CONNECTOR_SUFFIX and path.is_file():
                try:
                    names.append(check_connector_name(path.stem))
                except ConfigError:
                    continue
        return sorted(names)

    def path(self, name: str) -> Path:
        """`connectors/<name>.yaml` in the home; `InvalidConnectorName` for a name that could escape it."""
        return self.home.connectors_dir / f"{check_connector_name(name)}{CONNECTOR_SUFFIX}"

    def exists(self, name: str) -> bool:
        return self.path(name).is_file()

    def file_label(self, name: str) -> str:
        return self.home.relative(self.path(name))

    def read_raw(self, name: str) -> CommentedMap:
        """The file as parsed YAML (comments kept), not validated."""
        path = self.path(name)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConnectorNotFound(name, self.list()) from None
        except UnicodeDecodeError:
            raise ConfigFileError.single(self.file_label(name), "not UTF-8 text", fix="save it as UTF-8") from None
        return yaml_io.parse_mapping(text, file=self.file_label(name))

    def load(self, name: str, *, require_env: bool = True) -> ConnectorConfig:
        """The validated connector. With `require_env=False`, a `${env:..}` whose variable is not set is kept
        as written instead of being an error (for admin commands run outside the service's environment)."""
        return validate_connector(
            self.read_raw(name),
            file=self.file_label(name),
            home=self.home,
            expected_name=name,
            require_env=require_env,
        )

    def scan(self, *, require_env: bool = True) -> LoadReport:
        report = LoadReport()
        for name in self.list():
            try:
                report.configs[name] = self.load(name, require_env=require_env)
            except ConfigError as exc:
                report.errors[name] = exc
        return report

    def load_all(self) -> dict[str, ConnectorConfig]:
        """Every connector; if any file is invalid, `ConfigFileErrors` listing all of them (not only the
        first), with the valid ones in `.loaded`."""
        report = self.scan()
        if report.errors:
            file_errors = {
                name: error if isinstance(error, ConfigFileError) else ConfigFileError.single(name, str(error))
                for name, error in report.errors.items()
            }
            raise ConfigFileErrors(file_errors, report.configs)
        return report.configs

    # --- writing -------------------------------------------------------------------------------------------

    def save(self, config_or_raw: ConnectorConfig | Mapping[str, Any]) -> ConnectorConfig:
        """Validate and write a connector: a `ConnectorConfig` (merged into the existing file, comments kept;
        resolved secrets are encrypted, an unchanged `connection` stays as written) or raw file content."""
        if isinstance(config_or_raw, ConnectorConfig):
            if self._unchanged(config_or_raw):
                return config_or_raw
            raw = self._raw_for(config_or_raw)
        else:
            raw = config_or_raw if isinstance(config_or_raw, CommentedMap) else CommentedMap(config_or_raw)
        name = raw.get("name")
        if not isinstance(name, str):
            raise ConfigFileError.single("<connector>", "no connector name", path="name", fix="add `name:`")
        check_connector_name(name)
        return self._validate_and_write(name, raw)

    def delete(self, name: str) -> None:
        path = self.path(name)
        if not path.is_file():
            raise ConnectorNotFound(name, self.list())
        path.unlink()

    def set_token(self, name: str, token: str) -> None:
        """Store the hash of `token` (after checking the token rules); the token itself is not kept."""
        tokens.validate_token(token)
        raw = self.read_raw(name)
        if "token" not in raw:
            keys = list(raw)
            after = max((keys.index(key) for key in ("name", "type", "description") if key in raw), default=-1)
            raw.insert(after + 1, "token", CommentedMap())
        yaml_io.set_path(raw, ["token", "hash"], tokens.hash_token(token))
        self._validate_and_write(name, raw)

    def set_secret(self, name: str, field_path: str, value: str) -> None:
        """Encrypt `value` into `connection.<field_path>` (dotted; a leading `connection.` is optional)."""
        parts = [part for part in field_path.removeprefix("connection.").split(".") if part]
        if not parts:
            raise ConfigFileError.single(self.file_label(name), "no field given", fix="name a connection field")
        raw = self.read_raw(name)
        yaml_io.set_path(raw, ["connection", *parts], secrets.encrypt(value, self.home))
        self._validate_and_write(name, raw)

    # --- export / import -----------------------------------------------------------------------------------

    def export(self, name: str, include_secrets: bool = False) -> str:
        """The file for another host: `enc:` values become `<redacted>` (or their plain value with
        `include_secrets`), `${env:..}` stay, the token hash is dropped unless `include_secrets`."""
        raw = self.read_raw(name)
        connection = raw.get("connection")
        if isinstance(connection, CommentedMap):
            try:
                secrets.redact_for_export(connection, self.home, include_secrets=include_secrets)
            except ValueError as exc:
                raise ConfigFileError.single(self.file_label(name), f"cannot decrypt a secret: {exc}") from None
        if not include_secrets:
            raw.pop("token", None)
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        what = "secrets INCLUDED in plain text" if include_secrets else "secrets redacted, token not included"
        raw.yaml_set_start_comment(f"Exported by ecmahost {__version__} on {stamp}; {what}.")
        return yaml_io.dump(raw)

    def import_(
        self, text: str, *, replace: bool = False, name: str | None = None, source: str = "<import>"
    ) -> ConnectorConfig:
        """Validate an exported file fully, then write it: plain secrets are encrypted with this home's key.
        Refuses an existing name unless `replace`; `name` imports under another name. Invalid: nothing
        changes."""
        raw = yaml_io.parse_mapping(text, file=source)
        if name is not None:
            raw["name"] = name
        target = raw.get("name")
        if not isinstance(target, str):
            raise ConfigFileError.single(source, "no connector name", path="name", fix="add `name:` or pass --name")
        check_connector_name(target)
        if self.exists(target) and not replace:
            raise ConnectorExists(target)
        validate_connector(raw, file=source, home=self.home, allow_plaintext=True, require_env=False)
        connection = raw.get("connection")
        if isinstance(connection, CommentedMap):
            secrets.encrypt_plaintext(connection, self.home)
        return self._validate_and_write(target, raw, file=source)

    # --- internals -----------------------------------------------------------------------------------------

    def _validate_and_write(self, name: str, raw: CommentedMap, *, file: str | None = None) -> ConnectorConfig:
        config = validate_connector(
            raw, file=file or self.file_label(name), home=self.home, expected_name=name, require_env=False
        )
        self.home.ensure(self.home.connectors_dir)
        write_private(self.path(name), yaml_io.dump(raw))
        return config

    def _unchanged(self, config: ConnectorConfig) -> bool:
        if not self.exists(config.name):
            return False
        try:
            return self.load(config.name, require_env=False) == config
        except ConfigError:
            return False

    def _raw_for(self, config: ConnectorConfig) -> CommentedMap:
        new = to_file_dict(config, lambda secret: secrets.encrypt(secret, self.home))
        if not self.exists(config.name):
            raw = CommentedMap()
        else:
            raw = self.read_raw(config.name)
            try:
                current = self.load(config.name, require_env=False)
            except ConfigError:
                current = None
            if current is not None and current.connection == config.connection and "connection" in raw:
                new["connection"] = raw["connection"]
        if not isinstance(new.get("connection"), CommentedMap) and isinstance(new.get("connection"), dict):
            connection = CommentedMap(new["connection"])
            secrets.encrypt_plaintext(connection, self.home)
            new["connection"] = connection
        return yaml_io.merge_into(raw, new)


def to_file_dict(config: ConnectorConfig, seal: Seal) -> dict[str, Any]:
    """A `ConnectorConfig` as the flat file layout, defaults left out; `seal` turns each `Secret` into what is
    written (the store encrypts it)."""
    data: dict[str, Any] = {"name": config.name, "type": config.type}
    if config.description:
        data["description"] = config.description
    if config.token is not None:
        data["token"] = {"hash": config.token.hash}
    if config.connection is not None:
        data["connection"] = _plain(config.connection, seal)
    if config.views is not SchemaViews.BOTH:
        data["views"] = config.views.value
    data["object_types"] = {name: _object_type_dict(ot, seal) for name, ot in config.object_types.items()}
    limits = config.limits.model_dump(mode="json", exclude_defaults=True)
    if limits:
        data["limits"] = limits
    return data


def _object_type_dict(object_type: ObjectTypeConfig, seal: Seal) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if object_type.target is not None:
        data.update(_plain(object_type.target, seal))
    anchor = object_type.anchor
    data["anchor"] = (
        anchor.attribute
        if anchor.generate is AnchorGeneration.UUID
        else {"attribute": anchor.attribute, "generate": anchor.generate.value}
    )
    if object_type.dn is not None:
        data["dn"] = object_type.dn
    if object_type.description:
        data["description"] = object_type.description
    data["attributes"] = {
        name: attribute.model_dump(mode="json", exclude_defaults=True)
        for name, attribute in object_type.attributes.items()
    }
    defaults = Deprovisioning()
    deprovisioning = {
        action: getattr(object_type.deprovisioning, action).to_yaml()
        for action in ("disable", "delete")
        if getattr(object_type.deprovisioning, action) != getattr(defaults, action)
    }
    if deprovisioning:
        data["deprovisioning"] = deprovisioning
    return data


def _plain(value: Any, seal: Seal) -> Any:
    """Model or container values as YAML-safe data; a `Secret` becomes what `seal` makes of it."""
    if isinstance(value, BaseModel):
        return _plain(value.model_dump(mode="python", exclude_defaults=True, by_alias=True), seal)
    if isinstance(value, Mapping):
        return {str(key): _plain(item, seal) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item, seal) for item in value]
    if isinstance(value, secrets.Secret):
        return seal(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    return value

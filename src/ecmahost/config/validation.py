"""Validating a connector file's content into a `ConnectorConfig`, reporting every problem at once.

Steps: the generic keys against `config.model.ConnectorConfig`; the connector type's settings models from
`config.connector_types`; `connection` (secrets resolved by `config.secrets`) against the type's
`connection_model`; each object type's non-generic keys against the type's `object_type_model` (kept as
`ObjectTypeConfig.target`); then cross-field
rules (the anchor and deprovisioning attributes are selected attributes, the name matches the file, the token
hash is well formed).

Each problem is an `Issue` with the dotted field path, the line, what is wrong and the fix. This module reads
no file and writes nothing: `config.store` does.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from ecmahost.config import connector_types, secrets, tokens
from ecmahost.config.connector_types import SettingsModels
from ecmahost.config.errors import ConfigFileError, Issue
from ecmahost.config.model import GENERIC_OBJECT_TYPE_KEYS, AttributeType, ConnectorConfig, ObjectTypeConfig
from ecmahost.config.views import views_problems
from ecmahost.config.yaml_io import line_of, to_plain
from ecmahost.home import Home

Loc = tuple[str | int, ...]


def validate_connector(
    raw: Mapping[str, Any],
    *,
    file: str,
    home: Home,
    expected_name: str | None = None,
    allow_plaintext: bool = False,
    require_env: bool = True,
) -> ConnectorConfig:
    """The `ConnectorConfig` of a file's parsed content, or a `ConfigFileError` listing every issue.
    `expected_name` is the file's stem; `allow_plaintext` accepts plain secrets (an import encrypts them
    next)."""
    plain: dict[str, Any] = to_plain(raw)
    issues: list[Issue] = []
    generic, specific = _split_object_types(plain)
    generic.pop("connection", None)  # validated against the type's own model below
    config = _validate_model(ConnectorConfig, generic, (), issues)
    issues.extend(_name_issues(plain.get("name"), expected_name))
    issues.extend(_token_issues(plain))
    secrets_context = _SecretsContext(file, home, allow_plaintext, require_env)
    connection, targets = _validate_type_settings(plain, specific, issues, secrets_context)
    if config is not None:
        issues.extend(_object_type_issues(config))
    if issues:
        raise ConfigFileError(file, [_with_line(issue, raw) for issue in issues])
    assert config is not None
    return _with_type_settings(config, connection, targets)


@dataclass(frozen=True, slots=True)
class _SecretsContext:
    """Where the connection's secrets are resolved from, and how strictly."""

    file: str
    home: Home
    allow_plaintext: bool
    require_env: bool


def _name_issues(name: Any, expected_name: str | None) -> list[Issue]:
    """The connector's `name` must be the file's stem."""
    if expected_name is None or not isinstance(name, str) or name == expected_name:
        return []
    return [
        Issue(
            "name",
            f"{name!r} does not match the file name {expected_name}.yaml",
            fix=f"set `name: {expected_name}` or rename the file to {name}.yaml",
        )
    ]


def _token_issues(plain: dict[str, Any]) -> list[Issue]:
    """A stored `token.hash` must be one `tokens.parse_hash` reads."""
    token = plain.get("token")
    if not isinstance(token, Mapping) or not isinstance(token.get("hash"), str):
        return []
    try:
        tokens.parse_hash(token["hash"])
    except ValueError as exc:
        return [
            Issue(
                "token.hash",
                f"not a token hash: {exc}",
                fix=f"set the token again with `ecmahost connector set-token {plain.get('name')}`",
            )
        ]
    return []


def _validate_type_settings(
    plain: dict[str, Any], specific: dict[str, dict[str, Any]], issues: list[Issue], context: _SecretsContext
) -> tuple[Any, dict[str, Any]]:
    """The connection and each object type's target, against the connector type's settings models (None and {}
    when the type is unknown: the issue says so)."""
    models = _settings_models(plain.get("type"), issues)
    if models is None:
        return None, {}
    connection = _validate_connection(models.connection, plain, issues, context)
    targets = {
        type_name: _validate_target(models.object_type, type_name, keys, issues) for type_name, keys in specific.items()
    }
    return connection, targets


def _object_type_issues(config: ConnectorConfig) -> list[Issue]:
    """Each object type's cross-field rules, then its views' problems."""
    found: list[Issue] = []
    for type_name, object_type in config.object_types.items():
        found.extend(_cross_field_issues(type_name, object_type))
        found.extend(Issue(p.path, p.problem, fix=p.fix) for p in views_problems(type_name, object_type, config.views))
    return found


def _with_type_settings(config: ConnectorConfig, connection: Any, targets: dict[str, Any]) -> ConnectorConfig:
    """The generic config completed with the validated connection and each object type's target."""
    object_types = {
        type_name: object_type.model_copy(update={"target": targets.get(type_name)})
        for type_name, object_type in config.object_types.items()
    }
    return config.model_copy(update={"connection": connection, "object_types": object_types})


def _split_object_types(plain: dict[str, Any]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The file with generic object-type keys only, and each object type's connector-specific keys."""
    object_types = plain.get("object_types")
    if not isinstance(object_types, Mapping):
        return dict(plain), {}
    generic_types: dict[str, Any] = {}
    specific: dict[str, dict[str, Any]] = {}
    for type_name, body in object_types.items():
        if isinstance(body, Mapping):
            generic_types[type_name] = {k: v for k, v in body.items() if k in GENERIC_OBJECT_TYPE_KEYS}
            specific[type_name] = {k: v for k, v in body.items() if k not in GENERIC_OBJECT_TYPE_KEYS}
        else:
            generic_types[type_name] = body
    return {**plain, "object_types": generic_types}, specific


def _settings_models(type_name: Any, issues: list[Issue]) -> SettingsModels | None:
    if not isinstance(type_name, str):
        return None  # the generic model reports a missing or wrong `type`
    try:
        return connector_types.settings_models(type_name)
    except connector_types.UnknownConnectorType as exc:
        issues.append(Issue("type", str(exc), fix="pick an installed type or install its package"))
    except Exception as exc:  # a broken plugin must not hide the other issues of the file
        issues.append(
            Issue(
                "type",
                f"the connector types could not be loaded: {type(exc).__name__}: {exc}",
                fix="reinstall the package that provides the connector type",
            )
        )
    return None


def _validate_connection(
    model: type[BaseModel],
    plain: dict[str, Any],
    issues: list[Issue],
    context: _SecretsContext,
) -> Any:
    raw_connection = plain.get("connection") or {}
    if not isinstance(raw_connection, Mapping):
        issues.append(Issue("connection", "must be a mapping of settings", fix="write `connection:` with keys"))
        return None
    try:
        resolved = secrets.resolve_secrets(
            raw_connection,
            context.home,
            file=context.file,
            connector=str(plain.get("name")),
            allow_plaintext=context.allow_plaintext,
            require_env=context.require_env,
        )
    except ConfigFileError as exc:
        issues.extend(exc.issues)
        return None
    return _validate_model(model, resolved, ("connection",), issues)


def _validate_target(model: type[BaseModel], type_name: str, keys: dict[str, Any], issues: list[Issue]) -> Any:
    generic = sorted(GENERIC_OBJECT_TYPE_KEYS)
    return _validate_model(model, keys, ("object_types", type_name), issues, also_allowed=generic)


def _cross_field_issues(type_name: str, object_type: ObjectTypeConfig) -> list[Issue]:
    found: list[Issue] = []
    selected = object_type.attributes
    choices = ", ".join(selected)
    anchor = object_type.anchor.attribute
    if anchor not in selected:
        found.append(
            Issue(
                f"object_types.{type_name}.anchor",
                f"{anchor!r} is not a selected attribute",
                fix=f"add it under attributes or pick one of: {choices}",
            )
        )
    for action in ("disable", "delete"):
        for attribute in getattr(object_type.deprovisioning, action).values:
            path = f"object_types.{type_name}.deprovisioning.{action}.set.{attribute}"
            if attribute not in selected:
                found.append(
                    Issue(
                        path,
                        f"{attribute!r} is not a selected attribute",
                        fix=f"add it under attributes or pick one of: {choices}",
                    )
                )
            elif selected[attribute].type is not AttributeType.BOOLEAN:
                found.append(
                    Issue(
                        path,
                        f"{attribute!r} is not a boolean attribute",
                        fix=f"set `type: boolean` on attributes.{attribute} or pick another attribute",
                    )
                )
    return found


def _validate_model(
    model: type[BaseModel],
    data: Any,
    prefix: Loc,
    issues: list[Issue],
    *,
    also_allowed: list[str] | None = None,
) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        issues.extend(_issue_from(model, prefix, error, also_allowed or []) for error in exc.errors(include_url=False))
        return None


def _issue_from(model: type[BaseModel], prefix: Loc, error: Any, also_allowed: list[str]) -> Issue:
    loc: Loc = tuple(part for part in error["loc"] if part != "[key]")
    path = ".".join(str(part) for part in (*prefix, *loc))
    message = str(error["msg"]).removeprefix("Value error, ")
    kind = error["type"]
    fix = ""
    if kind == "missing":
        fix = f"add `{loc[-1]}:`" if loc else ""
    elif kind == "extra_forbidden":
        allowed = _allowed_keys(model, loc[:-1]) + (also_allowed if len(loc) == 1 else [])
        fix = "remove it or correct its spelling" + (f"; allowed keys: {', '.join(allowed)}" if allowed else "")
        message = "unknown key"
    elif "[key]" in error["loc"]:
        message = f"not an allowed name: {message}"
    return Issue(path, message, fix=fix)


def _allowed_keys(model: type[BaseModel], loc: Loc) -> list[str]:
    """The field names of the model found at `loc` under `model` (through dicts and optionals), or []."""
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel) and part in current.model_fields:
            current = current.model_fields[str(part)].annotation
        elif get_origin(current) is dict:
            current = get_args(current)[1]
        else:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        keys = [field.alias or name for name, field in current.model_fields.items()]
        return [key for key in keys if key != "target"] if current is ObjectTypeConfig else keys
    return []


def _unwrap(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, types.UnionType):
        members = [arg for arg in get_args(annotation) if arg is not type(None)]
        return members[0] if len(members) == 1 else annotation
    return annotation


def _with_line(issue: Issue, raw: Mapping[str, Any]) -> Issue:
    if issue.line is not None or not issue.path:
        return issue
    parts = tuple(int(part) if part.isdigit() else part for part in issue.path.split("."))
    line = line_of(raw, parts)
    return Issue(issue.path, issue.problem, fix=issue.fix, line=line)

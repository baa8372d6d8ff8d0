"""Installed connector types, as configuration needs them: found by name, each with its settings models.

A connector type is an entry point of the group `ecmahost.connectors` (the built-in `sql`, `ldap`, ... register
the same way a third party does) whose class declares `connection_model` (a `ConnectionSettings` model) and
`object_type_model` (a `TargetSettings` model). Validating a connector file needs only these two models;
`connectors.registry` adds that the class is a `Connector`, for the code that runs one.

It imports nothing from `connectors/` (the entry point names the class): the configuration layer stays below the
connectors that read it, without an import loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.metadata import EntryPoint, entry_points

from ecmahost.config.model import ConnectionSettings, TargetSettings

ENTRY_POINT_GROUP = "ecmahost.connectors"


class UnknownConnectorType(LookupError):
    pass


@dataclass(frozen=True, slots=True)
class SettingsModels:
    """What a connector type's file keys validate against."""

    connection: type[ConnectionSettings]
    object_type: type[TargetSettings]


@cache
def installed_types() -> dict[str, type]:
    """Every installed connector type's class by name (imports every connector package)."""
    return {entry.name: entry.load() for entry in entry_points(group=ENTRY_POINT_GROUP)}


def load_type(name: str) -> type:
    """One connector type's class, importing only its own package when it is installed as an entry point: a host
    serving SQL connectors starts without importing ldap3 or httpx (about 0.25 s of every worker's start-up)."""
    found = entry_points(group=ENTRY_POINT_GROUP, name=name)
    if found:
        return _load(next(iter(found)))
    types = installed_types()
    if name in types:
        return types[name]
    known = ", ".join(sorted(types)) or "none installed"
    raise UnknownConnectorType(f"unknown connector type {name!r}; installed types: {known}")


def settings_models(name: str) -> SettingsModels:
    """The settings models of the connector type `name` (`UnknownConnectorType` when none is installed)."""
    cls = load_type(name)
    connection = getattr(cls, "connection_model", ConnectionSettings)
    object_type = getattr(cls, "object_type_model", TargetSettings)
    for what, model, base in (
        ("connection_model", connection, ConnectionSettings),
        ("object_type_model", object_type, TargetSettings),
    ):
        if not (isinstance(model, type) and issubclass(model, base)):
            raise TypeError(f"connector type {name!r}: {what} must derive from ecmahost.kit.{base.__name__}")
    return SettingsModels(connection, object_type)


def _load(entry: EntryPoint) -> type:
    cls = entry.load()
    if not isinstance(cls, type):
        raise TypeError(f"entry point {entry.name} = {entry.value} is not a class")
    return cls

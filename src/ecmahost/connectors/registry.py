"""Connector types, found through the entry point group `ecmahost.connectors` (the built-in SQL and LDAP
connectors register the same way a third party does)."""

from __future__ import annotations

from functools import cache
from importlib.metadata import EntryPoint, entry_points

from ecmahost.connectors.base import Connector

ENTRY_POINT_GROUP = "ecmahost.connectors"


class UnknownConnectorType(LookupError):
    pass


@cache
def connector_types() -> dict[str, type[Connector]]:
    """Every installed connector type, each loaded (imports every connector package)."""
    return {entry.name: _load(entry) for entry in entry_points(group=ENTRY_POINT_GROUP)}


def connector_type(name: str) -> type[Connector]:
    """One connector type, loading only its own package when it is installed as an entry point: a host serving
    SQL connectors starts without importing ldap3 or httpx (about 0.25 s of every worker's start-up)."""
    found = entry_points(group=ENTRY_POINT_GROUP, name=name)
    if found:
        return _load(next(iter(found)))
    types = connector_types()
    if name in types:
        return types[name]
    known = ", ".join(sorted(types)) or "none installed"
    raise UnknownConnectorType(f"unknown connector type {name!r}; installed types: {known}")


def _load(entry: EntryPoint) -> type[Connector]:
    cls = entry.load()
    if not (isinstance(cls, type) and issubclass(cls, Connector)):
        raise TypeError(f"entry point {entry.name} = {entry.value} is not a Connector subclass")
    return cls

"""Connector types, found through the entry point group `ecmahost.connectors` (the built-in SQL and LDAP
connectors register the same way a third party does)."""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points

from ecmahost.connectors.base import Connector

ENTRY_POINT_GROUP = "ecmahost.connectors"


class UnknownConnectorType(LookupError):
    pass


@cache
def connector_types() -> dict[str, type[Connector]]:
    found: dict[str, type[Connector]] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        cls = entry.load()
        if not (isinstance(cls, type) and issubclass(cls, Connector)):
            raise TypeError(f"entry point {entry.name} = {entry.value} is not a Connector subclass")
        found[entry.name] = cls
    return found


def connector_type(name: str) -> type[Connector]:
    types = connector_types()
    try:
        return types[name]
    except KeyError:
        known = ", ".join(sorted(types)) or "none installed"
        raise UnknownConnectorType(f"unknown connector type {name!r}; installed types: {known}") from None

"""Connector types, found through the entry point group `ecmahost.connectors` (the built-in SQL and LDAP
connectors register the same way a third party does). `config.connector_types` finds them; this module adds that
each is a `Connector`."""

from __future__ import annotations

from ecmahost.config import connector_types as found
from ecmahost.config.connector_types import ENTRY_POINT_GROUP, UnknownConnectorType
from ecmahost.connectors.base import Connector

__all__ = ["ENTRY_POINT_GROUP", "UnknownConnectorType", "connector_type", "connector_types"]


def connector_types() -> dict[str, type[Connector]]:
    """Every installed connector type, each loaded (imports every connector package)."""
    return {name: _checked(name, cls) for name, cls in found.installed_types().items()}


def connector_type(name: str) -> type[Connector]:
    """One connector type, loading only its own package when it is installed as an entry point: a host serving
    SQL connectors starts without importing ldap3 or httpx (about 0.25 s of every worker's start-up)."""
    return _checked(name, found.load_type(name))


def _checked(name: str, cls: type) -> type[Connector]:
    if not issubclass(cls, Connector):
        raise TypeError(f"entry point {name} of {ENTRY_POINT_GROUP} is not a Connector subclass")
    return cls

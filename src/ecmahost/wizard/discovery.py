"""Talk to the target of a draft through its connector type: "Test" on the Connectivity page and the
discovered object types and attributes on the Schema and Select Attributes pages.

A probe connector is built from the draft's connection (secrets resolved from `enc:`/`${env:..}`) with no object
type, because the admin has not chosen them yet; for types whose `check()`/`discover()` read configured places
only (CSV files, REST collections), the profile's `probe_targets` are configured as object types with no
attribute. It is opened, used once and closed. Errors come
back as a `ProbeResult` with the message an admin can act on, never with a secret in it.

`combined_class` and `naming_contexts` read a discovered schema (no I/O). It does not cache the discovered schema
(the front ends keep what they need) and writes nothing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import ValidationError

from ecmahost.config import secrets
from ecmahost.config.errors import ConfigFileError
from ecmahost.config.model import AnchorConfig, ConnectorConfig, ObjectTypeConfig
from ecmahost.connectors.base import Connector, DiscoveredObjectClass, DiscoveredSchema
from ecmahost.connectors.errors import ConfigurationError
from ecmahost.connectors.registry import UnknownConnectorType, connector_type
from ecmahost.home import Home
from ecmahost.wizard.draft import ConnectorDraft
from ecmahost.wizard.profiles import PROFILES

PROBE_TIMEOUT_SECONDS = 30.0


@dataclass(slots=True)
class ProbeResult:
    ok: bool
    message: str
    seconds: float = 0.0
    schema: DiscoveredSchema | None = None
    details: dict[str, str] = field(default_factory=dict)

    def object_class(self, name: str) -> DiscoveredObjectClass | None:
        classes = self.schema.object_classes if self.schema else []
        return next((item for item in classes if item.name == name), None)


class ProbeError(Exception):
    """The draft cannot even be turned into a connector (unknown type, invalid connection settings)."""


def probe_connector(draft: ConnectorDraft, home: Home) -> Connector:
    """A connector of the draft's type over its connection only; `ProbeError` says what is missing."""
    try:
        cls = connector_type(draft.type)
    except UnknownConnectorType as exc:
        raise ProbeError(str(exc)) from None
    try:
        resolved = secrets.resolve_secrets(
            draft.connection, home, file="<wizard>", connector=draft.name or "new", require_env=True
        )
    except ConfigFileError as exc:
        raise ProbeError("; ".join(f"{issue.path}: {issue.problem}" for issue in exc.issues)) from None
    try:
        connection = cls.connection_model.model_validate(resolved)
    except ValidationError as exc:
        problems = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors(include_url=False)]
        raise ProbeError("; ".join(problems)) from None
    config = ConnectorConfig.model_construct(
        name=draft.name or "wizard-probe",
        type=draft.type,
        description="",
        token=None,
        connection=connection,
        object_types=_probe_object_types(draft, home),
    )
    try:
        return cls(config, home=home.root)
    except (ValidationError, ValueError, ConfigurationError) as exc:
        raise ProbeError(f"the object types cannot be read yet: {exc}") from None


def _probe_object_types(draft: ConnectorDraft, home: Home) -> dict[str, Any]:
    """For types whose `discover()` reads configured places only (CSV files, REST collections): those places,
    each as an object type with no attribute; none for the others."""
    profile = PROFILES.get(draft.type)
    if profile is None or profile.probe_targets is None:
        return {}
    return {
        name: ObjectTypeConfig.model_construct(anchor=AnchorConfig(attribute=""), attributes={}, target=target)
        for name, target in profile.probe_targets(draft, home).items()
    }


async def _run(draft: ConnectorDraft, home: Home, action: str) -> ProbeResult:
    started = time.monotonic()
    try:
        connector = probe_connector(draft, home)
    except ProbeError as exc:
        return ProbeResult(False, str(exc))
    try:
        await connector.open()
        async with asyncio.timeout(PROBE_TIMEOUT_SECONDS):
            if action == "check":
                await connector.check()
                schema = None
            else:
                schema = await connector.discover()
    except TimeoutError:
        return ProbeResult(False, f"no answer from the target within {PROBE_TIMEOUT_SECONDS:.0f} s")
    except Exception as exc:  # any failure of the target is shown to the admin, not raised
        return ProbeResult(False, _describe(exc), time.monotonic() - started)
    finally:
        await connector.close()
    seconds = time.monotonic() - started
    if schema is None:
        return ProbeResult(True, f"connected and read from the target in {seconds:.2f} s", seconds)
    count = len(schema.object_classes)
    message = f"found {count} object type{'s' if count != 1 else ''} in {seconds:.2f} s"
    return ProbeResult(True, message, seconds, schema=schema, details=dict(schema.detail))


def _describe(exc: Exception) -> str:
    """The project's own errors already speak to an admin; a library's error gets its class name in front."""
    text = str(exc).strip() or type(exc).__name__
    return text if type(exc).__module__.startswith("ecmahost") else f"{type(exc).__name__}: {text}"


async def test_connectivity(draft: ConnectorDraft, home: Home) -> ProbeResult:
    """Connect for real and read once (the connector type's `check()` with no object types)."""
    return await _run(draft, home, "check")


async def discover(draft: ConnectorDraft, home: Home) -> ProbeResult:
    """What the target holds: the connector type's `discover()`."""
    return await _run(draft, home, "discover")


def discovered_attributes(result: ProbeResult, container: str) -> list[Any]:
    found = result.object_class(container)
    return list(found.attributes) if found else []


def combined_class(schema: DiscoveredSchema | None, names: Sequence[str]) -> DiscoveredObjectClass | None:
    """The first (table or structural) class with the attributes of the others appended: an LDAP entry of
    `[inetOrgPerson, posixAccount]` may hold both classes' attributes, and must hold both classes' MUST ones.
    None when the first is not in `schema`; an unknown auxiliary class adds nothing."""
    by_name = {item.name.lower(): item for item in schema.object_classes} if schema else {}
    first = by_name.get(names[0].lower()) if names else None
    if first is None:
        return None
    attributes = {attribute.name.lower(): attribute for attribute in first.attributes}
    for name in names[1:]:
        for attribute in by_name[name.lower()].attributes if name.lower() in by_name else []:
            known = attributes.get(attribute.name.lower())
            if known is None:
                attributes[attribute.name.lower()] = attribute
            elif attribute.required and not known.required:
                attributes[attribute.name.lower()] = replace(known, required=True)
    return DiscoveredObjectClass(first.name, first.kind, list(attributes.values()))


def naming_contexts(schema: DiscoveredSchema | None) -> list[str]:
    """The directory's naming contexts (suffixes such as dc=example,dc=org), as discovery reported them."""
    text = schema.detail.get("naming_contexts", "") if schema else ""
    return [item.strip() for item in text.split(";") if item.strip()]

"""`Session`: one bound ldap3 connection, lent to one connector operation, with the few calls reads and writes
need (search, paged search, base read, add, modify, modify DN, delete) and counters of what was read.

Each call passes ldap3's own exceptions through (`errors` translates them, `pool` decides whether the connection
survives). Filters and DNs given here are already escaped by their builders.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ldap3 import BASE, LEVEL, SUBTREE, Connection
from ldap3.core import exceptions as ldap_exc

PAGED_RESULTS = "1.2.840.113556.1.4.319"
PERMISSIVE_MODIFY = "1.2.840.113556.1.4.1413"
NO_ATTRIBUTES = "1.1"
SCOPES = {"subtree": SUBTREE, "one": LEVEL, "base": BASE}


@dataclass(frozen=True, slots=True)
class ServerFeatures:
    """What the root DSE says, read once per pool."""

    controls: frozenset[str] = frozenset()
    vendor: str = ""
    version: str = ""
    naming_contexts: tuple[str, ...] = ()
    active_directory: bool = False
    """AD LDS (or AD DS): `supportedCapabilities` is present"""

    @property
    def paged_results(self) -> bool:
        return PAGED_RESULTS in self.controls or not self.controls


@dataclass(slots=True)
class Entry:
    dn: str
    values: dict[str, list[bytes]] = field(default_factory=dict)
    """attribute name in lower case -> raw values"""

    def get(self, attribute: str) -> list[bytes]:
        return self.values.get(attribute.lower(), [])


@dataclass(slots=True)
class Counters:
    """What a pool's sessions did: operations sent, entries and attribute values received."""

    operations: int = 0
    entries: int = 0
    values: int = 0
    permissive_modify: bool | None = None
    """whether the server honours Permissive Modify: learned from the first try (OpenLDAP supports it without
    listing it in the root DSE), None until then"""


class Session:
    def __init__(self, conn: Connection, features: ServerFeatures, page_size: int, counters: Counters) -> None:
        self.conn = conn
        self.features = features
        self.page_size = page_size
        self.counters = counters
        self.operations = 0
        """operations sent in this session (the pool retries a stale connection only before the first)"""

    # -- reads ---------------------------------------------------------------------------------------------------

    def search(self, base: str, filter_: str, scope: str, attributes: Sequence[str], limit: int = 0) -> list[Entry]:
        """A single (non-paged) search, for results known to be small."""
        self._count()
        self.conn.search(base, filter_, SCOPES[scope], attributes=list(attributes) or NO_ATTRIBUTES, size_limit=limit)
        return self._entries(self.conn.response)

    def paged(self, base: str, filter_: str, scope: str, attributes: Sequence[str]) -> Iterator[Entry]:
        """Every matching entry, fetched `page_size` at a time with the Simple Paged Results control."""
        if not self.features.paged_results:
            yield from self.search(base, filter_, scope, attributes)
            return
        cookie: Any = None
        while True:
            self._count()
            self.conn.search(
                base,
                filter_,
                SCOPES[scope],
                attributes=list(attributes) or NO_ATTRIBUTES,
                paged_size=self.page_size,
                paged_cookie=cookie,
            )
            yield from self._entries(self.conn.response)
            controls = (self.conn.result or {}).get("controls") or {}
            cookie = controls.get(PAGED_RESULTS, {}).get("value", {}).get("cookie")
            if not cookie:
                return

    def read(self, dn: str, attributes: Sequence[str]) -> Entry | None:
        """The entry at `dn`, or None when there is none."""
        try:
            found = self.search(dn, "(objectClass=*)", "base", attributes)
        except ldap_exc.LDAPNoSuchObjectResult:
            return None
        return found[0] if found else None

    def _entries(self, response: Any) -> list[Entry]:
        entries = []
        for item in response or []:
            if item.get("type") != "searchResEntry":
                continue
            values = {name.lower(): list(raw) for name, raw in (item.get("raw_attributes") or {}).items()}
            self.counters.entries += 1
            self.counters.values += sum(len(v) for v in values.values())
            entries.append(Entry(item["dn"], values))
        return entries

    def compare(self, dn: str, attribute: str, value: str) -> bool:
        """Whether the entry at `dn` holds `value` in `attribute` (the server compares; nothing is read)."""
        self._count()
        return bool(self.conn.compare(dn, attribute, value))

    # -- writes --------------------------------------------------------------------------------------------------

    def add(self, dn: str, attributes: Mapping[str, list[Any]]) -> None:
        self._count()
        self.conn.add(dn, attributes=dict(attributes))

    def modify(self, dn: str, changes: Mapping[str, list[tuple[str, list[Any]]]], *, permissive: bool = False) -> None:
        """Apply `changes` atomically. `permissive` sends the Permissive Modify control as critical (adding a present
        value and deleting an absent one become no-ops); a server without it refuses the whole modify with
        unavailableCriticalExtension (12) and changes nothing."""
        if not changes:
            return
        controls = [(PERMISSIVE_MODIFY, True, None)] if permissive else None
        self._count()
        self.conn.modify(dn, dict(changes), controls=controls)

    def modify_dn(self, dn: str, rdn: str, new_superior: str | None = None) -> None:
        self._count()
        self.conn.modify_dn(dn, rdn, delete_old_dn=True, new_superior=new_superior)

    def delete(self, dn: str) -> None:
        self._count()
        self.conn.delete(dn)

    def _count(self) -> None:
        self.operations += 1
        self.counters.operations += 1

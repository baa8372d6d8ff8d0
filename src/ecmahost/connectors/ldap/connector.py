"""`LdapConnector`: the generic LDAP connector (`type: ldap`) over ldap3, for OpenLDAP, 389 DS, AD LDS and
other LDAP v3 directories.

It owns the connection pool (`pool`), resolves each object type once (`spec`), and runs every operation as one
blocking unit of work in a worker thread: find the entry by its anchor, translate member anchors, then read or
write (`reads`, `writes`, `members`; `references` for DN-valued attributes). Errors are translated at the
pool's edge. It never sees SCIM.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ecmahost.config.model import ConnectorConfig
from ecmahost.connectors.base import ClearRules, Connector, DiscoveredSchema, TargetProblem
from ecmahost.connectors.errors import ConfigurationError
from ecmahost.connectors.ldap import clearing, members, reads, references, writes
from ecmahost.connectors.ldap.directory import Directory, find
from ecmahost.connectors.ldap.discovery import discover
from ecmahost.connectors.ldap.models import LdapConnection, LdapObjectType
from ecmahost.connectors.ldap.pool import LdapPool
from ecmahost.connectors.ldap.session import Session
from ecmahost.connectors.ldap.spec import STAMPS, spec_of
from ecmahost.connectors.ldap.verify import directory_problems
from ecmahost.connectors.query import MEMBERS, Change, Record, SearchQuery, SearchResult


class LdapConnector(Connector):
    type_name = "ldap"
    description = "An LDAP v3 directory (OpenLDAP, 389 DS, AD LDS, ...) through ldap3"
    connection_model = LdapConnection
    object_type_model = LdapObjectType
    connection: LdapConnection
    targets: dict[str, LdapObjectType]

    def __init__(self, config: ConnectorConfig, *, home: Path) -> None:
        super().__init__(config, home=home)
        self.directory = Directory(
            specs={name: spec_of(name, spec, self.targets[name]) for name, spec in config.object_types.items()},
            settings=self.connection,
        )
        self.pool = LdapPool(self.connection, home=home, label=config.name)
        self._clear_rules: dict[str, ClearRules] = {}

    async def open(self) -> None:
        """Nothing to do: connections are made on first use, so the host starts while the directory is down."""

    async def close(self) -> None:
        self.pool.close()

    def has_members(self, object_type: str) -> bool:
        spec = self.directory.specs.get(object_type)
        return spec is not None and spec.is_group

    def timestamps(self, object_type: str) -> frozenset[str]:
        return frozenset(STAMPS) if object_type in self.directory.specs else frozenset()

    async def check(self) -> None:
        def work(session: Session) -> None:
            bases = [s.target.base_dn for s in self.directory.specs.values()] + list(self.connection.base_dns)
            for base in dict.fromkeys(bases):
                if session.read(base, []) is None:
                    raise ConfigurationError(f"the base DN {base} does not exist (or the bind account cannot read it)")

        await self.pool.run(work, "check")

    async def verify(self) -> list[TargetProblem]:
        return await self.pool.run(lambda s: directory_problems(s, self.directory, self.config), "verify")

    async def discover(self) -> DiscoveredSchema:
        return await self.pool.run(discover, "discover")

    async def clear_rules(self, object_type: str) -> ClearRules:
        """From the directory's schema, read on the first call (`clearing`)."""
        rules = self._clear_rules.get(object_type)
        if rules is None:
            spec = self.directory.spec(object_type)
            rules = await self.pool.run(lambda s: clearing.clear_rules(s, spec), f"read the schema of {object_type}")
            self._clear_rules[object_type] = rules
        return rules

    async def search(self, object_type: str, query: SearchQuery) -> SearchResult:
        spec = self.directory.spec(object_type)
        return await self.pool.run(lambda s: reads.search(s, self.directory, spec, query), f"search {object_type}")

    async def get(self, object_type: str, anchor: str, attributes: frozenset[str] | None = None) -> Record:
        spec = self.directory.spec(object_type)
        return await self.pool.run(
            lambda s: reads.get(s, self.directory, spec, anchor, attributes), f"read {object_type} {anchor}"
        )

    async def create(self, object_type: str, record: Record) -> Record:
        spec = self.directory.spec(object_type)
        wanted = None if MEMBERS not in record else frozenset([*spec.types, MEMBERS])

        def work(session: Session) -> Record:
            values = members.require_values(session, self.directory, spec, record.get(MEMBERS) or [])
            translated = references.to_dns(session, self.directory, spec, record) if spec.references else record
            dn = writes.add(session, self.directory, spec, translated, values)
            return reads.read_dn(session, self.directory, spec, dn, wanted)

        return await self.pool.run(work, f"create {object_type}")

    async def update(self, object_type: str, anchor: str, change: Change) -> None:
        spec = self.directory.spec(object_type)
        if (change.add_members or change.remove_members or change.clear_members) and not spec.is_group:
            raise ConfigurationError(f"{object_type} has no members: set `member_attribute` for it")

        cleared = writes.cleared_defaults(spec, change.set)  # removed: they get their create_defaults value

        def work(session: Session) -> None:
            entry = find(session, spec, anchor, writes.template_inputs(spec, cleared))
            wanted = change
            if cleared:
                wanted = replace(change, set=writes.refill_defaults(spec, change.set, cleared, entry))
            dn = entry.dn
            added = members.require_values(session, self.directory, spec, wanted.add_members)
            removed = list(members.values_for(session, self.directory, spec, wanted.remove_members).values())
            if spec.references:
                translated = replace(wanted, set=references.to_dns(session, self.directory, spec, wanted.set))
                writes.modify(session, self.directory, spec, dn, translated, added, removed)
            else:
                writes.modify(session, self.directory, spec, dn, wanted, added, removed)

        await self.pool.run(work, f"update {object_type} {anchor}")

    async def delete(self, object_type: str, anchor: str) -> None:
        spec = self.directory.spec(object_type)

        def work(session: Session) -> None:
            dn = find(session, spec, anchor, []).dn
            writes.delete(session, self.directory, spec, dn)

        await self.pool.run(work, f"delete {object_type} {anchor}")

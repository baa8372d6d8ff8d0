"""The shared part of the connector contract: which attributes to use (`ContractNames`) and helpers.

Connector-neutral: it uses only the `Connector` API and the names the subclass provides.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import pytest

from ecmahost.connectors.base import Connector
from ecmahost.connectors.query import (
    MEMBERS,
    And,
    Compare,
    Filter,
    Op,
    SearchQuery,
)


@dataclass(frozen=True, slots=True)
class ContractNames:
    """Which target attributes the contract uses. `boolean` and `complex` may be None when the target has none."""

    login: str
    given_name: str
    family_name: str
    email: str
    group_name: str
    boolean: str | None = None
    complex: str | None = None
    complex_value: str = "value"
    complex_type: str = "type"
    user: str = "User"
    group: str = "Group"
    case_exact_login: bool = True
    """the target can compare the login case-exactly"""
    members_must_exist: bool = True
    """adding a member that does not exist fails (a foreign key, referential integrity)"""


class ContractBase:
    pytestmark = pytest.mark.anyio

    @pytest.fixture
    def tag(self) -> str:
        return f"t{secrets.token_hex(4)}"

    # -- helpers ---------------------------------------------------------------------------------------
    @staticmethod
    async def _user(c: Connector, n: ContractNames, login: str, **values: Any) -> dict[str, Any]:
        record = {n.login: login, n.given_name: "Given", n.family_name: "Family", **values}
        return await c.create(n.user, record)

    @staticmethod
    def _anchor(c: Connector, n: ContractNames, record: dict[str, Any], object_type: str | None = None) -> str:
        anchor = c.config.object_types[object_type or n.user].anchor.attribute  # type: ignore[index]
        return str(record[anchor])

    @staticmethod
    async def _logins(c: Connector, n: ContractNames, tag: str, f: Filter | None = None) -> set[str]:
        scope = Compare(n.login, Op.SW, tag)
        result = await c.search(n.user, SearchQuery(filter=scope if f is None else And((scope, f))))
        assert result.total == len(result.records)
        return {r[n.login] for r in result.records}

    @staticmethod
    async def _group(c: Connector, n: ContractNames, name: str, members: list[str] | None = None) -> str:
        record: dict[str, Any] = {n.group_name: name}
        if members:
            record[MEMBERS] = members
        created = await c.create(n.group, record)
        return ContractBase._anchor(c, n, created, n.group)

    @staticmethod
    async def _members(c: Connector, n: ContractNames, group: str) -> set[str]:
        return set((await c.get(n.group, group, frozenset({MEMBERS})))[MEMBERS])

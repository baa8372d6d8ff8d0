"""A fake connector type (`fake`) registered in place of the entry points, and a home folder per test."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ConfigDict

from ecmahost.config import connector_types
from ecmahost.config.model import ConnectionSettings, TargetSettings
from ecmahost.config.secrets import Secret
from ecmahost.connectors.base import Connector
from ecmahost.home import Home


class FakeConnection(ConnectionSettings):
    model_config = ConfigDict(extra="forbid")
    url: str
    password: Secret | None = None
    timeout: int = 30


class FakeObjectType(TargetSettings):
    model_config = ConfigDict(extra="forbid")
    table: str


class FakeConnector(Connector):
    type_name = "fake"
    connection_model = FakeConnection
    object_type_model = FakeObjectType

    async def check(self) -> None: ...
    async def discover(self):  # type: ignore[override]
        raise NotImplementedError

    async def search(self, object_type, query):  # type: ignore[override]
        raise NotImplementedError

    async def get(self, object_type, anchor, attributes=None):  # type: ignore[override]
        raise NotImplementedError

    async def create(self, object_type, record):  # type: ignore[override]
        raise NotImplementedError

    async def update(self, object_type, anchor, change):  # type: ignore[override]
        raise NotImplementedError

    async def delete(self, object_type, anchor):  # type: ignore[override]
        raise NotImplementedError


DEMO = """\
# the demo connector
name: demo
type: fake
description: Demo employees
connection:
  url: sqlite:///demo.db  # local file
object_types:
  User:
    table: Employees
    anchor: ContosoLogin
    attributes:
      ContosoLogin: {scim: userName, unique: true, required: true}
      Email: {scim: 'emails[type eq "work"].value'}
      Active: {scim: active, type: boolean}
    deprovisioning:
      disable: {set: {Active: false}}
"""


@pytest.fixture(autouse=True)
def fake_type(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connector_types, "installed_types", lambda: {"fake": FakeConnector})


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return Home(tmp_path / "home")


@pytest.fixture
def demo_text() -> str:
    return DEMO

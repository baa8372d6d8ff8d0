"""CLI tests: a runner against the real app, a home folder, and a fake connector type registered in place of
the entry points (the same shape as tests/unit/config's)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ConfigDict
from typer.testing import CliRunner

from ecmahost.config import connector_types
from ecmahost.config.model import ConnectionSettings, TargetSettings
from ecmahost.config.secrets import Secret
from ecmahost.connectors.base import Connector


class FakeConnection(ConnectionSettings):
    model_config = ConfigDict(extra="forbid")
    url: str
    password: Secret | None = None


class FakeObjectType(TargetSettings):
    model_config = ConfigDict(extra="forbid")
    table: str


class FakeConnector(Connector):
    type_name = "fake"
    connection_model = FakeConnection
    object_type_model = FakeObjectType
    check = discover = search = get = create = update = delete = None  # type: ignore[assignment]


FakeConnector.__abstractmethods__ = frozenset()

DEMO = """\
# the demo connector
name: demo
type: fake
connection:
  url: sqlite:///demo.db  # local file
object_types:
  User:
    table: Employees
    anchor: Login
    attributes:
      Login: {scim: userName}
      Active: {scim: active, type: boolean}
"""


@pytest.fixture(autouse=True)
def fake_type(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connector_types, "installed_types", lambda: {"fake": FakeConnector})


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ECMAHOST_HOME", str(tmp_path / "env-home-not-used"))
    return tmp_path / "home"


@pytest.fixture
def demo_file(tmp_path: Path) -> Path:
    path = tmp_path / "demo.yaml"
    path.write_text(DEMO)
    return path

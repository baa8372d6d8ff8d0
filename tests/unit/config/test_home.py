from __future__ import annotations

import stat
from pathlib import Path

import pytest

from ecmahost.config.errors import InvalidConnectorName
from ecmahost.config.store import ConnectorStore
from ecmahost.home import HOME_ENV, Home, resolve_home, write_private


def test_home_option_wins_over_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "from-env"))
    assert resolve_home(tmp_path / "from-option") == (tmp_path / "from-option").resolve()


def test_environment_variable_used_without_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "from-env"))
    assert resolve_home(None) == (tmp_path / "from-env").resolve()


def test_default_home_is_per_user(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(HOME_ENV, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert resolve_home(None) == (tmp_path / ".ecmahost").resolve()


def test_layout_paths(tmp_path: Path) -> None:
    home = Home(tmp_path)
    assert home.host_file == tmp_path / "host.yaml"
    assert ConnectorStore(home).path("demo") == tmp_path / "connectors" / "demo.yaml"
    assert (home.cert_file, home.key_file) == (tmp_path / "certs/host.crt", tmp_path / "certs/host.key")
    assert home.secret_key_file == tmp_path / "secret.key"
    assert home.logs_dir == tmp_path / "logs"


@pytest.mark.parametrize("name", ["../etc/passwd", "a/b", "a\\b", ".hidden", "", "x" * 65, "demo.yaml/..", "é"])
def test_connector_name_cannot_escape_the_connectors_folder(tmp_path: Path, name: str) -> None:
    with pytest.raises(InvalidConnectorName, match="not a valid connector name"):
        ConnectorStore(Home(tmp_path)).path(name)


def test_connector_names_are_case_sensitive(tmp_path: Path) -> None:
    store = ConnectorStore(Home(tmp_path))
    assert store.path("Demo") != store.path("demo")


def test_folders_are_created_private(tmp_path: Path) -> None:
    home = Home(tmp_path / "home")
    home.ensure(home.connectors_dir)
    assert stat.S_IMODE(home.connectors_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(home.root.stat().st_mode) == 0o700


def test_private_write_is_0600_and_replaces_atomically(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "secret.key"
    write_private(target, "one")
    write_private(target, b"two")
    assert target.read_text() == "two"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in target.parent.iterdir()] == ["secret.key"]

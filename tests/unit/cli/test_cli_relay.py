"""`ecmahost relay init --trusted-proxy`: the front proxies whose X-Forwarded-For names the client are saved in
relay.json and handed to uvicorn's proxy-headers middleware by `relay serve`; none by default, `*` refused.
`--agent-nats`: the URLs agents are told at registration, wss:// ones too, never a mix of wss:// and tls://."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ecmahost.cli.main import app


def init(runner: CliRunner, home: Path, *proxies: str):  # type: ignore[no-untyped-def]
    arguments = ["relay", "init", "--home", str(home), "--nats", "tls://127.0.0.1:4222"]
    return runner.invoke(app, [*arguments, *(part for proxy in proxies for part in ("--trusted-proxy", proxy))])


def served_with(runner: CliRunner, home: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The keyword arguments `relay serve` gives uvicorn (the server itself is not started)."""
    import uvicorn

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: seen.update(options))
    result = runner.invoke(app, ["relay", "serve", "--home", str(home)])
    assert result.exit_code == 0, result.output
    return seen


def test_by_default_the_relay_believes_no_proxy(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert init(runner, tmp_path).exit_code == 0
    assert json.loads((tmp_path / "relay.json").read_text())["trusted_proxies"] == []
    options = served_with(runner, tmp_path, monkeypatch)
    assert (options["proxy_headers"], options["forwarded_allow_ips"]) == (False, [])


def test_trusted_proxies_are_saved_normalized_and_handed_to_uvicorn(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert init(runner, tmp_path, "10.0.0.0/8", "192.0.2.5/32").exit_code == 0
    options = served_with(runner, tmp_path, monkeypatch)
    assert (options["proxy_headers"], options["forwarded_allow_ips"]) == (True, ["10.0.0.0/8", "192.0.2.5"])


@pytest.mark.parametrize("proxy", ["*", "proxy.example.org"])
def test_a_trusted_proxy_that_is_not_an_address_or_network_is_refused(
    runner: CliRunner, tmp_path: Path, proxy: str
) -> None:
    result = init(runner, tmp_path, proxy)
    assert result.exit_code == 1
    assert "is not an IP address or network" in result.stderr
    assert not (tmp_path / "relay.json").exists()


def init_arguments(home: Path) -> list[str]:
    return ["relay", "init", "--home", str(home), "--nats", "tls://127.0.0.1:4222"]


def test_agent_nats_urls_over_websocket_are_saved_for_registration(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, [*init_arguments(tmp_path), "--agent-nats", "wss://nats.example.org"])
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "relay.json").read_text())["agent_nats_urls"] == ["wss://nats.example.org"]


def test_agent_nats_urls_that_mix_websocket_and_tls_are_refused(runner: CliRunner, tmp_path: Path) -> None:
    mixed = ["--agent-nats", "wss://nats.example.org", "--agent-nats", "tls://nats.example.org:4222"]
    result = runner.invoke(app, [*init_arguments(tmp_path), *mixed])
    assert result.exit_code == 1
    assert "cannot be mixed" in result.stderr
    assert not (tmp_path / "relay.json").exists()

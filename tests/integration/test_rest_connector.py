"""The REST connector against a real REST server (json-server behind tests/integration/rest_target.js): the
connector contract on the example connector of docs/rest-connector.md, then REST-only rules: each kind of
authentication, a target that rate-limits (Retry-After honoured within the time budget), one that is down,
link paging and JSONPath fields."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from ruamel.yaml import YAML

from ecmahost.config.model import ConnectorConfig
from ecmahost.config.store import ConnectorStore
from ecmahost.connectors.errors import ConfigurationError, ObjectNotFound, TargetUnavailable
from ecmahost.connectors.query import MEMBERS, Compare, Op, SearchQuery
from ecmahost.connectors.rest import RestConnector
from ecmahost.home import Home

from contract import ConnectorContract, ContractNames

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "rest" / "connector.yaml"
NODE_MODULES = ROOT / ".cache" / "node" / "node_modules"
NAMES = ContractNames(
    login="Login",
    given_name="FirstName",
    family_name="LastName",
    email="Email",
    group_name="DisplayName",
    boolean="Active",
    complex="Phones",
    members_must_exist=False,
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def rest_target() -> Iterator[str]:
    """The root URL of a fresh REST target (its prefixes choose the behaviour: /open, /bearer, /limited...)."""
    if shutil.which("node") is None or not (NODE_MODULES / "json-server").is_dir():
        if os.environ.get("ECMAHOST_TEST_REQUIRE_DATABASES"):
            pytest.fail("json-server is missing: run scripts/ensure-json-server.sh")
        pytest.skip("json-server is missing: run scripts/ensure-json-server.sh")
    port = _free_port()
    env = {**os.environ, "NODE_PATH": str(NODE_MODULES)}
    process = subprocess.Popen(
        ["node", str(Path(__file__).with_name("rest_target.js")), str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    root = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{root}/open/users", timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail(f"the REST target did not start (exit status {process.wait()})")
    yield root
    process.terminate()
    process.wait(timeout=10)


def example_raw(base_url: str, **connection: Any) -> dict[str, Any]:
    raw = YAML(typ="safe").load(EXAMPLE.read_text(encoding="utf-8"))
    raw["connection"] = {"base_url": base_url, "timeout_seconds": 10, **connection}
    return raw


def saved(home: Path, raw: dict[str, Any]) -> ConnectorConfig:
    return ConnectorStore(Home(home)).save(raw)


async def _connector(home: Path, raw: dict[str, Any]) -> RestConnector:
    connector = RestConnector(saved(home, raw), home=home)
    await connector.open()
    return connector


class TestRestContract(ConnectorContract):
    @pytest.fixture
    def contract_names(self) -> ContractNames:
        return NAMES

    @pytest.fixture
    async def contract_connector(self, rest_target: str, tmp_path: Path) -> AsyncIterator[RestConnector]:
        connector = await _connector(tmp_path, example_raw(f"{rest_target}/open"))
        yield connector
        await connector.close()


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("prefix", "auth", "variable", "secret"),
    [
        ("bearer", {"type": "bearer", "token": "${env:REST_SECRET}"}, "REST_SECRET", "static-token-0123456789"),
        (
            "basic",
            {"type": "basic", "username": "api", "password": "${env:REST_SECRET}"},
            "REST_SECRET",
            "pw-0123456789",
        ),
        ("apikey", {"type": "api_key", "api_key": "${env:REST_SECRET}"}, "REST_SECRET", "key-0123456789"),
        (
            "bearer",
            {
                "type": "oauth2",
                "token_url": "/oauth/token",
                "client_id": "ecmahost",
                "client_secret": "${env:REST_SECRET}",
            },
            "REST_SECRET",
            "client-secret-0123456789",
        ),
    ],
    ids=["bearer", "basic", "api-key", "oauth2-client-credentials"],
)
async def test_each_authentication_reaches_the_api_and_a_wrong_secret_is_a_configuration_error(
    rest_target: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    prefix: str,
    auth: dict[str, Any],
    variable: str,
    secret: str,
) -> None:
    if auth["type"] == "oauth2":
        auth = {**auth, "token_url": f"{rest_target}/oauth/token"}
    monkeypatch.setenv(variable, secret)
    connector = await _connector(tmp_path, example_raw(f"{rest_target}/{prefix}", auth=auth))
    created = await connector.create("User", {"Login": f"auth-{prefix}-{auth['type']}", "FirstName": "A"})
    assert (await connector.get("User", created["Id"]))["FirstName"] == "A"
    await connector.close()
    monkeypatch.setenv(variable, "wrong-secret-value")
    wrong = await _connector(tmp_path, example_raw(f"{rest_target}/{prefix}", auth=auth))
    with pytest.raises(ConfigurationError, match="refused") as raised:
        await wrong.search("User", SearchQuery())
    assert "wrong-secret" not in str(raised.value)
    await wrong.close()


@pytest.mark.anyio
async def test_a_rate_limited_target_is_retried_after_its_retry_after(rest_target: str, tmp_path: Path) -> None:
    connector = await _connector(tmp_path, example_raw(f"{rest_target}/limited"))
    started = time.monotonic()
    created = await connector.create("User", {"Login": "limited-user"})
    await connector.get("User", created["Id"])
    assert time.monotonic() - started >= 1.0, "Retry-After: 1 was waited for"
    await connector.close()


@pytest.mark.anyio
async def test_a_retry_after_beyond_the_time_budget_fails_at_once_with_503(rest_target: str, tmp_path: Path) -> None:
    connector = await _connector(tmp_path, example_raw(f"{rest_target}/limited", timeout_seconds=0.8))
    started = time.monotonic()
    outcomes = []
    try:
        for _ in range(2):  # one of two requests is limited
            try:
                await connector.get("User", "999999")
            except (TargetUnavailable, ObjectNotFound) as exc:
                outcomes.append(f"{type(exc).__name__} {getattr(exc, 'retry_after', '')}".strip())
    finally:
        await connector.close()
    assert sorted(outcomes) == ["ObjectNotFound", "TargetUnavailable 1"]
    assert time.monotonic() - started < 0.8 * 2


@pytest.mark.anyio
async def test_a_target_that_is_down_is_target_unavailable_quickly(tmp_path: Path) -> None:
    connector = await _connector(tmp_path, example_raw(f"http://127.0.0.1:{_free_port()}/api", timeout_seconds=3))
    started = time.monotonic()
    with pytest.raises(TargetUnavailable, match="cannot reach"):
        await connector.search("User", SearchQuery())
    with pytest.raises(TargetUnavailable):
        await connector.check()
    assert time.monotonic() - started < 3
    await connector.close()


@pytest.mark.anyio
@pytest.mark.parametrize("style", ["page", "link"])
async def test_search_follows_the_targets_pages(rest_target: str, tmp_path: Path, style: str) -> None:
    raw = example_raw(f"{rest_target}/open")
    paging = {"style": style, "page_param": "_page", "size_param": "_limit", "size": 2}
    raw["object_types"]["User"]["paging"] = paging
    connector = await _connector(tmp_path, raw)
    for i in range(5):
        await connector.create("User", {"Login": f"pages-{style}-{i}"})
    found = await connector.search("User", SearchQuery(filter=Compare("Login", Op.SW, f"pages-{style}-")))
    assert sorted(r["Login"] for r in found.records) == [f"pages-{style}-{i}" for i in range(5)]
    await connector.close()


@pytest.mark.anyio
async def test_fields_are_written_and_read_at_their_json_pointers(rest_target: str, tmp_path: Path) -> None:
    connector = await _connector(tmp_path, example_raw(f"{rest_target}/open"))
    created = await connector.create("User", {"Login": "nested", "FirstName": "Ann", "LastName": "Lee"})
    stored = httpx.get(f"{rest_target}/open/users/{created['Id']}").json()
    assert stored["name"] == {"givenName": "Ann", "familyName": "Lee"}
    group = await connector.create("Group", {"DisplayName": "pointer-group", MEMBERS: [created["Id"]]})
    assert httpx.get(f"{rest_target}/open/groups/{group['Id']}").json()["members"] == [created["Id"]]
    await connector.close()


# -- verify: the connector file against the API --------------------------------------------------------------------
async def _verified(home: Path, raw: dict[str, Any]) -> dict[str, Any]:
    connector = await _connector(home, raw)
    try:
        return {problem.where: problem for problem in await connector.verify()}
    finally:
        await connector.close()


@pytest.mark.anyio
async def test_verify_lists_each_collection_once_and_finds_nothing_wrong(rest_target: str, tmp_path: Path) -> None:
    assert await _verified(tmp_path, example_raw(f"{rest_target}/open")) == {}


@pytest.mark.anyio
async def test_verify_names_a_collection_the_api_does_not_have(rest_target: str, tmp_path: Path) -> None:
    raw = example_raw(f"{rest_target}/open")
    raw["object_types"]["Group"]["collection"] = "/teams"
    found = await _verified(tmp_path, raw)
    assert "listing /teams failed" in found["object_types.Group.collection"].problem
    assert found["object_types.Group.collection"].object_type == "Group"
    assert not any(where.startswith("object_types.User") for where in found)


@pytest.mark.anyio
async def test_verify_of_an_api_that_is_down_raises_target_unavailable(tmp_path: Path) -> None:
    with pytest.raises(TargetUnavailable):
        await _verified(tmp_path, example_raw("http://127.0.0.1:9/open"))

"""The script connector against real processes: the connector contract on the worked Python example of
docs/script-connector.md (worker mode), the shell example, and the process rules: timeout, size limit, non-zero
exit, bad JSON, environment parameters, stderr in the log with secrets masked, a worker that dies."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from ecmahost.config.model import ConnectorConfig
from ecmahost.config.store import ConnectorStore
from ecmahost.connectors.errors import ObjectExists, ObjectNotFound, TargetUnavailable
from ecmahost.connectors.query import MEMBERS, Change, Compare, Op, SearchQuery
from ecmahost.connectors.script import ScriptConnector
from ecmahost.home import Home

from contract import ConnectorContract, ContractNames

EXAMPLES = Path(__file__).parents[2] / "examples" / "scripts"
NAMES = ContractNames(
    login="Login",
    given_name="FirstName",
    family_name="LastName",
    email="Email",
    group_name="DisplayName",
    boolean="Active",
    complex="Phones",
)


def example_raw(kind: str, **connection: Any) -> dict[str, Any]:
    raw = YAML(typ="safe").load((EXAMPLES / kind / "connector.yaml").read_text(encoding="utf-8"))
    raw["connection"]["working_directory"] = str(EXAMPLES / kind)
    raw["connection"].update(connection)
    if raw["connection"]["command"][0] == "python3":
        raw["connection"]["command"][0] = sys.executable
    return raw


def saved(home: Path, raw: dict[str, Any]) -> ConnectorConfig:
    return ConnectorStore(Home(home)).save(raw)


@pytest.fixture(scope="module")
def shared_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("script-home")


class TestPythonScriptContract(ConnectorContract):
    @pytest.fixture
    def contract_names(self) -> ContractNames:
        return NAMES

    @pytest.fixture
    async def contract_connector(self, shared_home: Path) -> AsyncIterator[ScriptConnector]:
        raw = example_raw("python", parameters={"DATA_FILE": str(shared_home / "users.json")})
        connector = ScriptConnector(saved(shared_home, raw), home=shared_home)
        await connector.open()
        yield connector
        await connector.close()


async def _connector(home: Path, raw: dict[str, Any]) -> ScriptConnector:
    connector = ScriptConnector(saved(home, raw), home=home)
    await connector.open()
    return connector


@pytest.mark.anyio
async def test_per_request_mode_runs_one_process_per_request_and_logs_its_stderr(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    raw = example_raw("python", command=[sys.executable, "users_connector.py"], mode="per_request")
    raw["connection"]["parameters"] = {"DATA_FILE": str(tmp_path / "data.json")}
    connector = await _connector(tmp_path, raw)
    caplog.set_level(logging.INFO, logger="ecmahost.connectors.script")
    created = await connector.create("User", {"Login": "alice", "Active": True})
    assert (await connector.get("User", created["Id"]))["Active"] is True
    pids = {r.getMessage().split(": ")[-2] for r in caplog.records if "one request" in r.getMessage()}
    assert len(pids) == 2, "each request ran in its own process, and its stderr reached the log"
    await connector.close()


@pytest.mark.anyio
async def test_shell_example_with_host_side_filtering(tmp_path: Path) -> None:
    raw = example_raw("shell", parameters={"DATA_DIR": str(tmp_path / "data")})
    connector = await _connector(tmp_path, raw)
    alice = await connector.create("User", {"Login": "Alice", "FirstName": "Al"})
    bob = await connector.create("User", {"Login": "bob"})
    with pytest.raises(ObjectExists):
        await connector.create("User", {"Login": "ALICE"})
    found = await connector.search("User", SearchQuery(filter=Compare("Login", Op.EQ, "alice", case_exact=False)))
    assert [r["Id"] for r in found.records] == [alice["Id"]]
    page = await connector.search("User", SearchQuery(offset=1, limit=1))
    assert (page.total, len(page.records)) == (2, 1)
    await connector.update("User", alice["Id"], Change(set={"FirstName": None, "LastName": "Smith"}))
    assert (await connector.get("User", alice["Id"])).get("FirstName") is None
    group = await connector.create("Group", {"DisplayName": "g", MEMBERS: [alice["Id"]]})
    await connector.update("Group", group["Id"], Change(add_members=[bob["Id"], alice["Id"]]))
    await connector.delete("User", alice["Id"])
    assert (await connector.get("Group", group["Id"], frozenset({MEMBERS})))[MEMBERS] == [bob["Id"]]
    with pytest.raises(ObjectNotFound):
        await connector.get("User", alice["Id"])


def _program(tmp_path: Path, body: str) -> list[str]:
    script = tmp_path / "program.py"
    script.write_text("import json, os, sys, time\n" + body, encoding="utf-8")
    return [sys.executable, str(script)]


def _raw(argv: list[str], **connection: Any) -> dict[str, Any]:
    raw = example_raw("python")
    raw["connection"] = {"command": argv, "mode": "per_request", **connection}
    return raw


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("sys.stdin.read(); print('oops', file=sys.stderr); sys.exit(3)", "exited with status 3"),
        ("sys.stdin.read(); print('this is not json')", "other than the protocol"),
        ("sys.stdin.read(); print('[1, 2]')", "other than the protocol"),
        ("sys.stdin.read(); print('x' * 5000)", "more than 2048 bytes"),
    ],
    ids=["non-zero-exit", "bad-json", "not-an-object", "too-large"],
)
async def test_a_failing_script_is_a_clear_target_unavailable(tmp_path: Path, body: str, message: str) -> None:
    connector = await _connector(tmp_path, _raw(_program(tmp_path, body), max_output_bytes=2048))
    with pytest.raises(TargetUnavailable, match=message) as raised:
        await connector.search("User", SearchQuery())
    assert "program.py" in raised.value.detail
    assert "oops" not in raised.value.detail, "the script's output is never put into an error"


@pytest.mark.anyio
async def test_a_script_past_its_timeout_is_killed(tmp_path: Path) -> None:
    connector = await _connector(tmp_path, _raw(_program(tmp_path, "time.sleep(30)"), timeout_seconds=0.5))
    started = time.monotonic()
    with pytest.raises(TargetUnavailable, match=r"within 0\.5 s"):
        await connector.search("User", SearchQuery())
    assert time.monotonic() - started < 5


@pytest.mark.anyio
async def test_error_answers_become_typed_errors(tmp_path: Path) -> None:
    body = "sys.stdin.read(); print(json.dumps({'error': {'kind': 'exists', 'detail': 'taken'}}))"
    connector = await _connector(tmp_path, _raw(_program(tmp_path, body)))
    with pytest.raises(ObjectExists, match="taken"):
        await connector.create("User", {"Login": "x"})


@pytest.mark.anyio
async def test_parameters_are_environment_and_secrets_are_masked_in_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("TEST_SCRIPT_SECRET", "hunter2-very-secret")
    monkeypatch.setenv("NOT_INHERITED", "x")
    body = (
        "sys.stdin.read(); print('password is', os.environ['API_PASSWORD'], file=sys.stderr)\n"
        "print(json.dumps({'total': 0, 'records': [], 'seen': [os.environ.get('REGION'), "
        "os.environ.get('NOT_INHERITED')]}))\n"
        "assert os.environ['API_PASSWORD'] == 'hunter2-very-secret'"
    )
    raw = _raw(_program(tmp_path, body), parameters={"API_PASSWORD": "${env:TEST_SCRIPT_SECRET}", "REGION": "eu"})
    connector = await _connector(tmp_path, raw)
    caplog.set_level(logging.INFO, logger="ecmahost.connectors.script")
    assert (await connector.search("User", SearchQuery())).total == 0
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "password is ********" in logged
    assert "hunter2" not in logged


@pytest.mark.anyio
async def test_a_worker_that_dies_is_replaced_on_the_next_request(tmp_path: Path) -> None:
    body = (
        "for line in sys.stdin:\n"
        "    request = json.loads(line)\n"
        "    if request['operation'] == 'delete': sys.exit(9)\n"
        "    print(json.dumps({'total': 0, 'records': [], 'pid': os.getpid()}), flush=True)\n"
    )
    connector = await _connector(tmp_path, _raw(_program(tmp_path, body), mode="worker"))
    assert (await connector.search("User", SearchQuery())).total == 0
    with pytest.raises(TargetUnavailable, match="exited"):
        await connector.delete("User", "x")
    assert (await connector.search("User", SearchQuery())).total == 0
    await connector.close()

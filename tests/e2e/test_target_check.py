"""A connector file that does not match its database, on a real host over HTTPS: its broken object type answers
503 naming the problem and its fix, its other object type and the other connectors keep answering 200, an
invalid file answers 503 instead of 404, and `ecmahost status` and the host log name each problem."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ecmahost.config.store import ConnectorStore
from ecmahost.connectors.sql.demo_schema import create_demo_tables
from ecmahost.demo import demo_connector
from ecmahost.home import Home

from e2e_host import RunningHost, prepare_home, start_serve_host

pytestmark = pytest.mark.e2e

TOKENS = {"good": "token-of-good-0123456789", "nogroup": "token-of-nogroup-0123", "nocolumn": "token-of-nocolumn-01"}


def _broken_members(url: str) -> dict[str, Any]:
    raw = demo_connector("nogroup", url)
    raw["object_types"]["Group"]["members"] = {"table": "GroupMembers", "group_key": "", "member_key": ""}
    return raw


def _missing_column(url: str) -> dict[str, Any]:
    raw = demo_connector("nocolumn", url)
    raw["object_types"]["User"]["attributes"]["JobCode"] = {}
    return raw


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHost]:
    home = tmp_path_factory.mktemp("home-check")
    url = f"sqlite:///{home / 'hr.db'}"
    asyncio.run(create_demo_tables(url, home))
    prepare_home(home, demo_connector("good", url), TOKENS["good"])
    store = ConnectorStore(Home(home))
    for raw in (_broken_members(url), _missing_column(url)):
        store.save(raw)
        store.set_token(raw["name"], TOKENS[raw["name"]])
    (home / "connectors" / "junk.yaml").write_text("name: junk\ntype: sql\n")
    running = start_serve_host(home)
    yield running
    running.stop()


def get(host: RunningHost, connector: str, path: str) -> httpx.Response:
    token = TOKENS.get(connector, "no-token-for-this-one")
    with httpx.Client(verify=host.tls()) as client:
        url = f"{host.root}/ecma2host_{connector}/scim{path}"
        return client.get(url, headers={"Authorization": f"Bearer {token}"})


def scim_error(response: httpx.Response) -> str:
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/scim+json")
    assert "Retry-After" in response.headers
    body = response.json()
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert body["status"] == "503"
    return str(body["detail"])


def test_the_connector_that_matches_its_database_serves_both_object_types(host: RunningHost) -> None:
    assert get(host, "good", "/Users").status_code == 200
    assert get(host, "good", "/Groups").status_code == 200


def test_empty_member_keys_stop_groups_only_with_the_problem_and_its_fix(host: RunningHost) -> None:
    assert get(host, "nogroup", "/Users").status_code == 200
    detail = scim_error(get(host, "nogroup", "/Groups"))
    assert "/Groups of 'nogroup' is not served" in detail
    assert "object_types.Group.members.group_key: no column set in table 'GroupMembers'" in detail
    assert "GroupGUID (-> Groups.GroupGUID)" in detail
    assert "ecmahost connector edit nogroup" in detail


def test_a_missing_column_stops_users_only_and_names_the_column(host: RunningHost) -> None:
    detail = scim_error(get(host, "nocolumn", "/Users"))
    assert "object_types.User.attributes.JobCode: column 'JobCode' not found in table 'Employees'" in detail
    assert get(host, "nocolumn", "/Groups").status_code == 200
    assert get(host, "nocolumn", "/Schemas").status_code == 200  # discovery still answers


def test_a_broken_connector_still_checks_its_token_first(host: RunningHost) -> None:
    with httpx.Client(verify=host.tls()) as client:
        response = client.get(f"{host.root}/ecma2host_nocolumn/scim/Users", headers={"Authorization": "Bearer x" * 3})
    assert response.status_code == 401


def test_an_invalid_file_answers_503_not_404(host: RunningHost) -> None:
    detail = scim_error(get(host, "junk", "/Users"))
    assert "connector file is invalid" in detail
    assert get(host, "nosuchconnector", "/Users").status_code == 404


def test_status_and_the_host_log_name_each_problem(host: RunningHost) -> None:
    status: dict[str, Any] = {}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # the running host rewrites run/state.json every few seconds
        status = _status(host.home)
        by_name = {c["name"]: c for c in status["connectors"]}
        if by_name["nogroup"]["target_problems"] and by_name["nocolumn"]["target_problems"]:
            break
        time.sleep(0.5)
    by_name = {c["name"]: c for c in status["connectors"]}
    assert by_name["nogroup"]["not_served"] == ["Groups"]
    assert any("members.group_key" in p for p in by_name["nogroup"]["target_problems"])
    assert by_name["nocolumn"]["not_served"] == ["Users"]
    assert by_name["good"]["target_problems"] == []
    assert by_name["good"]["not_served"] == []
    log = host.log.read_text()
    assert "connector nogroup: object_types.Group.members.group_key: no column set" in log
    assert "connector nogroup does not serve /Groups until its file matches the target" in log


def _status(home: Path) -> dict[str, Any]:
    command = [sys.executable, "-m", "ecmahost", "status", "--json", "--home", str(home)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    return json.loads(result.stdout)


def test_fixing_the_file_serves_the_object_type_without_a_restart(host: RunningHost) -> None:
    store = ConnectorStore(Home(host.home))
    raw = store.read_raw("nogroup")
    raw["object_types"]["Group"]["members"]["group_key"] = "GroupGUID"
    raw["object_types"]["Group"]["members"]["member_key"] = "MemberGUID"
    store.save(raw)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and get(host, "nogroup", "/Groups").status_code != 200:
        time.sleep(0.5)  # the host applies a changed file within a few seconds
    assert get(host, "nogroup", "/Groups").status_code == 200
    assert get(host, "nogroup", "/Users").status_code == 200

"""A retried create never makes a duplicate: a POST retried after the client timed out (the first one did commit)
gets `409 uniqueness`; identical POSTs sent at once make one object; and a create that fails leaves nothing behind
that would turn its corrected retry into a 409. Real host, private PostgreSQL and MariaDB servers."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from fault_host import start_fault_host
from scim_workload import group_body, user_body
from target_state import TargetState, read_target

from support.private_servers import PrivateServer

pytestmark = pytest.mark.e2e

FROZEN_SECONDS = 1.5
IMPATIENT_CLIENT = 0.5
SAME_TIME = 8


def wait_for(url: str, found: Callable[[TargetState], bool], seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found(read_target(url)):
            return True
        time.sleep(0.1)
    return False


def assert_uniqueness(response: httpx.Response) -> None:
    assert response.status_code == 409, response.text
    assert response.json()["scimType"] == "uniqueness"


def test_post_retried_after_a_client_timeout_gets_409_uniqueness_not_a_duplicate(
    server: PrivateServer, tmp_path: Path
) -> None:
    url = server.create_database()
    host = start_fault_host(tmp_path / "home", url)
    try:
        with host.client() as scim:
            assert scim.get("/Users?count=1").status_code == 200  # the pool holds a connection to the server
            server.freeze()
            try:
                with pytest.raises(httpx.TimeoutException):
                    scim.post("/Users", json=user_body("retried"), timeout=IMPATIENT_CLIENT)
            finally:
                time.sleep(FROZEN_SECONDS)
                server.thaw()
            assert wait_for(url, lambda state: "retried" in state.user_ids), "the first POST never committed"
            assert_uniqueness(scim.post("/Users", json=user_body("retried")))
    finally:
        host.stop()
    assert len(read_target(url).user_ids["retried"]) == 1


@pytest.mark.parametrize(("path", "body"), [("/Users", user_body("twin")), ("/Groups", group_body("twins"))])
def test_identical_posts_at_once_make_one_object_and_409s(
    server: PrivateServer, tmp_path: Path, path: str, body: dict[str, object]
) -> None:
    url = server.create_database()
    host = start_fault_host(tmp_path / "home", url)
    try:

        def post(_: int) -> httpx.Response:
            with host.client() as scim:
                return scim.post(path, json=body)

        with ThreadPoolExecutor(SAME_TIME) as pool:
            responses = list(pool.map(post, range(SAME_TIME)))
    finally:
        host.stop()
    assert sorted(r.status_code for r in responses) == [201] + [409] * (SAME_TIME - 1), [r.text for r in responses]
    for response in responses[1:]:
        if response.status_code == 409:
            assert_uniqueness(response)
    state = read_target(url)
    assert len(state.user_ids.get("twin", [])) + list(state.groups.values()).count("twins") == 1


def test_group_create_rejected_for_an_unknown_member_leaves_no_group(server: PrivateServer, tmp_path: Path) -> None:
    url = server.create_database()
    host = start_fault_host(tmp_path / "home", url)
    try:
        with host.client() as scim:
            rejected = scim.post("/Groups", json={**group_body("half"), "members": [{"value": "no-such-user"}]})
            assert 400 <= rejected.status_code < 500, rejected.text
            assert "half" not in read_target(url).groups.values(), "the rejected create left its group behind"
            retried = scim.post("/Groups", json=group_body("half"))
    finally:
        host.stop()
    assert retried.status_code == 201, retried.text

"""Concurrent requests on the same object end in a consistent state: PATCHes adding different members to one group
lose none, adds and removes of different members keep the rest, and a PATCH or member add racing a DELETE never
resurrects the deleted object nor leaves membership rows behind. Real host, private PostgreSQL and MariaDB."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from fault_host import TARGETS, start_fault_host
from scim_workload import add_members, group_body, remove_members, replace_title, user_body
from target_state import read_target

from e2e_host import RunningHost

pytestmark = pytest.mark.e2e

PARALLEL = 8
RACES = 8


@pytest.fixture(scope="module", params=TARGETS)
def target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[RunningHost, str]]:
    server = request.getfixturevalue(f"private_{request.param}")
    server.start()
    url = server.create_database()
    host = start_fault_host(tmp_path_factory.mktemp(f"concurrent-{request.param}"), url)
    yield host, url
    host.stop()


def at_once(*calls: Callable[[], httpx.Response]) -> list[httpx.Response]:
    """Run the calls in parallel threads released together by a barrier; their responses in call order."""
    barrier = threading.Barrier(len(calls))

    def released(call: Callable[[], httpx.Response]) -> httpx.Response:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(released, calls))


def send(host: RunningHost, method: str, path: str, body: dict[str, Any] | None = None) -> Callable[[], httpx.Response]:
    def call() -> httpx.Response:
        with host.client() as client:
            return client.request(method, path, json=body)

    return call


def retryable(response: httpx.Response) -> bool:
    """A deadlock victim (MariaDB error 1213) is answered 503 + Retry-After: the client's retry is then judged by
    the same rules, so it is consistent, if not the host retrying by itself."""
    return response.status_code == 503 and response.headers.get("retry-after", "").isdigit()


def deleted_at_last(deleting: Callable[[], httpx.Response], first: httpx.Response) -> bool:
    """The DELETE got 204, or lost a deadlock (503) and its retry, as a client would send, got 204."""
    return first.status_code == 204 or (retryable(first) and deleting().status_code == 204)


def create(host: RunningHost, path: str, body: dict[str, Any]) -> str:
    response = send(host, "POST", path, body)()
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def new_users(host: RunningHost, prefix: str, count: int) -> list[str]:
    return [create(host, "/Users", user_body(f"{prefix}-{index}")) for index in range(count)]


def test_concurrent_patches_adding_different_members_lose_none(target: tuple[RunningHost, str]) -> None:
    host, url = target
    group = create(host, "/Groups", group_body("adders"))
    users = new_users(host, "adder", PARALLEL * 2)
    for batch in (users[:PARALLEL], users[PARALLEL:]):
        responses = at_once(*(send(host, "PATCH", f"/Groups/{group}", add_members(user)) for user in batch))
        assert [r.status_code for r in responses] == [204] * len(batch), [r.text for r in responses]
    state = read_target(url)
    assert {m for g, m in state.members if g == group} == set(users)


def test_concurrent_adds_and_removes_of_different_members_keep_the_others(target: tuple[RunningHost, str]) -> None:
    host, url = target
    group = create(host, "/Groups", group_body("movers"))
    staying, leaving, joining = (new_users(host, f"mover-{kind}", PARALLEL // 2) for kind in ("stay", "leave", "join"))
    assert send(host, "PATCH", f"/Groups/{group}", add_members(*staying, *leaving))().status_code == 204
    removals = [send(host, "PATCH", f"/Groups/{group}", remove_members(user)) for user in leaving]
    additions = [send(host, "PATCH", f"/Groups/{group}", add_members(user)) for user in joining]
    responses = at_once(*removals, *additions)
    assert {r.status_code for r in responses} == {204}, [r.text for r in responses]
    state = read_target(url)
    assert {m for g, m in state.members if g == group} == set(staying) | set(joining)


def test_patch_racing_delete_never_resurrects_the_user(target: tuple[RunningHost, str]) -> None:
    host, url = target
    users = new_users(host, "doomed", RACES)
    for user in users:
        deleting = send(host, "DELETE", f"/Users/{user}")
        patched, deleted = at_once(send(host, "PATCH", f"/Users/{user}", replace_title("Resurrected?")), deleting)
        assert deleted_at_last(deleting, deleted), deleted.text
        assert patched.status_code in (200, 404) or retryable(patched), patched.text
        assert send(host, "GET", f"/Users/{user}")().status_code == 404
    state = read_target(url)
    assert not set(users) & set(state.titles), "a deleted user came back"
    assert not set(users) & set(state.phone_rows), "phone rows of a deleted user are left"


def test_member_add_racing_the_members_delete_leaves_no_membership(target: tuple[RunningHost, str]) -> None:
    host, url = target
    group = create(host, "/Groups", group_body("racers"))
    users = new_users(host, "racer", RACES)
    for user in users:
        deleting = send(host, "DELETE", f"/Users/{user}")
        added, deleted = at_once(send(host, "PATCH", f"/Groups/{group}", add_members(user)), deleting)
        assert deleted_at_last(deleting, deleted), deleted.text
        assert added.status_code in (204, 400, 404) or retryable(added), added.text
    state = read_target(url)
    assert not {m for g, m in state.members if g == group}, "a membership of a deleted user is left"
    assert not set(users) & set(state.titles), "a deleted user came back"


def test_member_add_racing_the_groups_delete_leaves_no_group(target: tuple[RunningHost, str]) -> None:
    host, url = target
    users = new_users(host, "orphan", RACES)
    groups = [create(host, "/Groups", group_body(f"short-lived-{index}")) for index in range(RACES)]
    for group, user in zip(groups, users, strict=True):
        deleting = send(host, "DELETE", f"/Groups/{group}")
        added, deleted = at_once(send(host, "PATCH", f"/Groups/{group}", add_members(user)), deleting)
        assert deleted_at_last(deleting, deleted), deleted.text
        assert added.status_code in (204, 404) or retryable(added), added.text
    state = read_target(url)
    assert not set(groups) & set(state.groups), "a deleted group came back"
    assert state.orphan_member_rows == 0

"""The directory (a private slapd, tests/support/slapd.py) is stopped, killed and frozen in the middle of a
provisioning run through the LDAP connector: while down every request gets `503` + `Retry-After` within a
bounded time, afterwards the host recovers by itself, and every acknowledged create and membership is in the
directory exactly once."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fault_host import CONNECT_TIMEOUT, STATEMENT_TIMEOUT, TARGET_TIMEOUT
from ldap3.utils.dn import escape_rdn
from scim_workload import (
    LiveHost,
    Recorder,
    group_body,
    percentile,
    provisioning_worker,
    run_workers,
    save_figures,
    stop_workers,
)

from e2e_host import RunningHost, prepare_home, start_serve_host
from support.slapd import GROUPS, PASSWORD_ENV, PEOPLE, ROOT_PASSWORD, Slapd, connector_file, running_slapd

pytestmark = [pytest.mark.e2e, pytest.mark.ldap]

WORKERS = 4
OUTAGE_SECONDS = 3.0
FROZEN_SECONDS = TARGET_TIMEOUT + 2
SETTLE_SECONDS = 1.5
RECOVERY_BOUND = 15.0
SLOW_503_BOUND = TARGET_TIMEOUT + 3


@pytest.fixture
def directory(tmp_path: Path) -> Iterator[Slapd]:
    with running_slapd(tmp_path / "slapd") as server:
        yield server


@pytest.fixture
def ldap_host(directory: Slapd, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningHost]:
    monkeypatch.setenv(PASSWORD_ENV, ROOT_PASSWORD)
    connector = connector_file(directory, "demo")
    connector["connection"].update(timeout_seconds=STATEMENT_TIMEOUT, connect_timeout_seconds=CONNECT_TIMEOUT)
    connector["connection"]["pool_timeout_seconds"] = CONNECT_TIMEOUT
    connector["limits"] = {"target_timeout_seconds": TARGET_TIMEOUT}
    home = tmp_path / "home"
    prepare_home(home, connector)
    host = start_serve_host(home)
    yield host
    host.stop()


def kill(server: Slapd) -> Callable[[], None]:
    def fault() -> None:
        assert server.process is not None
        server.process.kill()
        server.process.wait()
        server.process = None

    return fault


def signal_to(server: Slapd, sig: signal.Signals) -> Callable[[], None]:
    def fault() -> None:
        assert server.process is not None
        server.process.send_signal(sig)

    return fault


def test_directory_stopped_killed_and_frozen_mid_run_loses_no_acknowledged_write(
    directory: Slapd, ldap_host: RunningHost
) -> None:
    live, recorder = LiveHost(ldap_host), Recorder()
    group = recorder.send(live, "create_group", "staff", "POST", "/Groups", group_body("staff"))
    assert group.status == 201, group.body
    stop, threads = run_workers(provisioning_worker(live, recorder, group.body["id"], "ldap"), WORKERS)
    windows: list[tuple[str, float, float]] = []
    try:
        time.sleep(SETTLE_SECONDS)
        for name, begin, end, seconds in (
            ("clean stop", directory.stop, directory.start, OUTAGE_SECONDS),
            ("SIGKILL", kill(directory), directory.start, OUTAGE_SECONDS),
            ("SIGSTOP", signal_to(directory, signal.SIGSTOP), signal_to(directory, signal.SIGCONT), FROZEN_SECONDS),
        ):
            began = time.monotonic()
            begin()
            time.sleep(seconds)
            end()
            windows.append((name, began, time.monotonic()))
            time.sleep(SETTLE_SECONDS)
    finally:
        stop_workers(stop, threads)
        if directory.process is not None:
            directory.process.send_signal(signal.SIGCONT)
    outcomes = recorder.snapshot()
    unexpected = [(o.action, o.status, o.body) for o in outcomes if not o.acknowledged and o.status != 503]
    assert not unexpected, f"only 2xx or 503 expected while the host stays up; got {unexpected[:5]}"
    assert all((o.retry_after or "").isdigit() for o in outcomes if o.status == 503), "a 503 without Retry-After"
    figures: dict[str, object] = {"requests": len(outcomes)}
    for name, began, ended in windows:
        during = [o for o in outcomes if began <= o.started < ended]
        assert during, f"{name}: no request was sent during the outage"
        slowest = max(o.seconds for o in during)
        assert slowest < SLOW_503_BOUND, f"{name}: an answer took {slowest:.2f} s during the outage"
        refused = [o.seconds for o in during if o.status == 503]
        if name != "SIGSTOP":
            assert refused, f"{name}: no request got 503 during the outage"
        # A frozen directory thawed before the timeout struck lets the waiting requests succeed, within the bound.
        recovered = [o.started + o.seconds for o in outcomes if o.started >= ended and o.acknowledged]
        assert recovered, f"{name}: nothing succeeded after the directory came back"
        assert min(recovered) - ended < RECOVERY_BOUND, f"{name}: no recovery within {RECOVERY_BOUND} s"
        figures[name] = {
            "503_answers": len(refused),
            "503_max_seconds": round(max(refused), 3) if refused else None,
            "503_p95_seconds": round(percentile(refused, 0.95), 3) if refused else None,
            "slowest_answer_seconds": round(slowest, 3),
            "recovery_seconds": round(min(recovered) - ended, 3),
        }
    created = {o.key: o.body["id"] for o in outcomes if o.action == "create" and o.status == 201 and o.body}
    members = {o.key for o in outcomes if o.action == "add_member" and o.status == 204}
    entries, group_members = _directory_entries(directory)
    lost = [login for login, user_id in created.items() if entries.get(login) != user_id]
    assert not lost, f"users acknowledged with 201 but missing from the directory: {lost[:10]}"
    by_id = {user_id: login for login, user_id in entries.items()}
    missing = [m for m in members if f"uid={escape_rdn(by_id.get(m, '?'))},{PEOPLE}".lower() not in group_members]
    assert not missing, f"memberships acknowledged with 204 but missing: {missing[:10]}"
    figures["writes"] = {"acknowledged_creates": len(created), "acknowledged_memberships": len(members)}
    save_figures("directory-outage-slapd", figures)


def _directory_entries(server: Slapd) -> tuple[dict[str, str], set[str]]:
    """uid -> entryUUID of every person, and the (lower-cased) member DNs of the `staff` group."""
    conn = server.admin()
    try:
        conn.search(PEOPLE, "(objectClass=inetOrgPerson)", attributes=["uid", "entryUUID"])
        entries = {str(e["attributes"]["uid"][0]): _single(e["attributes"]["entryUUID"]) for e in conn.response}
        conn.search(GROUPS, "(cn=staff)", attributes=["member"])
        members = {str(dn).lower() for dn in conn.response[0]["attributes"]["member"]}
    finally:
        conn.unbind()
    return entries, members


def _single(value: object) -> str:
    """ldap3 gives an attribute without a schema definition as a list."""
    return str(value[0]) if isinstance(value, list) else str(value)

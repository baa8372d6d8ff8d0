"""The soak: a mixed Entra workload (soak_workload) against the real host for SOAK_SECONDS per target, with a fault
injected every 2.5 s in turn (database clean restart, database SIGKILL, database frozen, host SIGKILL); at
the end the target must hold exactly what the host acknowledged: zero acknowledged writes lost.

`make test` runs it briefly (SOAK_SECONDS unset: 20 s per target), `make soak` for longer (300 s by default). The
figures (requests, answers, faults, writes, 503 latencies) go to test-artifacts/reliability/soak-<target>.json.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Iterable
from itertools import cycle
from pathlib import Path

import pytest
from fault_host import STATEMENT_TIMEOUT, TARGET_TIMEOUT, restart_host, start_fault_host
from scim_workload import (
    PHONES_PER_USER,
    LiveHost,
    Recorder,
    group_body,
    percentile,
    run_workers,
    save_figures,
    stop_workers,
)
from soak_workload import GIVE_UP_SECONDS, Ledger, SoakWorker
from target_state import TargetState, read_target

from support.private_servers import PrivateServer

pytestmark = pytest.mark.e2e

SOAK_SECONDS = float(os.environ.get("SOAK_SECONDS", "20"))
WORKERS = 6
GROUPS = 3
QUIET_SECONDS = 2.5
"""Between two faults; every kind of fault is injected at least once, however short the soak."""
DOWN_SECONDS = 1.5
FROZEN_SECONDS = STATEMENT_TIMEOUT + 1
SLOW_503_BOUND = TARGET_TIMEOUT + 3


def faults(server: PrivateServer, live: LiveHost) -> list[tuple[str, Callable[[], None]]]:
    def down(take_away: Callable[[], None]) -> Callable[[], None]:
        def fault() -> None:
            take_away()
            time.sleep(DOWN_SECONDS)
            server.start()

        return fault

    def frozen() -> None:
        server.freeze()
        time.sleep(FROZEN_SECONDS)
        server.thaw()

    return [
        ("database clean restart", down(server.stop)),
        ("database SIGKILL", down(server.kill)),
        ("database frozen", frozen),
        ("host SIGKILL", lambda: live.replace(restart_host)),
    ]


@pytest.mark.timeout(SOAK_SECONDS + GIVE_UP_SECONDS + 240)
def test_soak_with_faults_loses_no_acknowledged_write(server: PrivateServer, tmp_path: Path) -> None:
    url = server.create_database()
    live, recorder = LiveHost(start_fault_host(tmp_path / "home", url)), Recorder()
    injected: Counter[str] = Counter()
    try:
        groups = [_create_group(recorder, live, f"soak-group-{index}") for index in range(GROUPS)]
        workers = [SoakWorker(index, live, recorder, groups) for index in range(WORKERS)]
        stop, threads = run_workers(lambda index, event: workers[index].run(event), WORKERS)
        try:
            ends = time.monotonic() + SOAK_SECONDS
            kinds = faults(server, live)
            for name, fault in cycle(kinds):
                time.sleep(QUIET_SECONDS)
                if time.monotonic() >= ends and len(injected) == len(kinds):
                    break
                fault()
                injected[name] += 1
        finally:
            stop_workers(stop, threads, timeout=GIVE_UP_SECONDS + 30)
    finally:
        live.host.stop()
    for worker in workers:
        if worker.failure is not None:
            raise worker.failure
    ledger = _merged(worker.ledger for worker in workers)
    lost = _lost_writes(ledger, read_target(url), groups)
    outcomes = recorder.snapshot()
    refused = [o.seconds for o in outcomes if o.status == 503]
    save_figures(
        f"soak-{server.name}",
        {
            "soak_seconds": SOAK_SECONDS,
            "workers": WORKERS,
            "requests": len(outcomes),
            "answers": {str(status): n for status, n in Counter(o.status for o in outcomes).items()},
            "faults": dict(injected),
            "acknowledged_writes": dict(ledger.writes),
            "lost_acknowledged_writes": len(lost),
            "stale_reads": len(ledger.stale_reads),
            "503_max_seconds": round(max(refused, default=0), 3),
            "503_p95_seconds": round(percentile(refused, 0.95), 3),
        },
    )
    assert not lost, f"{len(lost)} acknowledged writes are not in the target: {lost[:10]}"
    assert not ledger.stale_reads, f"reads that did not see an acknowledged write: {ledger.stale_reads[:10]}"
    assert max(refused, default=0) < SLOW_503_BOUND, "a 503 took longer than the target timeout allows"


def _create_group(recorder: Recorder, live: LiveHost, name: str) -> str:
    outcome = recorder.send(live, "create_group", name, "POST", "/Groups", group_body(name))
    assert outcome.status == 201, outcome.body
    assert outcome.body
    return str(outcome.body["id"])


def _merged(ledgers: Iterable[Ledger]) -> Ledger:
    merged = Ledger()
    for ledger in ledgers:
        merged.users |= ledger.users
        merged.titles |= ledger.titles
        merged.members |= ledger.members
        merged.deleted |= ledger.deleted
        merged.writes += ledger.writes
        merged.stale_reads += ledger.stale_reads
    return merged


def _lost_writes(ledger: Ledger, state: TargetState, groups: list[str]) -> list[str]:
    """Every difference between what was acknowledged and what the target holds (empty when none is lost)."""
    lost = [
        f"user {login}: rows {state.user_ids.get(login)}"
        for login, i in ledger.users.items()
        if state.user_ids.get(login) != [i]
    ]
    lost += [f"deleted user {login} is back" for login in ledger.deleted if login in state.user_ids]
    lost += [
        f"user {login} was never acknowledged" for login in set(state.user_ids) - set(ledger.users) - ledger.deleted
    ]
    lost += [f"title of {i}" for i, title in ledger.titles.items() if i in state.titles and state.titles[i] != title]
    lost += [f"phones of {i}: {state.phone_rows[i]}" for i in state.titles if state.phone_rows[i] != PHONES_PER_USER]
    memberships = {(g, m) for g, m in state.members if g in groups}
    lost += [f"membership {pair} missing" for pair in ledger.members - memberships]
    lost += [f"membership {pair} removed but present" for pair in memberships - ledger.members]
    lost += ["orphan rows"] if state.orphan_member_rows or state.orphan_phone_rows else []
    return lost

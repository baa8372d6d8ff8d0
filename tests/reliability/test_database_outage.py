"""The target database goes away in the middle of a provisioning run (clean stop, SIGKILL, frozen by SIGSTOP) and
comes back: while down every request gets `503` + `Retry-After` within a bounded time, afterwards the host
recovers by itself, and no acknowledged write is lost or half-done. Private PostgreSQL and MariaDB servers."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from acknowledged_writes import assert_acknowledged_writes_kept
from fault_host import CONNECT_TIMEOUT, STATEMENT_TIMEOUT, start_fault_host
from scim_workload import (
    LiveHost,
    Outcome,
    Recorder,
    group_body,
    percentile,
    provisioning_worker,
    run_workers,
    save_figures,
    stop_workers,
)
from target_state import read_target

from support.private_servers import PrivateServer

pytestmark = pytest.mark.e2e

WORKERS = 4
OUTAGE_SECONDS = 3.0
FROZEN_SECONDS = 5.0
SETTLE_SECONDS = 1.5
RECOVERY_BOUND = 15.0
DEAD_BOUND = CONNECT_TIMEOUT + 3
"""A stopped or killed server refuses connections: 503 within the connect timeout, plus margin."""
FROZEN_BOUND = STATEMENT_TIMEOUT + 3
"""A frozen server accepts connections and never answers: 503 once the statement timeout strikes, plus margin."""


@dataclass(frozen=True)
class Outage:
    fault: str
    began: float
    ended: float
    bound: float

    def during(self, outcome: Outcome) -> bool:
        return self.began <= outcome.started < self.ended


def test_database_stopped_killed_and_frozen_mid_run_loses_no_acknowledged_write(
    server: PrivateServer, tmp_path: Path
) -> None:
    url = server.create_database()
    host = start_fault_host(tmp_path / "home", url)
    try:
        live, recorder = LiveHost(host), Recorder()
        group = recorder.send(live, "create_group", "staff", "POST", "/Groups", group_body("staff"))
        assert group.status == 201, group.body
        group_id = group.body["id"]
        stop, threads = run_workers(provisioning_worker(live, recorder, group_id, "outage"), WORKERS)
        try:
            time.sleep(SETTLE_SECONDS)
            outages = [
                _outage("clean stop", server.stop, server.start, OUTAGE_SECONDS, DEAD_BOUND),
                _outage("SIGKILL", server.kill, server.start, OUTAGE_SECONDS, DEAD_BOUND),
                _outage("SIGSTOP", server.freeze, server.thaw, FROZEN_SECONDS, FROZEN_BOUND),
            ]
        finally:
            stop_workers(stop, threads)
        outcomes = recorder.snapshot()
    finally:
        host.stop()
    figures = _assert_outages_answered_503_fast_then_recovered(outcomes, outages)
    counts = assert_acknowledged_writes_kept(outcomes, read_target(url), group_id)
    figures |= {"requests": len(outcomes), "writes": counts.__dict__}
    save_figures(f"database-outage-{server.name}", figures)


def _outage(fault: str, begin: Callable[[], None], end: Callable[[], None], seconds: float, bound: float) -> Outage:
    began = time.monotonic()
    begin()
    time.sleep(seconds)
    end()
    ended = time.monotonic()
    time.sleep(SETTLE_SECONDS)
    return Outage(fault, began, ended, bound)


def _assert_outages_answered_503_fast_then_recovered(
    outcomes: list[Outcome], outages: list[Outage]
) -> dict[str, object]:
    unexpected = [(o.action, o.status) for o in outcomes if not o.acknowledged and o.status != 503]
    assert not unexpected, f"only 2xx or 503 expected while the host stays up; got {unexpected[:10]}"
    without_retry_after = [o for o in outcomes if o.status == 503 and not (o.retry_after or "").isdigit()]
    assert not without_retry_after, "every 503 carries Retry-After (seconds)"
    figures: dict[str, object] = {}
    for outage in outages:
        during = [o for o in outcomes if outage.during(o)]
        assert during, f"{outage.fault}: no request was sent during the outage"
        slowest = max(o.seconds for o in during)
        assert slowest < outage.bound, f"{outage.fault}: an answer took {slowest:.2f} s (> {outage.bound} s)"
        refused = [o.seconds for o in during if o.status == 503]
        if outage.fault != "SIGSTOP":
            assert refused, f"{outage.fault}: no request got 503 during the outage (was the fault injected?)"
        # A frozen server may be thawed before the statement timeout has answered 503 (cancelling a query on a
        # frozen connection waits for the server): then the waiting requests succeed, within the bound.
        recovered = [o.started + o.seconds for o in outcomes if o.started >= outage.ended and o.acknowledged]
        assert recovered, f"{outage.fault}: no request succeeded after the server came back"
        recovery = min(recovered) - outage.ended
        assert recovery < RECOVERY_BOUND, f"{outage.fault}: the host took {recovery:.1f} s to recover"
        figures[outage.fault] = {
            "503_answers": len(refused),
            "503_max_seconds": round(max(refused), 3) if refused else None,
            "503_p95_seconds": round(percentile(refused, 0.95), 3) if refused else None,
            "slowest_answer_seconds": round(slowest, 3),
            "recovery_seconds": round(recovery, 3),
        }
    return figures

"""The host itself is killed (SIGKILL) under load and started again on the same home: requests in flight are cut
(no answer), clients are refused fast while it is down, and after the restart every acknowledged write is in the
target exactly once, with nothing half-written. Private PostgreSQL and MariaDB servers."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from acknowledged_writes import assert_acknowledged_writes_kept
from fault_host import restart_host, start_fault_host
from scim_workload import LiveHost, Recorder, group_body, provisioning_worker, run_workers, save_figures, stop_workers
from target_state import read_target

from support.private_servers import PrivateServer

pytestmark = pytest.mark.e2e

WORKERS = 4
KILLS = 2
RUN_SECONDS = 1.5
REFUSED_BOUND = 5.0
"""A request to a dead host (connection refused or cut) fails within this many seconds, never at the client
timeout."""


def test_host_killed_under_load_loses_no_acknowledged_write(server: PrivateServer, tmp_path: Path) -> None:
    url = server.create_database()
    live, recorder = LiveHost(start_fault_host(tmp_path / "home", url)), Recorder()
    try:
        group = recorder.send(live, "create_group", "staff", "POST", "/Groups", group_body("staff"))
        assert group.status == 201, group.body
        group_id = group.body["id"]
        stop, threads = run_workers(provisioning_worker(live, recorder, group_id, "killed"), WORKERS)
        restarts = []
        try:
            for _ in range(KILLS):
                time.sleep(RUN_SECONDS)
                began = time.monotonic()
                live.replace(restart_host)
                restarts.append(time.monotonic() - began)
            time.sleep(RUN_SECONDS)
        finally:
            stop_workers(stop, threads)
    finally:
        live.host.stop()
    outcomes = recorder.snapshot()
    unanswered = [o for o in outcomes if o.status is None]
    assert unanswered, "no request was cut: the kills did not happen under load"
    assert max(o.seconds for o in unanswered) < REFUSED_BOUND, "a request to the dead host hung"
    unexpected = [(o.action, o.status) for o in outcomes if o.status is not None and not o.acknowledged]
    assert not unexpected, f"the target never failed, so every answer should be 2xx; got {unexpected[:10]}"
    counts = assert_acknowledged_writes_kept(outcomes, read_target(url), group_id)
    after_last_restart = [o for o in outcomes if o.started > outcomes[-1].started - RUN_SECONDS and o.acknowledged]
    assert after_last_restart, "the restarted host served nothing"
    save_figures(
        f"host-killed-{server.name}",
        {
            "kills": KILLS,
            "requests": len(outcomes),
            "unanswered": len(unanswered),
            "restart_seconds_max": round(max(restarts), 3),
            "writes": counts.__dict__,
        },
    )

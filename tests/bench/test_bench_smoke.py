"""Smoke run of the benchmark (`benchmarks/hostbench`): a tiny size, one second per workload, every workload
and comparison server. It checks that the harness runs end to end and that no request failed; it asserts no
timing (figures on a shared test machine mean nothing)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support.databases import POSTGRES_ADMIN_URL, random_database_name

ROOT = Path(__file__).resolve().parents[2]
HOST_WORKLOADS = {
    "dummy query",
    "GET filter userName eq",
    "POST /Users",
    "PATCH 3 attributes",
    "DELETE /Users",
    "group to 200 members",
    "Entra initial cycle",
}

pytestmark = [pytest.mark.postgres, pytest.mark.e2e, pytest.mark.timeout(240)]


@pytest.fixture(scope="module")
def bench_results(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict:
    if shutil.which("wrk") is None:
        pytest.skip("wrk is not installed (scripts/ensure-bench-tools.sh installs it)")
    out = tmp_path_factory.mktemp("bench")
    admin = os.environ.get("ECMAHOST_TEST_POSTGRES_URL", POSTGRES_ADMIN_URL)
    command = [sys.executable, "-m", "benchmarks.hostbench", "--size", "400", "--duration", "1"]
    command += ["--concurrency", "4", "--workers", "1", "--group-members", "200", "--cycle-users", "40"]
    command += ["--cycle-groups", "4", "--out", str(out), "--database", random_database_name(), "--admin-url", admin]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=200, check=False)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    results = json.loads((out / "bench.json").read_text())
    results["_out"] = str(out)
    return results


RELAY_WORKLOADS = {"GET filter userName eq", "POST /Users"}
SINGLE = {f"{name}, 1 connection" for name in RELAY_WORKLOADS}
"""the low-load rows (one connection) of the direct host and both relay paths, for the added latency"""


def test_every_workload_runs_against_the_host(bench_results: dict) -> None:
    ran = {row["workload"] for row in bench_results["workloads"] if row["server"] == "ecmahost"}
    assert ran == HOST_WORKLOADS | SINGLE


def test_no_request_fails_in_any_workload(bench_results: dict) -> None:
    failed = {
        f"{row['server']} {row['workload']}": row["first_error"] for row in bench_results["workloads"] if row["errors"]
    }
    assert failed == {}
    assert all(row["requests"] > 0 for row in bench_results["workloads"])


def test_initial_cycle_creates_every_user_group_and_membership(bench_results: dict) -> None:
    cycle = next(row for row in bench_results["workloads"] if row["workload"] == "Entra initial cycle")
    assert cycle["counters"] == {"users_created": 40, "groups_created": 4, "members_added": 40}


def test_comparison_servers_and_database_limits_are_measured(bench_results: dict) -> None:
    servers = {row["server"] for row in bench_results["workloads"]}
    relays = {"via relay", "via relay, serve --agent"}
    assert servers == {"ecmahost", "bare ASGI", "scim2-server", "minimal handler", *relays}
    minimal = {row["workload"] for row in bench_results["workloads"] if row["server"] == "minimal handler"}
    assert minimal == {"dummy query", "GET filter userName eq", "POST /Users"}
    for relay in relays:  # issue 14's yardstick: the same two workloads through relay + NATS + agent(s)
        assert {row["workload"] for row in bench_results["workloads"] if row["server"] == relay} == (
            RELAY_WORKLOADS | SINGLE
        )
    assert "GET filter vs the minimal asyncpg/orjson handler" in bench_results["ratios"]
    for path in ("via relay", "via relay, serve --agent"):  # issue 14's rate target, for both relay paths
        assert {f"GET filter {path} vs direct", f"POST /Users {path} vs direct"} <= set(bench_results["ratios"])
    assert [row["workload"] for row in bench_results["pgbench"]] == ["single-row INSERT", "indexed lookup"]
    assert bench_results["host"]["startup_seconds"] > 0
    assert bench_results["host"]["rss_at_rest_per_worker_mib"] > 0


def test_report_files_are_written(bench_results: dict) -> None:
    out = Path(bench_results["_out"])
    assert (out / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "| ecmahost | GET filter userName eq |" in (out / "table.md").read_text()


def test_the_results_folder_holds_no_secret(bench_results: dict) -> None:
    out = Path(bench_results["_out"])
    names = {path.name for path in out.rglob("*")}
    assert not {name for name in names if name.endswith((".key", ".yaml", "secret.key"))}
    assert "Bearer" not in "".join(
        path.read_text(errors="replace") for path in out.rglob("*") if path.is_file() and path.suffix != ".png"
    )


def test_relay_latency_is_the_one_connection_median_minus_the_direct_hosts(bench_results: dict) -> None:
    latency = bench_results["relay_latency"]
    assert set(latency) == RELAY_WORKLOADS
    for workload, servers in latency.items():
        assert list(servers) == ["ecmahost", "via relay", "via relay, serve --agent"]  # the direct host first
        direct = servers["ecmahost"]["p50_ms"]
        for server, figures in servers.items():
            row = next(
                r
                for r in bench_results["workloads"]
                if r["server"] == server and r["workload"] == f"{workload}, 1 connection"
            )
            assert row["concurrency"] == 1
            assert figures["p50_ms"] == row["p50_ms"] > 0
            assert figures["added_p50_ms"] == round(row["p50_ms"] - direct, 3)

"""The benchmark run, end to end: seed, database limits, the host (start-up, memory at rest, every workload,
profiles on request), the comparison servers, then the report. Every server and database it creates is
stopped or dropped at the end, also on failure."""

from __future__ import annotations

import secrets
import socket
import tempfile
import time
from contextlib import ExitStack
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from benchmarks.hostbench import pgbench, profiling, relay_path, report, seed
from benchmarks.hostbench.options import BenchOptions, parse_options
from benchmarks.hostbench.processes import process_tree, rss_bytes
from benchmarks.hostbench.relay_path import start_relay_path
from benchmarks.hostbench.servers import RunningServer, ServerSpec, host_spec, prepare_home, start_server
from benchmarks.hostbench.workloads import (
    MIB,
    Workload,
    WorkloadResult,
    comparison_workloads,
    host_workloads,
    measure,
    minimal_workloads,
    seed_workload,
)
from benchmarks.hostbench.wrk import wrk_path
from rich.console import Console
from sqlalchemy.engine import make_url

from ecmahost.home import Home
from ecmahost.settings import ActivitySettings, HostSettings, save_settings

PROFILED = ("get_filter", "post_users", "patch_users")
RELAY_SCRIPTS = ("get_filter", "post_users")
SINGLE = ", 1 connection"
"""the name suffix of the low-load rows (one connection): the latency of a request with nothing queued"""
SCIM2_SEED_LIMIT = 10_000
LAYERS = (
    "ssl",
    "uvicorn",
    "starlette",
    "ecmahost/http",
    "ecmahost/scim",
    "ecmahost/service",
    "ecmahost/connectors",
    "sqlalchemy",
    "asyncpg",
    "psycopg",
    "orjson",
    "pydantic",
)
console = Console(width=None if Console().is_terminal else 200)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _show(result: WorkloadResult) -> None:
    flag = "" if result.errors == 0 else f"  [red]{result.errors} errors: {result.first_error[:200]}[/red]"
    console.print(
        f"  {result.server:<12} {result.workload:<28} {result.rate:>9,.1f} req/s  p50 {result.p50_ms:7.2f} ms"
        f"  p99 {result.p99_ms:7.2f} ms{flag}"
    )


def _rss_at_rest(server: RunningServer) -> dict[str, float]:
    time.sleep(1.0)
    pids = process_tree(server.process.pid)
    sizes = {pid: rss_bytes(pid) for pid in pids}
    workers = [size for pid, size in sizes.items() if pid != server.process.pid] or list(sizes.values())
    return {
        "rss_at_rest_total_mib": round(sum(sizes.values()) / MIB, 1),
        "rss_at_rest_per_worker_mib": round(max(workers) / MIB, 1),
    }


def _profile(server: RunningServer, workloads: list[Workload], env: dict[str, str], out: Path) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for workload in (w for w in workloads if w.script in PROFILED):
        folded = out / f"profile-{workload.script}.folded"
        recorder = profiling.start_recording(server.process.pid, workload.duration, folded)
        time.sleep(0.5)  # let py-spy attach to every worker
        measure(server, workload, env)
        _, stderr = recorder.communicate(timeout=120)
        if not folded.exists():
            console.print(f"[yellow]py-spy wrote no profile for {workload.script}: {stderr.decode()[-300:]}[/yellow]")
            continue
        spots = profiling.hot_spots(folded)
        groups = profiling.inclusive_spots(folded, LAYERS)
        found[workload.script] = {
            "file": folded.name,
            "hot_spots": [asdict(spot) for spot in spots],
            "inclusive_by_layer": groups,
        }
    return found


def run(options: BenchOptions) -> dict[str, Any]:
    wrk_path()
    out = options.out.resolve()
    logs = out / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(24)
    env = {"BENCH_TOKEN": token}
    results: dict[str, Any] = {
        "machine": report.machine(),
        "options": _options_dict(options),
        "workloads": [],
        "pgbench": [],
        "host": {},
        "ratios": {},
        "profiles": {},
        "relay_latency": {},
    }
    url = seed.database_url(options.admin_url, options.database)
    with ExitStack() as cleanup:
        console.print(f"[bold]Seeding {options.size:,} users into {options.database}[/bold]")
        seed.recreate_database(options.admin_url, options.database)
        if not options.keep_database:
            cleanup.callback(seed.drop_database, options.admin_url, options.database)
        seed.create_tables(url)
        seeded = seed.seed(url, options.size)
        results["host"]["seed_seconds"] = round(seeded.seconds, 1)
        console.print(f"[bold]pgbench[/bold] ({options.duration:.0f} s each)")
        results["pgbench"] = [
            p.as_dict() for p in pgbench.run_pgbench(url, options.concurrency, options.duration, options.live_users)
        ]
        # the home (connector file with the token hash, TLS key) lives in a temporary folder, never in the results
        home = prepare_home(
            Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="hostbench-home-"))), url, token
        )
        if not options.activity:
            save_settings(home, HostSettings(activity=ActivitySettings(enabled=False)))
        host = start_server(host_spec(home, options.workers, options.server), home, _free_port(), token, logs)
        cleanup.callback(host.stop)
        results["host"].update(
            {
                "server": options.server,
                "workers": options.workers,
                "startup_seconds": round(host.startup_seconds, 2),
                **_rss_at_rest(host),
            }
        )
        console.print(
            f"[bold]ecmahost[/bold] ({options.server}): first 200 after {host.startup_seconds:.2f} s, "
            f"{options.workers} workers"
        )
        workloads = host_workloads(options)
        for workload in workloads:
            result = measure(host, workload, env)
            results["workloads"].append(result.as_dict())
            _show(result)
        if options.profile:
            results["profiles"] = _profile(host, workloads, env, out)
        if options.relay:
            _relay(options, host, home, token, env, logs, results)
        host.stop()
        if options.compare:
            _compare(options, home, token, env, logs, results)
            _compare_minimal(options, home, token, url, env, logs, results)
    results["ratios"] = _ratios(results)
    report.write_json(results, out)
    if options.chart:
        report.draw_chart(results, out)
    report.print_table(results, console)
    return results


def _relay(
    options: BenchOptions,
    host: RunningServer,
    home: Home,
    token: str,
    env: dict[str, str],
    logs: Path,
    results: dict[str, Any],
) -> None:
    """GET filter and POST through relay + NATS + agents to the same host (issue 14's yardstick), and through a
    `serve --agent` host of the same home (agents in process); the two paths are measured in turn, workload by
    workload, so a noisy neighbour weighs on both."""
    with ExitStack() as cleanup, tempfile.TemporaryDirectory(prefix="hostbench-relay-") as folder:
        relay = start_relay_path(Path(folder) / "forwarding", host, home, token, logs, cleanup)
        console.print(
            f"[bold]relay path[/bold]: {relay_path.AGENTS} agents, first 200 after {relay.startup_seconds:.2f} s"
        )
        inner = start_relay_path(Path(folder) / "in-process", host, home, token, logs, cleanup, in_process=True)
        console.print(f"[bold]relay path, serve --agent[/bold]: first 200 after {inner.startup_seconds:.2f} s")
        workloads = [w for w in host_workloads(options) if w.script in RELAY_SCRIPTS]
        for workload in workloads:
            for path, tag in ((relay, "relay-post"), (inner, "relay-inproc-post")):
                tagged = replace(workload, env={**workload.env, "BENCH_TAG": tag})  # new logins, no 409
                result = measure(path, tagged, env)
                results["workloads"].append(result.as_dict())
                _show(result)
        results["relay_latency"] = _relay_latency(workloads, (host, relay, inner), env, results)


def _relay_latency(
    workloads: list[Workload], servers: tuple[RunningServer, ...], env: dict[str, str], results: dict[str, Any]
) -> dict[str, dict[str, dict[str, float]]]:
    """The hop's own latency (issue 14's "added median"): each workload over one connection, so nothing queues and
    the median is what one request takes, against the direct host (first of `servers`) and each relay path in
    turn. Added = relay path minus direct, median and p99. At 16 connections a path at half the rate has twice the
    median from queueing alone, which says nothing about the hop."""
    found: dict[str, dict[str, dict[str, float]]] = {}
    for workload in workloads:
        rows = []
        for number, server in enumerate(servers):
            tag = {**workload.env, "BENCH_TAG": f"single-{number}"}  # POST logins of their own, no 409
            single = replace(workload, name=f"{workload.name}{SINGLE}", threads=1, env=tag)
            rows.append(measure(server, single, env))
            results["workloads"].append(rows[-1].as_dict())
            _show(rows[-1])
        direct = rows[0]
        found[workload.name] = {
            row.server: {
                "p50_ms": row.p50_ms,
                "p99_ms": row.p99_ms,
                "added_p50_ms": round(row.p50_ms - direct.p50_ms, 3),
                "added_p99_ms": round(row.p99_ms - direct.p99_ms, 3),
            }
            for row in rows
        }
    return found


def _compare(
    options: BenchOptions, home: Home, token: str, env: dict[str, str], logs: Path, results: dict[str, Any]
) -> None:
    bare = start_server(
        ServerSpec("bare ASGI", "benchmarks.hostbench.bare_app:app", options.workers, "/bare", factory=False),
        home,
        _free_port(),
        token,
        logs,
    )
    try:
        result = measure(bare, Workload("fixed SCIM body", "dummy_query", options.concurrency, options.duration), env)
        results["workloads"].append(result.as_dict())
        _show(result)
    finally:
        bare.stop()
    spec = ServerSpec(
        "scim2-server", "benchmarks.hostbench.scim2_app:create_app", 1, "/v2", env=(("HOSTBENCH_TOKEN", token),)
    )
    reference = start_server(spec, home, _free_port(), token, logs)
    try:
        users = min(options.live_users, SCIM2_SEED_LIMIT)
        for workload in [seed_workload(options, users), *comparison_workloads(options, users)]:
            result = measure(reference, workload, env)
            results["workloads"].append(result.as_dict())
            _show(result)
    finally:
        reference.stop()


def _compare_minimal(
    options: BenchOptions, home: Home, token: str, url: str, env: dict[str, str], logs: Path, results: dict[str, Any]
) -> None:
    """The issue's yardstick, on the same table and the same uvicorn/TLS command as the host."""
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    spec = ServerSpec(
        "minimal handler",
        "benchmarks.hostbench.minimal_app:create_app",
        options.workers,
        "/minimal",
        env=(("HOSTBENCH_TOKEN", token), ("HOSTBENCH_DSN", dsn)),
    )
    minimal = start_server(spec, home, _free_port(), token, logs)
    try:
        for workload in minimal_workloads(options):
            result = measure(minimal, workload, env)
            results["workloads"].append(result.as_dict())
            _show(result)
    finally:
        minimal.stop()


def _rate(results: dict[str, Any], server: str, workload: str) -> float:
    return next(
        (row["rate"] for row in results["workloads"] if row["server"] == server and row["workload"] == workload), 0.0
    )


HOST_GET = ("ecmahost", "GET filter userName eq")
HOST_POST = ("ecmahost", "POST /Users")
MINIMAL_GET = ("minimal handler", "GET filter userName eq")
MINIMAL_POST = ("minimal handler", "POST /Users")
BARE = ("bare ASGI", "fixed SCIM body")
PG_INSERT = ("pgbench", "single-row INSERT")
RATIOS = (
    ("POST /Users vs pgbench single-row INSERT", HOST_POST, PG_INSERT),
    ("GET filter vs bare TLS ASGI", HOST_GET, BARE),
    ("GET filter vs the minimal asyncpg/orjson handler", HOST_GET, MINIMAL_GET),
    ("POST /Users vs the minimal asyncpg/orjson handler", HOST_POST, MINIMAL_POST),
    ("minimal handler GET filter vs bare TLS ASGI", MINIMAL_GET, BARE),
    ("minimal handler POST vs pgbench single-row INSERT", MINIMAL_POST, PG_INSERT),
    ("GET filter vs pgbench indexed lookup", HOST_GET, ("pgbench", "indexed lookup")),
    ("GET filter vs scim2-server", HOST_GET, ("scim2-server", "GET filter userName eq")),
    ("POST /Users vs scim2-server", HOST_POST, ("scim2-server", "POST /Users")),
    ("GET filter via relay vs direct", ("via relay", "GET filter userName eq"), HOST_GET),
    ("POST /Users via relay vs direct", ("via relay", "POST /Users"), HOST_POST),
    ("GET filter via relay, serve --agent vs direct", (relay_path.IN_PROCESS_NAME, "GET filter userName eq"), HOST_GET),
    ("POST /Users via relay, serve --agent vs direct", (relay_path.IN_PROCESS_NAME, "POST /Users"), HOST_POST),
)
"""(name, numerator, denominator): each a (server, workload) of this run, or ("pgbench", its workload)."""


def _figure(results: dict[str, Any], server: str, workload: str) -> float:
    if server == "pgbench":
        return next((row["tps"] for row in results["pgbench"] if row["workload"] == workload), 0.0)
    return _rate(results, server, workload)


def _ratios(results: dict[str, Any]) -> dict[str, float]:
    found = {}
    for name, top, bottom in RATIOS:
        a, b = _figure(results, *top), _figure(results, *bottom)
        if a and b:
            found[name] = a / b
    return found


def _options_dict(options: BenchOptions) -> dict[str, Any]:
    return {
        "size": options.size,
        "concurrency": options.concurrency,
        "duration": options.duration,
        "workers": options.workers,
        "cycle_users": options.cycle_users,
        "cycle_groups": options.cycle_groups,
        "group_members": min(options.group_members, options.live_users),
        "profile": options.profile,
        "server": options.server,
    }


def main(argv: list[str] | None = None) -> int:
    options = parse_options(argv)
    results = run(options)
    errors = sum(row["errors"] for row in results["workloads"])
    console.print(f"Results in {options.out}/ (bench.json, table.md{', chart.png' if options.chart else ''})")
    return 1 if errors else 0

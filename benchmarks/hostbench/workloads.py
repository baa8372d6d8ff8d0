"""The workloads of issue 6 and how one is measured against a running server.

Each workload is a Lua script (see `lua/`) with its settings, bounded in time (wrk's duration) and in count
(each thread's quota). `measure` runs one and adds the server's CPU and peak memory and PostgreSQL's CPU to
wrk's figures. This module does not start servers or seed data.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from benchmarks.hostbench.options import BenchOptions
from benchmarks.hostbench.processes import MemorySampler, Usage, machine_busy_seconds, pids_named, process_tree
from benchmarks.hostbench.servers import RunningServer
from benchmarks.hostbench.wrk import WrkResult, run_wrk

MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Workload:
    name: str
    script: str
    threads: int
    duration: float
    env: dict[str, str] = field(default_factory=dict)
    quota: int | None = None
    """requests per thread at most (None: bounded by time only)"""


@dataclass(frozen=True, slots=True)
class WorkloadResult:
    server: str
    workload: str
    concurrency: int
    requests: int
    seconds: float
    rate: float
    errors: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    server_cpu_cores: float
    requests_per_cpu_second: float
    """requests served per CPU second of the server: the figure that survives a busy machine best"""
    db_cpu_cores: float
    client_cpu_cores: float
    other_cpu_cores: float
    """the machine's busy CPU not used by the server, the database or wrk: other work that disturbed the run"""
    peak_rss_mib: float
    peak_rss_per_process_mib: float
    counters: dict[str, int]
    first_error: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def host_workloads(options: BenchOptions) -> list[Workload]:
    """The workloads against the host, in run order (DELETE after the reads; the cycle last)."""
    c, d = options.concurrency, options.duration
    live = {"BENCH_LIVE": str(options.live_users)}
    deletes = {"BENCH_DELETE_FROM": str(options.live_users), "BENCH_DELETE_COUNT": str(options.delete_range)}
    members = min(options.group_members, options.live_users)
    cycle = {"BENCH_CYCLE_USERS": str(options.cycle_users), "BENCH_CYCLE_GROUPS": str(options.cycle_groups)}
    every = [
        Workload("dummy query", "dummy_query", c, d),
        Workload("GET filter userName eq", "get_filter", c, d, live),
        Workload("POST /Users", "post_users", c, d),
        Workload("PATCH 3 attributes", "patch_users", c, d, live),
        Workload("DELETE /Users", "delete_users", min(c, options.delete_range), d, deletes),
        Workload(
            f"group to {members:,} members", "grow_group", 1, options.cap_seconds, {"BENCH_GROUP_MEMBERS": str(members)}
        ),
        Workload("Entra initial cycle", "cycle", min(c, options.cycle_users), options.cycle_cap_seconds, cycle),
    ]
    return [w for w in every if not options.workloads or w.script in options.workloads]


def comparison_workloads(options: BenchOptions, seeded: int) -> list[Workload]:
    """What runs against scim2-server, after `seed_workload` filled it with `seeded` users."""
    c, d = options.concurrency, options.duration
    return [
        Workload("dummy query", "dummy_query", c, d),
        Workload("GET filter userName eq", "get_filter", c, d, {"BENCH_LIVE": str(seeded)}),
        Workload("POST /Users", "post_users", c, d),
    ]


def minimal_workloads(options: BenchOptions) -> list[Workload]:
    """What runs against the minimal asyncpg/orjson handler, on the host's seeded table (its own POST logins)."""
    c, d = options.concurrency, options.duration
    return [
        Workload("dummy query", "dummy_query", c, d),
        Workload("GET filter userName eq", "get_filter", c, d, {"BENCH_LIVE": str(options.live_users)}),
        Workload("POST /Users", "post_users", c, d, {"BENCH_TAG": "minimal"}),
    ]


def seed_workload(options: BenchOptions, users: int) -> Workload:
    return Workload(
        "seed by POST", "seed_users", min(options.concurrency, users), options.cap_seconds, {"BENCH_LIVE": str(users)}
    )


def measure(server: RunningServer, workload: Workload, base_env: dict[str, str]) -> WorkloadResult:
    """Run `workload` against `server` and collect wrk's figures with CPU and memory."""
    env = {**base_env, **workload.env, "BENCH_PREFIX": server.spec.prefix}
    if workload.quota is not None:
        env["BENCH_QUOTA"] = str(workload.quota)
    host_pids = process_tree(server.process.pid)
    host_before, db_before = Usage.of(host_pids), Usage.of(pids_named("postgres"))
    machine_before = machine_busy_seconds()
    with MemorySampler(server.process.pid) as memory:
        result: WrkResult = run_wrk(
            workload.script, server.url, threads=workload.threads, duration=workload.duration, env=env
        )
    host_cpu = Usage.of(host_pids).since(host_before)
    db_cpu = Usage.of(pids_named("postgres")).since(db_before)
    other_cpu = machine_busy_seconds() - machine_before - host_cpu - db_cpu - result.client_cpu_seconds
    seconds = max(result.seconds, 1e-9)
    return WorkloadResult(
        server=server.spec.name,
        workload=workload.name,
        concurrency=workload.threads,
        requests=result.requests,
        seconds=round(result.seconds, 3),
        rate=round(result.rate, 1),
        errors=result.errors,
        p50_ms=result.p50_ms,
        p90_ms=result.p90_ms,
        p99_ms=result.p99_ms,
        max_ms=result.max_ms,
        server_cpu_cores=round(host_cpu / seconds, 2),
        requests_per_cpu_second=round(result.requests / host_cpu, 1) if host_cpu > 0 else 0.0,
        db_cpu_cores=round(db_cpu / seconds, 2),
        client_cpu_cores=round(result.client_cpu_seconds / seconds, 2),
        other_cpu_cores=round(max(other_cpu, 0.0) / seconds, 2),
        peak_rss_mib=round(memory.peak_total / MIB, 1),
        peak_rss_per_process_mib=round(memory.peak_process / MIB, 1),
        counters=result.counters,
        first_error=result.first_error,
    )

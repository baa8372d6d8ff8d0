"""The benchmark's settings: sizes, concurrency, durations, what to compare; parsed from the command line.

The defaults are those of `make bench`. This module only describes and parses settings; it runs nothing.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
SERVERS = ("uvicorn", "granian")


@dataclass(frozen=True, slots=True)
class BenchOptions:
    size: int
    concurrency: int
    duration: float
    workers: int
    cycle_users: int
    cycle_groups: int
    group_members: int
    out: Path
    admin_url: str
    database: str
    profile: bool
    compare: bool
    chart: bool
    keep_database: bool
    workloads: tuple[str, ...] = ()
    """host workloads to run, by script name (empty: all)"""
    activity: bool = True
    """the host's activity journal on (its default), or off to measure what it costs"""
    relay: bool = True
    """also GET filter and POST through relay + NATS + agents (issue 14)"""
    server: str = "uvicorn"
    """the HTTP server of the host under test: `uvicorn` (`ecmahost serve`) or `granian` (issue 15)"""

    @property
    def delete_range(self) -> int:
        """How many seeded users (the last ones) are reserved for the DELETE workload."""
        return max(self.size // 5, 1)

    @property
    def live_users(self) -> int:
        """Seeded users that GET, PATCH and the group workload may use (never deleted during the run)."""
        return self.size - self.delete_range

    @property
    def cap_seconds(self) -> float:
        """The time bound of a count-bounded workload (the growing group)."""
        return max(self.duration * 30, 60.0)

    @property
    def cycle_cap_seconds(self) -> float:
        """The initial cycle's time bound: long enough for about 3 requests per user at 200 requests/s, so the
        issue's 100,000-user cycle runs to the end instead of stopping at `cap_seconds`."""
        return max(self.cap_seconds, 3 * self.cycle_users / 200)


def parse_options(argv: list[str] | None = None) -> BenchOptions:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.hostbench", description=__doc__)
    parser.add_argument("--size", type=int, default=100_000, help="seeded users (default 100,000)")
    parser.add_argument("--concurrency", type=int, default=16, help="open connections (default 16)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per timed workload (default 10)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="host worker processes")
    parser.add_argument("--cycle-users", type=int, default=None, help="users in the initial cycle (default SIZE/10)")
    parser.add_argument("--cycle-groups", type=int, default=None, help="groups in the cycle (default users/100)")
    parser.add_argument("--group-members", type=int, default=50_000, help="members of the growing group")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"), help="folder for JSON, table, chart")
    parser.add_argument("--admin-url", default=os.environ.get("ECMAHOST_BENCH_POSTGRES_URL", DEFAULT_ADMIN_URL))
    parser.add_argument("--database", default="ecmahost_bench", help="database to (re)create for the run")
    parser.add_argument("--profile", action="store_true", help="also record py-spy profiles of GET, POST, PATCH")
    parser.add_argument("--no-compare", dest="compare", action="store_false", help="skip the comparison servers")
    parser.add_argument(
        "--workloads",
        default="",
        help="run only these host workloads, by script name (comma-separated: dummy_query, get_filter, post_users, "
        "patch_users, delete_users, grow_group, cycle); default all",
    )
    parser.add_argument("--no-chart", dest="chart", action="store_false", help="skip the PNG chart")
    parser.add_argument("--keep-database", action="store_true", help="do not drop the database at the end")
    parser.add_argument(
        "--no-activity", dest="activity", action="store_false", help="run the host with its activity journal off"
    )
    parser.add_argument(
        "--no-relay", dest="relay", action="store_false", help="skip the relay path (relay + NATS + agents)"
    )
    parser.add_argument(
        "--server",
        choices=SERVERS,
        default="uvicorn",
        help="the host's HTTP server: uvicorn (ecmahost serve, default) or granian (the same home, TLS certificate "
        "and worker count under granian's ASGI interface and worker supervisor); the relay and comparison servers "
        "stay on uvicorn",
    )
    args = parser.parse_args(argv)
    if args.size < 10:
        parser.error("--size must be at least 10")
    cycle_users = args.cycle_users if args.cycle_users is not None else max(args.size // 10, args.concurrency)
    cycle_groups = args.cycle_groups if args.cycle_groups is not None else max(cycle_users // 100, 1)
    return BenchOptions(
        size=args.size,
        concurrency=args.concurrency,
        duration=args.duration,
        workers=args.workers,
        cycle_users=cycle_users,
        cycle_groups=cycle_groups,
        group_members=args.group_members,
        out=args.out,
        admin_url=args.admin_url,
        database=args.database,
        profile=args.profile,
        compare=args.compare,
        chart=args.chart,
        keep_database=args.keep_database,
        workloads=tuple(name.strip() for name in args.workloads.split(",") if name.strip()),
        activity=args.activity,
        relay=args.relay,
        server=args.server,
    )

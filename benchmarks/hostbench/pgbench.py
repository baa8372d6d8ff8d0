"""The database's own limits on this machine, with pgbench in the same run and on the same database:
a single-row insert into a copy of the users table (same columns and indexes) and the indexed lookup the host
does for `userName eq` (`lower("ContosoLogin") = lower(...)`), at the same concurrency, prepared statements.
This module does not touch the host.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

INSERT = """\\set n random(1, 2000000000)
INSERT INTO pgbench_employees ("InternalGUID", "ContosoLogin", "FirstName", "LastName", "Email", "Department")
VALUES (gen_random_uuid()::text, gen_random_uuid()::text || '@contoso.com', 'Bench', 'User' || :n,
        'pgbench' || :n || '@contoso.com', 'Sales');
"""
LOOKUP = """\\set i random(0, :live - 1)
SELECT * FROM "Employees" WHERE lower("ContosoLogin") = lower('user' || :i || '@contoso.com');
"""
_TPS = re.compile(r"^tps = ([0-9.]+)", re.MULTILINE)
_LATENCY = re.compile(r"^latency average = ([0-9.]+) ms", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class PgbenchResult:
    workload: str
    clients: int
    tps: float
    latency_avg_ms: float

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def prepare(url: str) -> None:
    libpq = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(libpq, autocommit=True) as conn:
        conn.execute('CREATE TABLE IF NOT EXISTS pgbench_employees (LIKE "Employees" INCLUDING ALL)')


def _run(url: str, name: str, script: str, clients: int, duration: float, live: int) -> PgbenchResult:
    target = make_url(url)
    pgbench = shutil.which("pgbench")
    if pgbench is None:
        raise RuntimeError("pgbench is not installed (Debian: postgresql-client)")
    env = {**os.environ}
    if target.password:
        env["PGPASSWORD"] = str(target.password)
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as handle:
        handle.write(script)
    try:
        command = [pgbench, "-n", "-M", "prepared", "-c", str(clients), "-j", str(min(clients, os.cpu_count() or 1))]
        command += ["-T", str(max(int(duration), 1)), "-D", f"live={live}", "-f", handle.name]
        command += [
            "-h",
            target.host or "127.0.0.1",
            "-p",
            str(target.port or 5432),
            "-U",
            target.username or "postgres",
        ]
        output = subprocess.run([*command, str(target.database)], env=env, capture_output=True, text=True, check=True)
    except subprocess.CalledProcessError as exc:
        raise RuntimeError(f"pgbench {name} failed: {exc.stderr.strip()[-500:]}") from None
    finally:
        Path(handle.name).unlink(missing_ok=True)
    tps, latency = _TPS.search(output.stdout), _LATENCY.search(output.stdout)
    if tps is None or latency is None:
        raise RuntimeError(f"pgbench {name}: no tps in its output:\n{output.stdout[-1000:]}")
    return PgbenchResult(name, clients, float(tps.group(1)), float(latency.group(1)))


def run_pgbench(url: str, clients: int, duration: float, live: int) -> list[PgbenchResult]:
    prepare(url)
    return [
        _run(url, "single-row INSERT", INSERT, clients, duration, live),
        _run(url, "indexed lookup", LOOKUP, clients, duration, live),
    ]

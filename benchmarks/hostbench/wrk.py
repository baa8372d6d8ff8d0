"""Run one Lua workload with Debian's `wrk` and read back its figures.

wrk runs one connection per thread (so a thread's `response()` answers its own last request) and ends at its
duration, or earlier: when every thread has reached its quota the script writes a marker file per thread and
this module interrupts wrk (SIGINT makes it stop and report). The client's own CPU time comes from the
rusage of the wrk process. This module knows nothing about the servers or the workloads' meaning.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

LUA_DIR = Path(__file__).parent / "lua"
TIMEOUT = "60s"  # Entra gives up on a request after about 60 seconds


@dataclass(frozen=True, slots=True)
class WrkResult:
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    client_cpu_seconds: float
    counters: dict[str, int] = field(default_factory=dict)
    first_error: str = ""

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0


def wrk_path() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise RuntimeError("wrk is not installed: `apt-get install wrk` (Debian) or `make bench` installs it")
    return found


def _wait_finished(process: subprocess.Popen[bytes], markers: Path, threads: int) -> tuple[int, float]:
    """Wait for wrk to end (interrupting it once every thread wrote its done marker); return its exit code and
    CPU seconds."""
    interrupted = False
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            return process.returncode, usage.ru_utime + usage.ru_stime
        if not interrupted and len(list(markers.glob("done-*"))) >= threads:
            process.send_signal(signal.SIGINT)
            interrupted = True
        time.sleep(0.01)


def run_wrk(script: str, url: str, *, threads: int, duration: float, env: dict[str, str]) -> WrkResult:
    """Run `lua/<script>.lua` against `url` with `threads` connections for at most `duration` seconds."""
    with tempfile.TemporaryDirectory(prefix="hostbench-") as scratch:
        markers, out = Path(scratch), Path(scratch) / "result.json"
        environment = {
            **os.environ,
            **env,
            "BENCH_LUA": str(LUA_DIR),
            "BENCH_MARKERS": str(markers),
            "BENCH_OUT": str(out),
            "BENCH_THREADS": str(threads),
        }
        command = [wrk_path(), "-t", str(threads), "-c", str(threads), "-d", f"{math.ceil(duration)}s"]
        command += ["--timeout", TIMEOUT, "-s", str(LUA_DIR / f"{script}.lua"), url]
        process = subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        returncode, client_cpu = _wait_finished(process, markers, threads)
        output = process.stdout.read().decode(errors="replace") if process.stdout else ""
        if not out.exists():
            raise RuntimeError(f"wrk {script} wrote no result (exit {returncode}):\n{output}")
        figures = json.loads(out.read_text())
        first_error = next((p.read_text(errors="replace") for p in sorted(markers.glob("bad-*"))), "")
    errors = figures["socket_errors"] + figures["timeouts"] + figures["unexpected"]
    return WrkResult(
        requests=figures["requests"],
        seconds=figures["duration_us"] / 1e6,
        errors=errors,
        p50_ms=figures["p50_us"] / 1000,
        p90_ms=figures["p90_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        max_ms=figures["max_us"] / 1000,
        client_cpu_seconds=client_cpu,
        counters=figures.get("counters", {}),
        first_error=first_error[:500],
    )

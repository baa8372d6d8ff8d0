"""CPU time and resident memory of a process tree (the host's master and workers) and of PostgreSQL, from /proc.

`Usage` is a snapshot of CPU seconds per pid; `MemorySampler` samples resident memory in a thread while a
workload runs and keeps the peaks. Linux only. This module does not start or stop processes.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")
_PROC = Path("/proc")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may hold spaces: split after its closing parenthesis
    return text[text.rindex(")") + 2 :].split()


def _all_pids() -> list[int]:
    return [int(entry.name) for entry in _PROC.iterdir() if entry.name.isdigit()]


def process_tree(root: int) -> list[int]:
    """`root` and all its descendants that are alive now."""
    parents: dict[int, list[int]] = {}
    for pid in _all_pids():
        fields = _stat_fields(pid)
        if fields is not None:
            parents.setdefault(int(fields[1]), []).append(pid)
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(parents.get(pid, []))
    return tree


def pids_named(name: str) -> list[int]:
    found = []
    for pid in _all_pids():
        try:
            if (_PROC / str(pid) / "comm").read_text().strip() == name:
                found.append(pid)
        except OSError:
            continue
    return found


def cpu_seconds(pid: int) -> float:
    fields = _stat_fields(pid)
    if fields is None:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime + stime


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent busy since boot (user, nice, system, irq, softirq, steal)."""
    fields = (_PROC / "stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(value) for value in fields[:8])
    return (user + nice + system + irq + softirq + steal) / _TICKS


def rss_bytes(pid: int) -> int:
    try:
        return int((_PROC / str(pid) / "statm").read_text().split()[1]) * _PAGE
    except OSError:
        return 0


@dataclass(frozen=True, slots=True)
class Usage:
    """CPU seconds per pid at one moment."""

    seconds: dict[int, float]

    @classmethod
    def of(cls, pids: list[int]) -> Usage:
        return cls({pid: cpu_seconds(pid) for pid in pids})

    def since(self, earlier: Usage) -> float:
        """CPU seconds spent between `earlier` and this snapshot by the processes alive now."""
        return sum(now - earlier.seconds.get(pid, 0.0) for pid, now in self.seconds.items())


@dataclass(slots=True)
class MemorySampler:
    """Samples the resident memory of `root`'s tree every `interval` seconds in a background thread."""

    root: int
    interval: float = 0.2
    peak_total: int = 0
    peak_process: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def sample(self) -> None:
        sizes = [rss_bytes(pid) for pid in process_tree(self.root)]
        self.peak_total = max(self.peak_total, sum(sizes))
        self.peak_process = max(self.peak_process, max(sizes, default=0))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> MemorySampler:
        self.sample()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.sample()

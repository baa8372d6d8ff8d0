"""py-spy profiles of the host's workers while a workload runs (`make bench PROFILE=1`), and their hot spots.

`start_recording` attaches `py-spy record --subprocesses --nonblocking` to the host's master process and writes
the collapsed stacks (`<workload>.folded`, the flame graph's data: open it with speedscope or flamegraph.pl).
`hot_spots` reads such a file and returns the functions with the largest share of samples (own and inclusive).
Needs root or ptrace rights. This module does not generate load.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class HotSpot:
    function: str
    own_percent: float
    inclusive_percent: float


def start_recording(pid: int, seconds: float, output: Path) -> subprocess.Popen[bytes]:
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    command = [py_spy, "record", "--pid", str(pid), "--subprocesses", "--nonblocking", "--format", "raw"]
    command += ["--duration", str(max(int(seconds), 1)), "--rate", "200", "--output", str(output)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _python_frames(stack: str) -> list[str]:
    """The Python frames of a folded stack, without the `process <pid>:"<command line>"` frames."""
    return [frame.strip() for frame in stack.split(";") if not frame.startswith("process ")]


def hot_spots(folded: Path, top: int = 12) -> list[HotSpot]:
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in folded.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = _python_frames(stack)
        if not frames:
            continue
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    if total == 0:
        return []
    ranked = [name for name, _ in own.most_common(top)]
    return [
        HotSpot(name, round(100 * own[name] / total, 1), round(100 * inclusive[name] / total, 1)) for name in ranked
    ]


def inclusive_spots(folded: Path, needles: tuple[str, ...]) -> dict[str, float]:
    """Inclusive share of samples of frames whose name contains each needle (e.g. 'ssl', 'sqlalchemy')."""
    totals: Counter[str] = Counter()
    total = 0
    for line in folded.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        total += int(count_text)
        python = ";".join(_python_frames(stack))
        for needle in needles:
            if needle in python:
                totals[needle] += int(count_text)
    return {needle: round(100 * totals[needle] / total, 1) if total else 0.0 for needle in needles}

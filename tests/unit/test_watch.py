"""`Watcher` calls back with exactly the files whose stamp changed, created and deleted ones included, and not at
all when nothing changed."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from ecmahost.watch import Watcher


def _later(path: Path) -> None:
    """Move the file's modification time back, so the next write changes it even on coarse clocks."""
    stamp = path.stat().st_mtime_ns - 10_000_000_000
    os.utime(path, ns=(stamp, stamp))


def test_a_watcher_reports_changed_new_and_deleted_files_once(tmp_path: Path) -> None:
    kept, edited, removed = (tmp_path / f"{name}.yaml" for name in ("kept", "edited", "removed"))
    for path in (kept, edited, removed):
        path.write_text("a: 1\n")
        _later(path)
    seen: list[list[Path]] = []
    watcher = Watcher(lambda: sorted(tmp_path.glob("*.yaml")), seen.append)
    edited.write_text("a: 2\n")
    removed.unlink()
    (tmp_path / "added.yaml").write_text("a: 3\n")
    assert asyncio.run(watcher.poll()) == sorted([edited, removed, tmp_path / "added.yaml"])
    assert asyncio.run(watcher.poll()) == []
    assert len(seen) == 1


def test_an_async_callback_is_awaited(tmp_path: Path) -> None:
    path = tmp_path / "host.yaml"
    applied: list[Path] = []

    async def apply(changed: list[Path]) -> None:
        applied.extend(changed)

    watcher = Watcher([path], apply)
    path.write_text("port: 8585\n")
    asyncio.run(watcher.poll())
    assert applied == [path]

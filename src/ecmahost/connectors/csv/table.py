"""One CSV file as a table of rows: read (cached until the file changes), and rewritten atomically.

A write takes the table's lock (a thread lock, plus an exclusive file lock on `<file>.lock` through portalocker,
`flock` on POSIX and `msvcrt.locking` on Windows, so two host processes on one machine also take turns), re-reads
the file, applies the change, writes a temporary file in the same folder, flushes it to disk and renames it over
the original: a reader or a crash sees the old file or the new one, never a torn one. It knows rows of strings
only; typing and rules belong to the connector.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import portalocker

from ecmahost.connectors.csv.models import CsvConnection
from ecmahost.connectors.errors import ConfigurationError, TargetUnavailable

Row = dict[str, str]


@dataclass(slots=True)
class Snapshot:
    header: list[str]
    rows: list[Row]


class CsvTable:
    def __init__(self, path: Path, settings: CsvConnection, columns: list[str]) -> None:
        self.path = path
        self.settings = settings
        self.columns = columns
        """the columns the connector needs; a new file is created with them, an existing one must have them"""
        self._lock = threading.Lock()
        self._cache: tuple[tuple[int, int, int], Snapshot] | None = None

    def read(self) -> Snapshot:
        """The rows as they are on disk now (from the cache when the file did not change)."""
        with self._lock:
            return self._read()

    def write(self, change: Callable[[Snapshot], Snapshot]) -> Snapshot:
        """Apply `change` to the current rows and replace the file with the result, all under the lock."""
        with self._lock, self._file_lock():
            self._cache = None
            updated = change(self._read())
            self._replace(updated)
            stat = self.path.stat()
            self._cache = ((stat.st_mtime_ns, stat.st_size, stat.st_ino), updated)
            return updated

    # -- internals ---------------------------------------------------------------------------------------
    def _read(self) -> Snapshot:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return Snapshot(list(self.columns), [])
        except OSError as exc:
            raise TargetUnavailable(f"cannot read {self.path.name}: {exc.strerror}") from exc
        stamp = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        if self._cache is not None and self._cache[0] == stamp:
            return self._cache[1]
        snapshot = self._parse()
        self._cache = (stamp, snapshot)
        return snapshot

    def _parse(self) -> Snapshot:
        try:
            with self.path.open(encoding=self.settings.encoding, newline="") as handle:
                reader = csv.DictReader(
                    handle, delimiter=self.settings.delimiter, quotechar=self.settings.quote_char, strict=True
                )
                header = list(reader.fieldnames or [])
                rows = [{k: v or "" for k, v in row.items() if k is not None} for row in reader]
        except (UnicodeDecodeError, csv.Error) as exc:
            raise ConfigurationError(
                f"{self.path.name} is not a CSV file in {self.settings.encoding} with delimiter "
                f"{self.settings.delimiter!r}: {exc}"
            ) from exc
        except OSError as exc:
            raise TargetUnavailable(f"cannot read {self.path.name}: {exc.strerror}") from exc
        missing = [column for column in self.columns if column not in header]
        if header and missing:
            raise ConfigurationError(
                f"{self.path.name} has no column {', '.join(missing)}; add the column to the file's header "
                "or remove the attribute from the connector file"
            )
        return Snapshot(header or list(self.columns), rows)

    def _replace(self, snapshot: Snapshot) -> None:
        text = io.StringIO()
        writer = csv.DictWriter(
            text,
            fieldnames=snapshot.header,
            delimiter=self.settings.delimiter,
            quotechar=self.settings.quote_char,
            lineterminator="\r\n",
        )
        writer.writeheader()
        writer.writerows(snapshot.rows)
        data = text.getvalue().encode(self.settings.encoding)
        folder = self.path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=folder)
            try:
                with os.fdopen(handle, "wb") as out:
                    out.write(data)
                    out.flush()
                    if self.settings.fsync:
                        os.fsync(out.fileno())
                os.replace(temporary, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise
            if self.settings.fsync:
                _fsync_folder(folder)
        except OSError as exc:
            raise TargetUnavailable(f"cannot write {self.path.name}: {exc.strerror}") from exc

    @contextlib.contextmanager
    def _file_lock(self) -> Iterator[None]:
        lock_path = self.path.with_name(self.path.name + ".lock")
        try:
            lock_path.parent.mkdir(parents=True, exist_ok=True)
            handle = lock_path.open("a")
        except OSError as exc:
            raise TargetUnavailable(f"cannot lock {self.path.name}: {exc.strerror}") from exc
        with handle:
            try:  # blocks until the other process is done (on Windows msvcrt gives up after 10 seconds)
                portalocker.lock(handle, portalocker.LockFlags.EXCLUSIVE)
            except portalocker.AlreadyLocked as exc:
                raise TargetUnavailable(f"cannot lock {self.path.name}: another process holds it") from exc
            except portalocker.LockException as exc:
                raise TargetUnavailable(f"cannot lock {self.path.name}: {exc.__cause__ or exc}") from exc
            try:
                yield
            finally:
                portalocker.unlock(handle)


def _fsync_folder(folder: Path) -> None:
    if os.name == "nt":  # Windows cannot open a folder as a file; NTFS journals the rename itself
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)

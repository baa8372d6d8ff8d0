"""Cost of one log record written to the host's log file: the stdlib `RotatingFileHandler` (what the host used) and
`ConcurrentRotatingFileHandler` (what it uses now: a lock file around each write, safe across worker processes).

    .venv/bin/python -m benchmarks.log_handler_cost [--records 20000] [--processes 2]

Each line is one `logger.error()` through the host's text formatter, redaction and context filter, into a file in
a temporary folder (default size limit 10 MiB, so the single-process runs do not rotate; a 64 KiB run shows the
cost with frequent rotation). Prints wall and CPU microseconds per record; then the same with several processes
writing the same file at once (wall time per record seen by each process, and lines found afterwards: the stdlib
handler loses lines when another process rotates). Figures only, nothing is asserted.
"""

from __future__ import annotations

import argparse
import logging
import logging.handlers
import multiprocessing
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ecmahost.home import Home
from ecmahost.observability.log_reader import read_entries
from ecmahost.observability.log_setup import LOG_FILE_NAME, ContextFilter, TextFormatter, rotating_file_handler
from ecmahost.settings import HostSettings, LogFileSettings

HandlerFactory = Callable[[Home, HostSettings], logging.Handler]


def stdlib_handler(home: Home, settings: HostSettings) -> logging.Handler:
    return logging.handlers.RotatingFileHandler(
        home.logs_dir / LOG_FILE_NAME,
        maxBytes=settings.log_file.max_bytes,
        backupCount=settings.log_file.backups,
        encoding="utf-8",
    )


HANDLERS: dict[str, HandlerFactory] = {"stdlib": stdlib_handler, "concurrent": rotating_file_handler}


def _logger(
    home: Home, settings: HostSettings, factory: HandlerFactory, formatter: logging.Formatter | None = None
) -> tuple[logging.Logger, logging.Handler]:
    home.ensure(home.logs_dir)
    handler = factory(home, settings)
    handler.setFormatter(formatter or TextFormatter())
    handler.addFilter(ContextFilter())
    logger = logging.getLogger("ecmahost.bench.logs")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, handler


def _write(logger: logging.Logger, records: int, tag: str) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    for number in range(records):
        logger.error("%s n%06d GET /ecma2host_demo/scim/Users?filter=userName -> 200 in 3.1 ms", tag, number)
    return time.perf_counter() - wall, time.process_time() - cpu


def single(name: str, records: int, max_bytes: int, *, plain: bool = False) -> None:
    """`plain`: a bare `%(message)s` formatter, so the figure is the handler's own cost (no redaction)."""
    with tempfile.TemporaryDirectory() as folder:
        home = Home(Path(folder))
        settings = HostSettings(log_file=LogFileSettings(max_bytes=max_bytes, backups=5))
        formatter = logging.Formatter("%(message)s") if plain else None
        logger, handler = _logger(home, settings, HANDLERS[name], formatter)
        _write(logger, 500, "warm")
        wall, cpu = _write(logger, records, "p0")
        handler.close()
    what = "plain formatter" if plain else "host formatter "
    print(
        f"{name:>10}  1 process   {what} limit {max_bytes // 1024:>6} KiB  {wall / records * 1e6:6.1f} us wall  "
        f"{cpu / records * 1e6:6.1f} us CPU per record"
    )


def _writer(root: str, name: str, max_bytes: int, backups: int, records: int, tag: str, start: Any, out: Any) -> None:
    settings = HostSettings(log_file=LogFileSettings(max_bytes=max_bytes, backups=backups))
    logger, handler = _logger(Home(Path(root)), settings, HANDLERS[name])
    start.wait()
    out.put(_write(logger, records, tag)[0])
    handler.close()


def contended(name: str, records: int, processes: int, max_bytes: int) -> None:
    context = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as folder:
        start, out = context.Barrier(processes), context.Queue()
        workers = [
            context.Process(target=_writer, args=(folder, name, max_bytes, 100, records, f"p{n}", start, out))
            for n in range(processes)
        ]
        for worker in workers:
            worker.start()
        walls = [out.get(timeout=300) for _ in workers]
        for worker in workers:
            worker.join()
        found = sum(1 for _ in read_entries(Home(Path(folder))))
    per_record = sum(walls) / len(walls) / records * 1e6
    print(
        f"{name:>10}  {processes} processes limit {max_bytes // 1024:>6} KiB  {per_record:6.1f} us wall per record "
        f"in each process; lines found {found} of {records * processes}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--processes", type=int, default=2)
    arguments = parser.parse_args()
    for plain in (True, False):
        for max_bytes in (10 * 1024 * 1024, 64 * 1024):
            for name in HANDLERS:
                single(name, arguments.records, max_bytes, plain=plain)
    for name in HANDLERS:
        contended(name, arguments.records, arguments.processes, 256 * 1024)


if __name__ == "__main__":
    main()

"""`Host` assembles the host by role: the run files follow the app's life in the single-process role, only one
worker of several writes them (naming the supervisor), the embedded role writes none, and the one housekeeping
pass applies a level saved in host.yaml and a changed connector file."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from ecmahost.config.store import ConnectorStore
from ecmahost.connectors.sql.demo_schema import create_demo_tables
from ecmahost.demo import demo_connector
from ecmahost.home import Home
from ecmahost.host import EMBEDDED, Host, Role
from ecmahost.http.app import HostApp
from ecmahost.observability.monitor import ServedAt
from ecmahost.observability.run_files import pid_path, read_pid, state_path
from ecmahost.settings import HostSettings, LogLevel, LogLevels, save_settings

SERVED_AT = ServedAt("https", "127.0.0.1", 8585)
QUIET = Role("test-single", logging=False, run_files=True, follows_settings=True, tunes_gc=False)
"""SINGLE without touching this process's logging and garbage collector"""


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Home]:
    where = Home(tmp_path / "home")
    where.ensure()
    asyncio.run(create_demo_tables("sqlite:///demo.db", where.root))
    ConnectorStore(where).save(demo_connector("demo", "sqlite:///demo.db"))
    save_settings(where, HostSettings())
    loggers = [logging.getLogger(name) for name in ("ecmahost", "ecmahost.connectors")]
    levels = [logger.level for logger in loggers]
    yield where
    for logger, level in zip(loggers, levels, strict=True):  # a test applies the levels of host.yaml
        logger.setLevel(level)


def _during(app: HostApp, check: object) -> object:
    async def life() -> object:
        async with app.router.lifespan_context(app):
            return check() if callable(check) else None

    return asyncio.run(life())


def test_the_single_role_writes_the_run_files_while_serving(home: Home) -> None:
    app = Host(home, QUIET, served_at=SERVED_AT).app()
    assert _during(app, lambda: (read_pid(home), state_path(home).exists())) == (os.getpid(), True)
    assert not pid_path(home).exists()


def test_the_embedded_role_writes_no_run_files(home: Home) -> None:
    app = Host(home, EMBEDDED, served_at=SERVED_AT).app()
    assert _during(app, lambda: pid_path(home).exists()) is False


def test_of_several_workers_only_the_one_holding_the_lock_writes_the_run_files_naming_the_supervisor(
    home: Home,
) -> None:
    quiet_worker = Role("test-worker", logging=False, run_files=True, shared=True, tunes_gc=False)
    first = Host(home, quiet_worker, served_at=SERVED_AT).app()
    second = Host(home, quiet_worker, served_at=SERVED_AT).app()  # the lock is taken: no run files

    async def both() -> tuple[int | None, int | None]:
        async with second.router.lifespan_context(second):
            without = read_pid(home)
            async with first.router.lifespan_context(first):
                return without, read_pid(home)

    assert asyncio.run(both()) == (None, os.getppid())


def test_housekeeping_applies_a_saved_level_and_a_changed_connector_file(home: Home) -> None:
    host = Host(home, QUIET, served_at=SERVED_AT)
    app = host.app()
    runtime = host.runtime
    assert runtime is not None

    async def life() -> tuple[int, bool]:
        async with app.router.lifespan_context(app):
            save_settings(home, HostSettings(log_levels=LogLevels(host=LogLevel.VERBOSE)))
            ConnectorStore(home).save(demo_connector("second", "sqlite:///demo.db"))
            os.utime(home.host_file, ns=(1, 1))  # a stamp of its own, whatever the clock's resolution
            await asyncio.sleep(2.5)  # the housekeeping passes once a second
            return logging.getLogger("ecmahost").level, "second" in runtime.connectors

    assert asyncio.run(life()) == (logging.DEBUG, True)

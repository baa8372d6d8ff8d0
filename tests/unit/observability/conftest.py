"""Fixtures for the observability tests: a home folder and logging that is always taken down again."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ecmahost.home import Home
from ecmahost.observability.log_setup import LoggingSetup, configure_logging
from ecmahost.settings import HostSettings


@pytest.fixture
def home(tmp_path: Path) -> Home:
    where = Home(tmp_path / "home")
    where.ensure()
    return where


@pytest.fixture
def logging_for(home: Home) -> Iterator[Callable[[HostSettings], LoggingSetup]]:
    setups: list[LoggingSetup] = []

    def configure(settings: HostSettings) -> LoggingSetup:
        setup = configure_logging(home, settings, console=False)
        setups.append(setup)
        return setup

    yield configure
    for setup in setups:
        setup.close()

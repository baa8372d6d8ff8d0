"""`ecmahost log-level [--source host|connectors] [LEVEL]`: show or change the log levels, live.

The level is saved in `host.yaml` (so it persists); a running host notices the change within about a second
(`observability.monitor`) and the command waits for the host's `run/state.json` to confirm it.
"""

from __future__ import annotations

import time
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from ecmahost.cli.common import HomeOption, open_home, reported_errors, say, warn
from ecmahost.settings import LogLevel

# Apart from `LogLevel` (in the command's signature; `serve` loads `settings` anyway), the layers below are
# imported inside the functions: every `ecmahost` run, `serve` too, imports all CLI modules first, so a
# module-level import here delays the host's start.
if TYPE_CHECKING:
    from ecmahost.home import Home
    from ecmahost.settings import LogLevels

CONFIRM_SECONDS = 5.0


class Source(StrEnum):
    HOST = "host"
    CONNECTORS = "connectors"
    BOTH = "both"


def _wait_for_host(home: Home, wanted: LogLevels) -> bool:
    """Whether the running host reports `wanted` within `CONFIRM_SECONDS`."""
    from ecmahost.observability.run_files import read_state

    expected = {"host": wanted.host.value, "connectors": wanted.connectors.value}
    deadline = time.monotonic() + CONFIRM_SECONDS
    while time.monotonic() < deadline:
        state = read_state(home) or {}
        if state.get("log_levels") == expected:
            return True
        time.sleep(0.2)
    return False


def log_level_command(
    level: Annotated[
        LogLevel | None,
        typer.Argument(
            case_sensitive=False, help="Off, Error, Warning, Information or Verbose. Omit to show the levels."
        ),
    ] = None,
    source: Annotated[
        Source, typer.Option("--source", help="Which log source to change: host, connectors, or both.")
    ] = Source.BOTH,
    home: HomeOption = None,
) -> None:
    """Show or change the log levels (default Error). A running host applies a change without a restart."""
    from ecmahost.observability.run_files import running_pid
    from ecmahost.settings import LogLevels, load_settings, save_settings

    with reported_errors():
        where = open_home(home)
        settings = load_settings(where)
        current = settings.log_levels
        if level is None:
            say(f"host: {current.host.value}")
            say(f"connectors: {current.connectors.value}")
            return
        wanted = LogLevels(
            host=level if source in (Source.HOST, Source.BOTH) else current.host,
            connectors=level if source in (Source.CONNECTORS, Source.BOTH) else current.connectors,
        )
        save_settings(where, settings.model_copy(update={"log_levels": wanted}))
    say(f"Saved in {where.host_file}: host={wanted.host.value}, connectors={wanted.connectors.value}")
    pid = running_pid(where)
    if pid is None:
        say("The host is not running; it will use these levels when it starts.")
    elif _wait_for_host(where, wanted):
        say(f"Applied to the running host (pid {pid}) without a restart.")
    else:
        warn(f"the running host (pid {pid}) has not confirmed the change yet; see `ecmahost logs --level Error`")
    if LogLevel.VERBOSE in (wanted.host, wanted.connectors):
        warn("Verbose logs request and response bodies (secrets masked); set the level back when done")

"""`ecmahost logs [--connector X] [--level L] [--lines N] [--follow]`: read the host's log files.

Prints the last entries of `<home>/logs/ecmahost.log` and its rotated copies, filtered by connector and minimum
level; `--follow` then keeps printing new entries as the host writes them (Ctrl+C to stop). Entries are printed
as written (already redacted by the host).
"""

from __future__ import annotations

from collections import deque
from typing import Annotated

import typer

from ecmahost.cli.common import HomeOption, open_home, reported_errors, stdout, warn
from ecmahost.settings import LogLevel


def _print(text: str) -> None:
    stdout.out(text, highlight=False)


def logs_command(
    connector: Annotated[
        str | None, typer.Option("--connector", help="Only entries logged while serving this connector.")
    ] = None,
    level: Annotated[
        LogLevel,
        typer.Option("--level", case_sensitive=False, help="Minimum level: Verbose, Information, Warning, Error."),
    ] = LogLevel.VERBOSE,
    lines: Annotated[int, typer.Option("--lines", "-n", min=0, help="How many of the last entries to show.")] = 50,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new entries (Ctrl+C to stop).")] = False,
    home: HomeOption = None,
) -> None:
    """Show the host's logs (newest last), optionally filtered, optionally following new entries."""
    # Imported here: every `ecmahost` run, `serve` too, imports all CLI modules first (delays the host's start).
    from ecmahost.observability.log_reader import filter_live, follow_lines, log_files, read_entries
    from ecmahost.observability.log_setup import LOG_FILE_NAME

    with reported_errors():
        where = open_home(home)
        if not log_files(where):
            warn(
                f"no log file in {where.logs_dir} yet: start the host (`ecmahost serve`); at the default level "
                "(Error) only errors are logged, raise it with `ecmahost log-level Information`"
            )
            if not follow:
                raise typer.Exit(0)
        last = deque((entry for entry in read_entries(where) if entry.matches(connector, level)), maxlen=lines)
        for entry in last:
            _print(entry.text)
        if follow:
            try:
                for line in filter_live(follow_lines(where.logs_dir / LOG_FILE_NAME), connector, level):
                    _print(line)
            except KeyboardInterrupt:
                raise typer.Exit(0) from None

"""What every CLI module shares: the `--home` option, the two consoles, and turning errors into exit codes.

Conventions: data (tables, files, a generated token) goes to stdout; warnings and errors go to stderr. Exit
codes: 0 success, 1 the command failed (message on stderr), 2 wrong usage (Typer's own). Messages are printed
without Rich markup, so a value such as `emails[type eq "work"]` shows as written.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.text import Text

# The CLI imports the layers below inside the functions that use them: every `ecmahost` run, `serve` too,
# imports all CLI modules first, so a module-level import here delays the host's start.
if TYPE_CHECKING:
    from ecmahost.home import Home

HomeOption = Annotated[
    Path | None,
    typer.Option(
        "--home",
        help="Home folder of the host (default: $ECMAHOST_HOME, else ~/.ecmahost).",
        file_okay=False,
        show_default=False,
    ),
]

stdout = Console(highlight=False, soft_wrap=True)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)


def open_home(option: Path | None) -> Home:
    from ecmahost.home import Home

    return Home.resolve(option)


def say(message: str) -> None:
    stdout.print(Text(message))


def warn(message: str) -> None:
    stderr.print(Text("warning: ", style="bold yellow") + Text(message))


def fail(message: str, code: int = 1) -> NoReturn:
    stderr.print(Text("error: ", style="bold red") + Text(message))
    raise typer.Exit(code)


@contextmanager
def reported_errors() -> Iterator[None]:
    """Turn the project's known errors into a message on stderr and exit code 1; anything else propagates."""
    from ecmahost.config.errors import ConfigError
    from ecmahost.config.tokens import InvalidToken
    from ecmahost.tls import TlsError

    try:
        yield
    except (ConfigError, TlsError, InvalidToken) as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": "))

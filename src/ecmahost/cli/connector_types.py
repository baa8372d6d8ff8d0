"""`ecmahost connector types`: the installed connector types (entry point group `ecmahost.connectors`), each with
its version, the package that provides it and its description. A type that fails to load is listed with its
error instead of hiding the others. It lists; it does not configure or connect.
"""

from __future__ import annotations

from ecmahost.cli.common import fail, stdout

# The connector layer is imported inside the command: every `ecmahost` run, `serve` too, imports all CLI modules
# first, so a module-level import here delays the host's start.


def types_command() -> None:
    """List the installed connector types with their versions and the package providing each."""
    from importlib.metadata import entry_points

    from rich.table import Table

    from ecmahost.connectors.base import Connector
    from ecmahost.connectors.kit import CONNECTOR_API_VERSION
    from ecmahost.connectors.registry import ENTRY_POINT_GROUP

    found = sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda entry: entry.name)
    if not found:
        fail(f"no connector types installed (entry point group {ENTRY_POINT_GROUP})")
    table = Table(title=f"Connector types (connector API {CONNECTOR_API_VERSION})")
    for column in ("Type", "Version", "Package", "Description"):
        table.add_column(column, no_wrap=column != "Description")
    for entry in found:
        package = f"{entry.dist.name} {entry.dist.version}" if entry.dist is not None else "?"
        try:
            cls = entry.load()
        except Exception as exc:  # a broken plugin is shown, not fatal
            table.add_row(entry.name, "?", package, f"cannot be loaded: {type(exc).__name__}: {exc}")
            continue
        if not (isinstance(cls, type) and issubclass(cls, Connector)):
            table.add_row(entry.name, "?", package, f"{entry.value} is not a Connector subclass")
            continue
        table.add_row(entry.name, str(cls.version), package, cls.description)
    stdout.print(table)

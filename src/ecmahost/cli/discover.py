"""`ecmahost connector discover NAME`: what the connector's target holds (tables/views or object classes, their
attributes, keys and types), read from the target itself, so a configuration can be proposed rather than typed."""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING, Annotated

import typer

from ecmahost.cli.common import HomeOption, fail, open_home, reported_errors, stdout

# The store and the connectors are imported inside the command: every `ecmahost` run, `serve` too, imports all CLI
# modules first, so a module-level import here delays the host's start.
if TYPE_CHECKING:
    from ecmahost.connectors.base import Connector, DiscoveredSchema


async def _discover(connector: Connector) -> DiscoveredSchema:
    await connector.open()
    try:
        return await connector.discover()
    finally:
        await connector.close()


def discover_command(
    name: Annotated[str, typer.Argument(help="Connector name (case-sensitive).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
    home: HomeOption = None,
) -> None:
    """List what the connector's target holds, as the wizard's Schema pages show it."""
    import asyncio

    from rich.table import Table

    from ecmahost.config.store import ConnectorStore
    from ecmahost.connectors.errors import ConnectorError
    from ecmahost.connectors.registry import connector_type

    with reported_errors():
        where = open_home(home)
        config = ConnectorStore(where).load(name)
        connector = connector_type(config.type)(config, home=where.root)
        try:
            schema = asyncio.run(_discover(connector))
        except ConnectorError as exc:
            fail(f"discovery failed: {exc.detail}")
    if as_json:
        stdout.print_json(json.dumps(dataclasses.asdict(schema), default=str))
        return
    for key, value in schema.detail.items():
        stdout.print(f"{key}: {value}")
    for item in schema.object_classes:
        table = Table(title=f"{item.name} ({item.kind})", title_justify="left")
        for column in ("attribute", "type", "target type", "required", "unique", "key", "generated"):
            table.add_column(column)
        for attribute in item.attributes:
            flags = (attribute.required, attribute.unique, attribute.primary_key, attribute.generated)
            marks = ["yes" if flag else "" for flag in flags]
            table.add_row(attribute.name, attribute.type.value, attribute.detail, *marks)
        stdout.print(table)

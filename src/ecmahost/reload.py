"""Apply a changed connector file to a running host without a restart.

`apply_connector_change(runtime, home, name)` rebuilds one connector of a `HostRuntime` from its file: the new
connector is opened first, then swapped into `runtime.connectors` (the HTTP app looks connectors up per
request, so the next request uses it), then the old one is closed. A deleted file removes the connector; an
invalid file leaves the connector out and records why in `runtime.errors`, as at start-up.

`connector_watcher` does the same for changes made by another process (`ecmahost connector new/edit`, the
admin UI run as `ecmahost admin`, an editor): a `watch.Watcher` of the connector files, polled by the host's
housekeeping task (`ecmahost.host`); this module does not start it by itself.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ecmahost.config.errors import ConfigError
from ecmahost.config.store import ConnectorStore
from ecmahost.home import Home
from ecmahost.runtime import HostRuntime
from ecmahost.watch import Watcher

logger = logging.getLogger(__name__)


async def apply_connector_change(runtime: HostRuntime, home: Home, name: str) -> str:
    """Reload connector `name` into `runtime`; returns what happened (`reloaded`, `removed`, `invalid: ...`)."""
    store = ConnectorStore(home)
    old = runtime.connectors.get(name)
    if not store.exists(name):
        runtime.connectors.pop(name, None)
        runtime.errors.pop(name, None)
        outcome = "removed"
    else:
        try:
            config = store.load(name)
        except ConfigError as exc:
            runtime.connectors.pop(name, None)
            runtime.errors[name] = str(exc)
            outcome = f"invalid: {exc}"
        else:
            fresh = HostRuntime.build(runtime.home, {name: config})
            if name in fresh.errors:
                runtime.connectors.pop(name, None)
                runtime.errors[name] = fresh.errors[name]
                outcome = f"invalid: {fresh.errors[name]}"
            else:
                item = fresh.connectors[name]
                await item.connector.open()
                runtime.connectors[name] = item
                runtime.verify_soon(item)
                runtime.errors.pop(name, None)
                outcome = "reloaded"
    if old is not None and runtime.connectors.get(name) is not old:
        try:
            await old.connector.close()
        except Exception:
            logger.exception("closing the previous instance of connector %s failed", name)
    logger.info("connector %s %s", name, outcome.split(":")[0])
    return outcome


def connector_files(home: Home) -> list[Path]:
    folder: Path = home.connectors_dir
    return [path for path in folder.glob("*.yaml") if path.is_file()] if folder.is_dir() else []


def connector_watcher(runtime: HostRuntime, home: Home) -> Watcher:
    """A `Watcher` of `connectors/*.yaml` that applies each changed, new or deleted file to `runtime`."""

    async def apply(changed: list[Path]) -> None:
        for name in sorted({path.stem for path in changed}):
            try:
                await apply_connector_change(runtime, home, name)
            except Exception:  # one file must not stop the others
                logger.exception("applying the change of connector %s failed", name)

    return Watcher(lambda: connector_files(home), apply)

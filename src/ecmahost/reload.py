"""Apply a changed connector file to a running host without a restart.

`apply_connector_change(runtime, home, name)` rebuilds one connector of a `HostRuntime` from its file: the new
connector is opened first, then swapped into `runtime.connectors` (the HTTP app looks connectors up per
request, so the next request uses it), then the old one is closed. A deleted file removes the connector; an
invalid file leaves the connector out and records why in `runtime.errors`, as at start-up.

`ConnectorFileWatcher` does the same for changes made by another process (`ecmahost connector new/edit`, the
admin UI run as `ecmahost admin`, an editor): it compares the files' modification times each `interval`
seconds. The host wires it in its lifespan; this module does not start it by itself.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from ecmahost.config.errors import ConfigError
from ecmahost.config.store import ConnectorStore
from ecmahost.home import Home
from ecmahost.runtime import HostRuntime

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


def _stamps(home: Home) -> dict[str, float]:
    folder: Path = home.connectors_dir
    if not folder.is_dir():
        return {}
    return {path.stem: path.stat().st_mtime for path in folder.glob("*.yaml") if path.is_file()}


class ConnectorFileWatcher:
    """Polls `connectors/*.yaml` and applies each changed, new or deleted file to the runtime."""

    def __init__(self, runtime: HostRuntime, home: Home, interval: float = 2.0) -> None:
        self.runtime = runtime
        self.home = home
        self.interval = interval
        self._seen = _stamps(home)

    async def poll_once(self) -> list[str]:
        """Apply every change since the last poll; returns the connector names applied."""
        now = _stamps(self.home)
        changed = [name for name in now.keys() | self._seen.keys() if now.get(name) != self._seen.get(name)]
        self._seen = now
        for name in sorted(changed):
            try:
                await apply_connector_change(self.runtime, self.home, name)
            except Exception:  # one file must not stop the watcher
                logger.exception("applying the change of connector %s failed", name)
        return sorted(changed)

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            await self.poll_once()

"""What the supervisor of `ecmahost serve --workers N` loads before it forks its workers (see `ecmahost.server`):
importing this module imports the app, and `preload` the configured connector types, so the forked workers start
with them loaded and share their memory pages. Each worker then builds its own `Host` (`server.serve_worker`).
"""

from __future__ import annotations

import contextlib

from ecmahost.config.store import ConnectorStore
from ecmahost.connectors.registry import connector_type
from ecmahost.home import Home
from ecmahost.http import app as _app  # noqa: F401 - loaded here so that the forked workers share it


def preload(home: Home) -> None:
    """Import, in the supervisor that forks the workers, what they will need: this module (the app) and the
    connector type named in each connector file (the file parsed, not validated). Imports only: no runtime,
    connection, event loop or thread is created here, since the forked workers would share it. A file or a type
    that does not load is skipped: each worker reports it when it builds its runtime, as without a preload."""
    store = ConnectorStore(home)
    for name in store.list():
        with contextlib.suppress(Exception):
            kind = store.read_raw(name).get("type")
            if isinstance(kind, str):
                connector_type(kind)

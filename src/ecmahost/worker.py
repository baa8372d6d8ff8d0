"""One worker process of `ecmahost serve --workers N` (see `ecmahost.server`), forked by the supervisor.

`serve_worker` builds the worker's `Host` in the `WORKER` role (its own logging, runtime, connectors and TLS
context) and serves the socket the supervisor bound. `preload` runs in the supervisor before it forks: importing
this module imports the app, so the forked workers start with it loaded.
"""

from __future__ import annotations

import contextlib
import socket

from ecmahost.config.store import ConnectorStore
from ecmahost.connectors.registry import connector_type
from ecmahost.home import Home
from ecmahost.host import WORKER, Host
from ecmahost.http import app as _app  # noqa: F401 - loaded here so that the forked workers share it
from ecmahost.server import ServeOptions, run_server


def serve_worker(home: Home, options: ServeOptions, sockets: list[socket.socket]) -> None:
    """Serve `sockets` as one worker until the supervisor stops it."""
    host = Host(home, WORKER, served_at=options.served_at)
    try:
        run_server(host, options, sockets)
    finally:
        host.close()


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

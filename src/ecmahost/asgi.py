"""An ASGI application factory for running the host under any ASGI server, e.g. several uvicorn workers:

    ECMAHOST_HOME=/srv/ecmahost uvicorn ecmahost.asgi:create_app_from_home --factory --workers 2 \
        --ssl-certfile /srv/ecmahost/certs/host.crt --ssl-keyfile /srv/ecmahost/certs/host.key --port 8585

Each worker process calls the factory, so each one builds a `Host` in the `ASGI` role for the home folder
(`$ECMAHOST_HOME`, else `~/.ecmahost`): logging from `host.yaml` as `ecmahost serve` sets it up, its own
connectors, connector files followed. It does not configure TLS or ports (the ASGI server's command line does) and
writes no run files and follows no log-level change (`ecmahost serve --workers N` does: prefer it).
"""

from __future__ import annotations

from ecmahost.home import Home
from ecmahost.host import ASGI, Host
from ecmahost.http.app import HostApp


def create_app_from_home() -> HostApp:
    """The host's ASGI app for the home folder named by `$ECMAHOST_HOME` (else `~/.ecmahost`)."""
    return Host(Home.resolve(), ASGI).app()

"""An ASGI application factory for running the host under any ASGI server, e.g. several uvicorn workers:

    ECMAHOST_HOME=/srv/ecmahost uvicorn ecmahost.asgi:create_app_from_home --factory --workers 2 \
        --ssl-certfile /srv/ecmahost/certs/host.crt --ssl-keyfile /srv/ecmahost/certs/host.key --port 8585

Each worker process calls the factory, so each one loads the home folder (`$ECMAHOST_HOME`, else
`~/.ecmahost`), sets up logging from `host.yaml` as `ecmahost serve` does, and opens its own connectors. It does
not configure TLS or ports (the ASGI server's command line does) and does not run the host monitor
(`run/host.pid`, live log-level changes), which belongs to `ecmahost serve` (`--workers N` runs several workers
with the monitor: prefer it).
"""

from __future__ import annotations

from ecmahost.home import Home
from ecmahost.http.app import HostApp, create_app
from ecmahost.observability.log_setup import configure_logging
from ecmahost.server import build_runtime
from ecmahost.settings import load_settings


def create_app_from_home() -> HostApp:
    """The host's ASGI app for the home folder named by `$ECMAHOST_HOME` (else `~/.ecmahost`)."""
    home = Home.resolve()
    settings = load_settings(home)
    configure_logging(home, settings, console=True)
    return create_app(build_runtime(home), settings)

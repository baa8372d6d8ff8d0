"""scim2-server (PyPI), in memory, as an ASGI app with a bearer token: a reference SCIM server to compare with.

`create_app()` is a factory for `uvicorn --factory`. Its data lives in the worker process, so it runs with one
worker. The token comes from `HOSTBENCH_TOKEN`.
"""

from __future__ import annotations

import os
import secrets

from scim2_models import ScimProvider, UnauthorizedException
from scim2_server.applications.asgi import ASGIApplication
from scim2_server.memory import AsyncInMemoryStorage
from scim2_server.requests import ScimRequest
from scim2_server.service import ScimService
from scim2_server.utils import (
    load_default_resource_types,
    load_default_schemas,
    load_default_service_provider_config,
)

PREFIX = "/v2"


class _BearerApp(ASGIApplication):
    token = ""

    def check_auth(self, request: ScimRequest) -> None:
        scheme, _, token = (request.header("Authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not secrets.compare_digest(token, self.token):
            raise UnauthorizedException


def create_app() -> ASGIApplication:
    provider = ScimProvider.from_discovery(
        load_default_schemas().values(),
        load_default_resource_types().values(),
        config=load_default_service_provider_config(),
    )
    app = _BearerApp(AsyncInMemoryStorage(), provider, ScimService(provider, secret=secrets.token_urlsafe(32)))
    app.token = os.environ["HOSTBENCH_TOKEN"]
    return app

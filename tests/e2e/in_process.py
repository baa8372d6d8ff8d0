"""The host in the test process: `Host(home, EMBEDDED, runtime=...).app()` serving the demo connector file's object
types on `kit.MemoryConnector`, its lifespan running on an event loop in a thread, and sync `httpx.Client`s whose
transport hands each request to `httpx.ASGITransport` on that loop. No port, no TLS, no subprocess, no database:
the same requests as against a served host, answered in milliseconds. (The served host runs the same tests on
SQLite, PostgreSQL and MariaDB over HTTPS.)"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, TypeVar

import httpx

from ecmahost.config.tokens import hash_token
from ecmahost.demo import demo_connector
from ecmahost.home import Home
from ecmahost.host import EMBEDDED, Host
from ecmahost.kit import MemoryConnector
from ecmahost.runtime import HostRuntime

from e2e_host import TOKEN

T = TypeVar("T")
CALL_SECONDS = 30


class InProcessHost:
    """The demo connector's object types in memory, served in this process; `client()` as `RunningHost.client()`."""

    def __init__(self, home: Path, name: str = "demo") -> None:
        config = MemoryConnector.config_like({**demo_connector(name), "token": {"hash": hash_token(TOKEN)}})
        runtime = HostRuntime.build(home, {name: config}, types={MemoryConnector.type_name: MemoryConnector})
        self.name = name
        self.app = Host(Home(home), EMBEDDED, runtime=runtime).app()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="in-process-host", daemon=True)
        self.thread.start()
        self.lifespan: AbstractAsyncContextManager[Any] = self.app.router.lifespan_context(self.app)
        self.run(self.lifespan.__aenter__())

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(CALL_SECONDS)

    def client(self, token: str | None = TOKEN) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        base = f"https://localhost/ecma2host_{self.name}/scim"
        return httpx.Client(transport=LoopTransport(self), base_url=base, headers=headers)

    def stop(self) -> None:
        self.run(self.lifespan.__aexit__(None, None, None))
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(CALL_SECONDS)
        self.loop.close()


class LoopTransport(httpx.BaseTransport):
    """A sync transport over `httpx.ASGITransport`, run on the host's loop."""

    def __init__(self, host: InProcessHost) -> None:
        self.host = host
        self.asgi = httpx.ASGITransport(app=host.app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.host.run(self._send(request))

    async def _send(self, request: httpx.Request) -> httpx.Response:
        forwarded = httpx.Request(request.method, request.url, headers=request.headers, content=request.read())
        response = await self.asgi.handle_async_request(forwarded)
        body = await response.aread()
        return httpx.Response(response.status_code, headers=response.headers, content=body, request=request)

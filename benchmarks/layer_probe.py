"""CPU per request at each layer of the host, in one process, against a seeded PostgreSQL table.

    .venv/bin/python -m benchmarks.layer_probe [--size 20000] [--calls 3000]

Calls each layer sequentially (no concurrency, no network client, no TLS) and prints CPU microseconds per call:
the raw asyncpg query the connector should boil down to, the connector, the provisioning service, and the
whole ASGI app (routing, token, guards, observer, response). The differences between lines are what each layer
costs. Process CPU time only: PostgreSQL's own work is not counted, so the figures hold on a busy machine.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import secrets
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import orjson
from benchmarks.hostbench import seed
from benchmarks.hostbench.servers import CONNECTOR, prepare_home
from sqlalchemy.engine import make_url

from ecmahost.connectors.query import SearchQuery
from ecmahost.host import EMBEDDED, Host, build_runtime
from ecmahost.scim.filter_parser import parse_filter

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE = f"ecmahost_probe_{os.getpid()}"  # its own per run: a concurrent probe must not drop it


async def _cpu_per_call(name: str, calls: int, call: Callable[[int], Awaitable[Any]]) -> float:
    for i in range(min(200, calls)):
        await call(i)
    rounds, per_round, best = 7, max(calls // 7, 1), float("inf")
    for _ in range(rounds):  # the best round: what the code costs, without the machine's other work
        started = time.process_time()
        for i in range(per_round):
            await call(i)
        best = min(best, (time.process_time() - started) / per_round * 1e6)
    print(f"  {name:<44} {best:8.1f} us CPU per call (best of {rounds} rounds of {per_round})")
    return best


class AsgiClient:
    """Drives the ASGI app directly: one request, the whole response collected. Written out rather than httpx's
    ASGITransport, whose own request and response building would be counted in every figure."""

    def __init__(self, app: Any, token: str) -> None:
        self.app = app
        self.headers = [
            (b"host", b"localhost:8585"),
            (b"authorization", f"Bearer {token}".encode()),
            (b"content-type", b"application/scim+json"),
        ]

    async def request(self, method: str, path: str, query: bytes = b"", body: bytes = b"") -> tuple[int, bytes]:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "https",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": query,
            "headers": [*self.headers, (b"content-length", str(len(body)).encode())],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8585),
            "state": {},
        }
        sent = False
        status, chunks = 0, []

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                await asyncio.sleep(3600)
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            else:
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return status, b"".join(chunks)


async def probe(size: int, calls: int) -> None:
    url = seed.database_url(ADMIN_URL, DATABASE)
    seed.recreate_database(ADMIN_URL, DATABASE)
    try:
        seed.create_tables(url)
        seed.seed(url, size)
        token = secrets.token_urlsafe(24)
        with tempfile.TemporaryDirectory() as folder:
            home = prepare_home(Path(folder), url, token)
            await _layers(home, url, token, size, calls)
    finally:
        seed.drop_database(ADMIN_URL, DATABASE)


async def _layers(home: Any, url: str, token: str, size: int, calls: int) -> None:
    runtime = build_runtime(home)
    app = Host(home, EMBEDDED, runtime=runtime).app()
    item = runtime.connectors[CONNECTOR]
    await runtime.start()
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
    client = AsgiClient(app, token)
    base = f"https://localhost:8585/ecma2host_{CONNECTOR}/scim"
    prefix = f"/ecma2host_{CONNECTOR}/scim"

    def login(i: int) -> str:
        return f"user{random.randrange(size)}@contoso.com"

    sql = 'SELECT * FROM "Employees" WHERE lower("ContosoLogin") = lower($1) LIMIT 100'
    translate = item.service.translators["User"].translate
    print("GET filter userName eq (one user found):")
    await _cpu_per_call("raw asyncpg fetch", calls, lambda i: pool.fetch(sql, login(i)))
    await _cpu_per_call(
        "connector.search",
        calls,
        lambda i: item.connector.search(
            "User", SearchQuery(translate(parse_filter(f'userName eq "{login(i)}"')), None, 0, 100)
        ),
    )
    await _cpu_per_call(
        "service.search",
        calls,
        lambda i: item.service.search("User", {"filter": f'userName eq "{login(i)}"'}, base),
    )

    async def asgi_get(i: int) -> None:
        query = f"filter=userName%20eq%20%22{login(i)}%22".encode()
        status, body = await client.request("GET", f"{prefix}/Users", query)
        assert status == 200, body[:300]
        assert b'"totalResults":1' in body, body[:300]

    await _cpu_per_call("ASGI app", calls, asgi_get)

    print("POST /Users:")
    tag = secrets.token_hex(4)
    serial = itertools.count()

    async def asgi_post(_: int) -> None:
        i = next(serial)
        user = {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": f"probe-{tag}-{i}@contoso.com",
            "active": True,
            "displayName": f"Probe {i}",
            "name": {"givenName": "Probe", "familyName": f"User{i}"},
            "emails": [{"type": "work", "value": f"probe-{tag}-{i}@contoso.com", "primary": True}],
        }
        status, body = await client.request("POST", f"{prefix}/Users", body=orjson.dumps(user))
        assert status == 201, body[:300]

    await _cpu_per_call("ASGI app", calls, asgi_post)

    print("PATCH 3 attributes:")

    async def asgi_patch(i: int) -> None:
        anchor = seed.user_id(random.randrange(size))
        patch = {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [
                {"op": "Replace", "path": "title", "value": f"T{i}"},
                {"op": "Replace", "path": "name.familyName", "value": f"F{i}"},
                {
                    "op": "Replace",
                    "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
                    "value": f"D{i}",
                },
            ],
        }
        status, body = await client.request("PATCH", f"{prefix}/Users/{anchor}", body=orjson.dumps(patch))
        assert status == 200, body[:300]

    await _cpu_per_call("ASGI app", calls, asgi_patch)
    await pool.close()
    await runtime.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=20_000)
    parser.add_argument("--calls", type=int, default=3_000)
    args = parser.parse_args()
    import uvloop

    uvloop.run(probe(args.size, args.calls))


if __name__ == "__main__":
    main()

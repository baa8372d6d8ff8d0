"""Cost of the activity journal per SCIM request: what the request pays, and what the writer thread spends.

    .venv/bin/python -m benchmarks.activity_cost [--records 20000]

Three realistic operations (Entra's matching GET, its create POST, a three-attribute PATCH) go through
`ActivityJournal.record` (the request path's whole share: an append to a bounded deque), then through the writer's
step (`RecordBuilder.row` and a batched `INSERT` into a WAL SQLite file in a temporary folder), timed apart.
CPU microseconds per record, best of 5 rounds; the writer's figure is spent on its own thread, off the request's
latency but on the same interpreter. Figures only, nothing is asserted.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from ecmahost.observability import activity_store as store
from ecmahost.observability.activity import ActivityJournal, RecordBuilder

BASE = "/ecma2host_bench/scim"
USER = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "externalId": "6c4b1a2e-8f7d-4c1b-9d5e-1f2a3b4c5d6e",
    "userName": "probe@contoso.com",
    "active": True,
    "displayName": "Probe User",
    "name": {"givenName": "Probe", "familyName": "User"},
    "emails": [{"type": "work", "value": "probe@contoso.com", "primary": True}],
}
CREATED = orjson.dumps({**USER, "id": "9f8e7d6c", "meta": {"resourceType": "User", "version": 'W/"1"'}})
PATCH = {
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [
        {"op": "Replace", "path": "title", "value": "T"},
        {"op": "Replace", "path": "name.familyName", "value": "F"},
        {
            "op": "Replace",
            "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
            "value": "D",
        },
    ],
}
OPERATIONS: dict[str, tuple[Any, ...]] = {
    "GET filter": ("search", "GET", f"{BASE}/Users?filter=userName%20eq%20%22probe%40contoso.com%22", 200, None,
                   b'{"totalResults":1,"Resources":[]}'),
    "POST": ("create", "POST", f"{BASE}/Users", 201, USER, CREATED),
    "PATCH": ("patch", "PATCH", f"{BASE}/Users/9f8e7d6c", 200, PATCH, CREATED),
}  # fmt: skip


def _best(rounds: int, run: Any) -> float:
    best = float("inf")
    for _ in range(rounds):
        best = min(best, run())
    return best


def measure(name: str, operation: tuple[Any, ...], records: int, folder: Path) -> None:
    verb, method, target, status, body, response = operation
    journal = ActivityJournal(folder / f"{verb}.db", retention_days=30, max_megabytes=200)
    connection = store.connect(journal.path)
    builder = RecordBuilder()

    def request_path() -> float:
        journal.waiting.clear()
        started = time.process_time()
        for i in range(records):
            journal.record("bench", verb, method, target, status, 0.001, str(i), body, response, False)
        return (time.process_time() - started) / records * 1e6

    def writer() -> float:
        batch = 500  # about what waits after one flush interval at 1,000 requests per second
        started = time.process_time()
        for _ in range(records // batch):
            for i in range(batch):
                journal.record("bench", verb, method, target, status, 0.001, str(i), body, response, False)
            journal.flush_now(connection, builder)
        spent = time.process_time() - started
        return spent / (records // batch * batch) * 1e6

    on_request = _best(5, request_path)
    journal.waiting.clear()
    in_writer = _best(5, writer) - on_request
    print(f"  {name:<12} request path {on_request:6.2f} us   writer thread {in_writer:6.1f} us CPU per record")
    connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for name, operation in OPERATIONS.items():
            measure(name, operation, args.records, Path(folder))


if __name__ == "__main__":
    main()

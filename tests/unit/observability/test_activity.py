"""The activity journal: what a record holds (identifiers and names, never a secret or a value below Verbose),
batching through the writer, the bounded queue, retention and the size cap."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import orjson
import pytest

from ecmahost.observability import activity_store as store
from ecmahost.observability.activity import (
    MAX_WAITING,
    ActivityJournal,
    RecordBuilder,
    changed_attributes,
    open_journal,
)
from ecmahost.settings import ActivitySettings

BASE = "/ecma2host_demo/scim"
SECRET = "Sup3r-Secret-Pa55"
TITLE = "Chief-Value-Officer"


def _journal(tmp_path: Path, **kwargs: float) -> ActivityJournal:
    return ActivityJournal(tmp_path / "activity" / "activity.db", retention_days=30, max_megabytes=50, **kwargs)


def _create(journal: ActivityJournal, login: str, request_id: str, *, verbose: bool = False, status: int = 201) -> None:
    body = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": login,
        "externalId": f"ext-{login}",
        "title": TITLE,
        "password": SECRET,
        "phoneNumbers": None,
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Sales", "manager": None},
    }
    response = {"id": f"id-{login}", "userName": login, "externalId": f"ext-{login}", "title": TITLE}
    if status >= 400:
        response = {"status": str(status), "scimType": "uniqueness", "detail": f"userName {login} is taken"}
    journal.record("demo", "create", "POST", f"{BASE}/Users", status, 0.004, request_id, body,
                   orjson.dumps(response), verbose)  # fmt: skip


def _rows(journal: ActivityJournal) -> list[dict[str, object]]:
    connection = store.connect(journal.path)
    try:
        journal.flush_now(connection, RecordBuilder())
        return store.search(connection, store.Query(limit=1000))
    finally:
        connection.close()


def test_a_create_is_recorded_with_identifiers_and_attribute_names_but_no_value(tmp_path: Path) -> None:
    journal = _journal(tmp_path)
    _create(journal, "alice", "r1")
    [row] = _rows(journal)
    assert row["connector"] == "demo"
    assert row["object_type"] == "User"
    assert row["verb"] == "create"
    assert (row["user_name"], row["external_id"], row["resource_id"]) == ("alice", "ext-alice", "id-alice")
    assert row["attributes"] == "userName, externalId, title, password, department"
    assert (row["outcome"], row["status"], row["request_id"]) == ("ok", 201, "r1")
    assert row["request_body"] is None
    assert row["response_body"] is None
    assert TITLE not in str(row)
    assert SECRET not in str(row)


def test_at_verbose_the_bodies_are_kept_with_secrets_redacted(tmp_path: Path) -> None:
    journal = _journal(tmp_path)
    _create(journal, "bob", "r2", verbose=True)
    [row] = _rows(journal)
    assert TITLE in str(row["request_body"])
    assert SECRET not in str(row)


def test_a_failed_operation_keeps_its_scim_error_type_and_detail(tmp_path: Path) -> None:
    journal = _journal(tmp_path)
    _create(journal, "carol", "r3", status=409)
    [row] = _rows(journal)
    assert (row["outcome"], row["status"], row["scim_type"]) == ("failed", 409, "uniqueness")
    assert row["detail"] == "userName carol is taken"
    assert row["resource_id"] is None


def test_a_patch_carrying_only_the_id_gets_the_identifiers_of_earlier_records(tmp_path: Path) -> None:
    journal = _journal(tmp_path)
    _create(journal, "dave", "r4")
    body = {"Operations": [{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "x@y"},
                           {"op": "replace", "value": {"active": False, "password": SECRET}}]}  # fmt: skip
    journal.record("demo", "patch", "PATCH", f"{BASE}/Users/id-dave", 204, 0.002, "r5", body, b"", False)
    rows = _rows(journal)
    assert rows[1]["user_name"] == "dave"
    assert rows[1]["resource_id"] == "id-dave"
    assert rows[1]["attributes"] == "emails.value, active, password"
    assert SECRET not in str(rows)
    assert "x@y" not in str(rows)


def test_entras_matching_query_names_the_user(tmp_path: Path) -> None:
    journal = _journal(tmp_path)
    target = f"{BASE}/Users?filter=userName+eq+%22erin%22"
    journal.record("demo", "search", "GET", target, 200, 0.001, "r6", None, b'{"totalResults":0}', False)
    [row] = _rows(journal)
    assert row["user_name"] == "erin"
    assert row["object_type"] == "User"
    assert row["attributes"] is None


def test_discovery_is_recorded_without_an_object_type(tmp_path: Path) -> None:
    journal = _journal(tmp_path)
    journal.record("demo", "discovery", "GET", f"{BASE}/Schemas", 200, 0.001, "r7", None, b"{}", False)
    [row] = _rows(journal)
    assert (row["verb"], row["object_type"], row["outcome"]) == ("discovery", None, "ok")


def test_a_full_queue_drops_and_counts_instead_of_blocking(tmp_path: Path) -> None:
    journal = _journal(tmp_path)
    for number in range(MAX_WAITING + 5):
        journal.record("demo", "get", "GET", f"{BASE}/Users/{number}", 200, 0.0, str(number), None, b"{}", False)
    assert len(journal.waiting) == MAX_WAITING
    assert journal.dropped == 5


def test_the_writer_thread_writes_in_batches_and_flushes_on_stop(tmp_path: Path) -> None:
    journal = _journal(tmp_path)
    journal.start()
    for number in range(300):
        _create(journal, f"user{number}", f"req{number}")
    journal.stop()
    assert journal.written == 300
    connection = store.connect(journal.path)
    assert len(store.search(connection, store.Query(limit=1000))) == 300
    assert store.by_request_id(connection, "req7")["user_name"] == "user7"  # type: ignore[index]
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_retention_deletes_records_older_than_the_retention(tmp_path: Path) -> None:
    connection = store.connect(tmp_path / "a.db")
    now = time.time()
    old, recent = _row(now - 10 * 86400, "old"), _row(now - 3600, "recent")
    store.insert(connection, [old, recent])
    assert store.prune(connection, retention_seconds=86400, max_bytes=10**9, now=now) == 1
    assert [row["request_id"] for row in store.search(connection, store.Query())] == ["recent"]


def test_the_size_cap_deletes_the_oldest_records(tmp_path: Path) -> None:
    connection = store.connect(tmp_path / "a.db")
    now = time.time()
    store.insert(connection, [_row(now - 1000 + i, f"r{i}", body="x" * 2000) for i in range(1000)])
    cap = 500 * 1024
    assert store.used_bytes(connection) > cap
    deleted = store.prune(connection, retention_seconds=86400, max_bytes=cap, now=now)
    assert deleted > 0
    assert store.used_bytes(connection) <= cap
    remaining = store.search(connection, store.Query(limit=2000))
    assert remaining[-1]["request_id"] == "r999", "the newest records stay"
    assert len(remaining) == 1000 - deleted


def test_user_matches_every_operation_on_the_object(tmp_path: Path) -> None:
    connection = store.connect(tmp_path / "a.db")
    now = time.time()
    create = _row(now - 5, "c", user_name="frank", resource_id="id-f")
    patch = _row(now - 4, "p", resource_id="id-f")
    other = _row(now - 3, "o", user_name="grace", resource_id="id-g")
    store.insert(connection, [create, patch, other])
    found = store.search(connection, store.Query(user="frank"))
    assert [row["request_id"] for row in found] == ["c", "p"]
    assert [row["request_id"] for row in store.search(connection, store.Query(user="id-g"))] == ["o"]


def test_the_journal_can_be_turned_off(tmp_path: Path) -> None:
    assert open_journal(tmp_path, ActivitySettings(enabled=False)) is None
    journal = open_journal(tmp_path, ActivitySettings(retention_days=2, max_megabytes=1))
    assert journal is not None
    assert journal.path == tmp_path / "activity" / "activity.db"
    assert journal.retention_seconds == 2 * 86400
    assert journal.max_bytes == 1024 * 1024


@pytest.mark.parametrize(
    ("verb", "body", "names"),
    [
        ("create", {"schemas": [], "userName": "a", "roles": [], "manager": None}, ["userName"]),
        ("replace", {"userName": "a", "title": None}, ["userName", "title"]),
        ("patch", {"Operations": [{"op": "add", "path": "members", "value": [{"value": "1"}]}]}, ["members"]),
        ("get", None, []),
    ],
)
def test_changed_attributes_are_names_only(verb: str, body: object, names: list[str]) -> None:
    assert changed_attributes(verb, body) == names


def _row(at: float, request_id: str, *, body: str | None = None, **fields: object) -> tuple[object, ...]:
    values: dict[str, object] = {
        "at": at, "connector": "demo", "object_type": "User", "verb": "get", "method": "GET", "outcome": "ok",
        "status": 200, "duration_ms": 1.0, "request_id": request_id, "request_body": body, **fields,
    }  # fmt: skip
    return tuple(values.get(column) for column in store.COLUMNS)


def test_below_verbose_a_value_echoed_in_an_error_detail_is_masked(tmp_path: Path) -> None:
    journal = _journal(tmp_path)
    response = orjson.dumps(
        {"status": "400", "scimType": "invalidValue", "detail": f"active must be a boolean, got '{TITLE}'"}
    )
    for verbose in (False, True):
        journal.record("demo", "patch", "PATCH", f"{BASE}/Users/1", 400, 0.001, f"v{verbose}", None, response, verbose)
    quiet, loud = _rows(journal)
    assert quiet["detail"] == "active must be a boolean, got '…'"
    assert TITLE in loud["detail"]


def test_a_journal_that_cannot_be_opened_queues_nothing(tmp_path: Path) -> None:
    blocker = tmp_path / "activity"
    blocker.write_text("a file where the folder should be")
    journal = _journal(tmp_path)
    journal.start()
    assert journal._thread is not None
    journal._thread.join(timeout=10)  # the writer gives up at once, leaving the request path nothing to hold
    _create(journal, "henry", "r9")
    assert len(journal.waiting) == 0
    assert journal.dropped == 1
    journal.stop()


def test_a_group_sharing_a_users_id_is_neither_named_nor_matched_as_that_user(tmp_path: Path) -> None:
    journal = _journal(tmp_path)
    _create(journal, "ivy", "u1")
    journal.record("demo", "get", "GET", f"{BASE}/Groups/id-ivy", 200, 0.001, "g1", None, b'{"id": "id-ivy"}', False)
    rows = _rows(journal)
    assert rows[1]["user_name"] is None
    connection = store.connect(journal.path)
    assert [row["request_id"] for row in store.search(connection, store.Query(user="ivy"))] == ["u1"]


def test_a_record_keeps_the_clients_address(tmp_path: Path) -> None:
    journal = _journal(tmp_path)
    journal.record("demo", "get", "GET", f"{BASE}/Users/1", 200, 0.001, "c1", None, b"{}", False, "192.0.2.7")
    journal.record("demo", "get", "GET", f"{BASE}/Users/1", 200, 0.001, "c2", None, b"{}", False)
    assert [row["client"] for row in _rows(journal)] == ["192.0.2.7", None]


def test_a_journal_written_before_the_client_column_gets_it_and_keeps_its_records(tmp_path: Path) -> None:
    path = tmp_path / "activity" / "activity.db"
    path.parent.mkdir()
    old_schema = store._SCHEMA.replace(", client TEXT", "")
    assert "client" not in old_schema
    old = sqlite3.connect(path)
    old.executescript(old_schema)
    old.execute(
        "INSERT INTO operations (at, connector, verb, method, outcome, status, duration_ms, request_id) "
        "VALUES (1, 'demo', 'get', 'GET', 'ok', 200, 1.0, 'old')"
    )
    old.commit()
    old.close()
    journal = ActivityJournal(path, retention_days=36500, max_megabytes=50)
    journal.record("demo", "get", "GET", f"{BASE}/Users/1", 200, 0.001, "new", None, b"{}", False, "192.0.2.7")
    assert [(row["request_id"], row["client"]) for row in _rows(journal)] == [("old", None), ("new", "192.0.2.7")]

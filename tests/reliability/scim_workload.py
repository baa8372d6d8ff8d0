"""The client side of the fault tests: Entra-shaped SCIM requests sent from worker threads to a host that may be
replaced (killed and restarted on a new port), with every answer recorded: what was asked, the status (or none
when the connection was cut), when, how long it took and the `Retry-After` header.

It decides nothing about correctness: the tests compare the records with the target (see target_state).
"""

from __future__ import annotations

import json
import math
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from e2e_host import RunningHost

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
FIGURES = Path(__file__).resolve().parents[2] / "test-artifacts" / "reliability"
CLIENT_TIMEOUT = 20.0
PHONES_PER_USER = 2


def user_body(login: str, title: str = "Engineer") -> dict[str, Any]:
    """Entra's create body with two phone numbers (child rows: a half-done create would show fewer)."""
    return {
        "schemas": [CORE_USER],
        "externalId": str(uuid.uuid4()),
        "userName": login,
        "active": True,
        "title": title,
        "name": {"givenName": "Fault", "familyName": "Tolerant"},
        "emails": [{"primary": True, "type": "work", "value": f"{login}@example.org"}],
        "phoneNumbers": [
            {"type": "work", "value": f"+1 555 {index:04d}", "primary": index == 0} for index in range(PHONES_PER_USER)
        ],
    }


def group_body(name: str) -> dict[str, Any]:
    return {"schemas": [CORE_GROUP], "displayName": name, "externalId": str(uuid.uuid4()), "members": []}


def patch(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


def add_members(*ids: str) -> dict[str, Any]:
    return patch({"op": "Add", "path": "members", "value": [{"value": member} for member in ids]})


def remove_members(*ids: str) -> dict[str, Any]:
    return patch({"op": "Remove", "path": "members", "value": [{"value": member} for member in ids]})


def replace_title(title: str) -> dict[str, Any]:
    return patch({"op": "Replace", "path": "title", "value": title})


@dataclass(frozen=True)
class Outcome:
    action: str
    key: str
    status: int | None
    """None: no HTTP answer (connection refused or cut, client timeout)."""
    started: float
    seconds: float
    retry_after: str | None = None
    body: dict[str, Any] | None = None

    @property
    def acknowledged(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class LiveHost:
    """The host the workers talk to; `replace()` points them at a restarted one."""

    def __init__(self, host: RunningHost) -> None:
        self._host = host
        self._lock = threading.Lock()

    @property
    def host(self) -> RunningHost:
        with self._lock:
            return self._host

    def replace(self, restart: Callable[[RunningHost], RunningHost]) -> None:
        """Workers keep sending to the old (dead) host until the new one answers."""
        restarted = restart(self.host)
        with self._lock:
            self._host = restarted


@dataclass
class Recorder:
    """Every request sent through `send`, from all threads."""

    outcomes: list[Outcome] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def send(
        self, live: LiveHost, action: str, key: str, method: str, path: str, body: dict[str, Any] | None = None
    ) -> Outcome:
        host = live.host
        started = time.monotonic()
        try:
            with host.client() as client:
                client.timeout = httpx.Timeout(CLIENT_TIMEOUT)
                response = client.request(method, path, json=body)
        except httpx.TransportError:
            outcome = Outcome(action, key, None, started, time.monotonic() - started)
        else:
            payload = response.json() if response.content else None
            outcome = Outcome(
                action,
                key,
                response.status_code,
                started,
                time.monotonic() - started,
                response.headers.get("retry-after"),
                payload if isinstance(payload, dict) else None,
            )
        with self._lock:
            self.outcomes.append(outcome)
        return outcome

    def snapshot(self) -> list[Outcome]:
        with self._lock:
            return list(self.outcomes)


def run_workers(
    worker: Callable[[int, threading.Event], None], count: int
) -> tuple[threading.Event, list[threading.Thread]]:
    """Start `count` daemon threads running `worker(index, stop)`; set the event and join them to finish."""
    stop = threading.Event()
    threads = [threading.Thread(target=worker, args=(index, stop), daemon=True) for index in range(count)]
    for thread in threads:
        thread.start()
    return stop, threads


def stop_workers(stop: threading.Event, threads: list[threading.Thread], timeout: float = 60) -> None:
    stop.set()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.1, deadline - time.monotonic()))
    assert not any(thread.is_alive() for thread in threads), "a worker is stuck: some request never returned"


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1)]


def provisioning_worker(
    live: LiveHost, recorder: Recorder, group_id: str, prefix: str
) -> Callable[[int, threading.Event], None]:
    """Entra's steady provisioning: create a user (with phone numbers), add it to the group, read it back by
    userName. A request without a 2xx is not retried: the user is left "ambiguous" for the checks."""

    def work(index: int, stop: threading.Event) -> None:
        number = 0
        while not stop.is_set():
            login = f"{prefix}-{index}-{number}"
            number += 1
            created = recorder.send(live, "create", login, "POST", "/Users", user_body(login))
            if created.status == 201 and created.body is not None:
                user_id = created.body["id"]
                recorder.send(live, "add_member", user_id, "PATCH", f"/Groups/{group_id}", add_members(user_id))
                query = f'/Users?filter=userName eq "{login}"&attributes=userName'
                recorder.send(live, "read", login, "GET", query)
            elif not created.acknowledged:
                stop.wait(0.05)

    return work


def save_figures(name: str, figures: dict[str, Any]) -> None:
    """Keep what a run measured in test-artifacts/reliability/<name>.json (git-ignored) for docs/reliability.md."""
    FIGURES.mkdir(parents=True, exist_ok=True)
    (FIGURES / f"{name}.json").write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")

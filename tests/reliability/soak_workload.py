"""The soak's clients: workers that act like Entra's provisioning service for a while, each owning its users (so
one worker alone decides their fate), retrying every request until it gets a definitive answer, and keeping a
ledger of what the host acknowledged. At the end the ledger must equal the target, row for row.

Per step a worker, at random: creates a user (Entra's matching query, then POST), changes a user's title, adds a
user to a group or removes it, reads a user back (the answer must match the ledger), or deletes a user.
A `503` or a cut connection is retried after a short pause (not the 30 s `Retry-After`, to keep the soak dense);
a retry that meets the effect of its own unanswered attempt (`409` on a POST, `404` on a DELETE) counts as done.

It injects no faults and reads nothing from the target: test_soak.py does both.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from scim_workload import (
    LiveHost,
    Outcome,
    Recorder,
    add_members,
    remove_members,
    replace_title,
    user_body,
)

RETRY_PAUSE = 0.2
GIVE_UP_SECONDS = 90.0
"""An operation still without a definitive answer after this long means the host did not recover."""


class NoRecovery(AssertionError):
    pass


@dataclass
class Ledger:
    """What the host acknowledged to one worker."""

    users: dict[str, str] = field(default_factory=dict)
    """login -> id of every user that exists (created and not deleted)."""
    titles: dict[str, str] = field(default_factory=dict)
    """id -> title."""
    members: set[tuple[str, str]] = field(default_factory=set)
    """(group id, user id)."""
    deleted: set[str] = field(default_factory=set)
    """logins of users deleted (acknowledged)."""
    writes: Counter[str] = field(default_factory=Counter)
    """acknowledged writes by kind."""
    stale_reads: list[str] = field(default_factory=list)


class SoakWorker:
    def __init__(self, index: int, live: LiveHost, recorder: Recorder, groups: list[str]) -> None:
        self.index = index
        self.live = live
        self.recorder = recorder
        self.groups = groups
        self.ledger = Ledger()
        self.random = random.Random(index)
        self.created = 0
        self.failure: BaseException | None = None

    def run(self, stop: threading.Event) -> None:
        try:
            while not stop.is_set():
                self.step()
        except BaseException as exc:  # handed to the test thread, which raises it
            self.failure = exc

    def step(self) -> None:
        users = list(self.ledger.users.items())
        roll = self.random.random()
        if not users or roll < 0.3:
            self.create()
        elif roll < 0.5:
            self.retitle(self.random.choice(users)[1])
        elif roll < 0.65:
            self.join(self.random.choice(users)[1])
        elif roll < 0.75:
            self.leave(self.random.choice(users)[1])
        elif roll < 0.92:
            self.read(self.random.choice(users)[1])
        else:
            self.delete(*self.random.choice(users))

    # -- operations ---------------------------------------------------------------------------------------------

    def create(self) -> None:
        login = f"soak-{self.index}-{self.created}"
        self.created += 1
        title = f"title-{self.random.randrange(1000)}"
        self.until_definitive("match", "GET", f'/Users?filter=userName eq "{login}"&attributes=userName')
        outcome = self.until_definitive("create", "POST", "/Users", user_body(login, title))
        if outcome.status == 409 and outcome is not self.first_attempt:
            found = self.until_definitive("match", "GET", f'/Users?filter=userName eq "{login}"')
            assert found.status == 200, found.body
            assert found.body, found.body
            assert found.body["totalResults"] == 1, found.body
            user_id = found.body["Resources"][0]["id"]
            self.retitle(user_id, title, created=(login, user_id))
            return
        assert outcome.status == 201, f"create {login}: {outcome.status} {outcome.body}"
        assert outcome.body
        self.remember_user(login, outcome.body["id"], title)

    def remember_user(self, login: str, user_id: str, title: str) -> None:
        self.ledger.users[login] = user_id
        self.ledger.titles[user_id] = title
        self.ledger.writes["create"] += 1

    def retitle(self, user_id: str, title: str | None = None, created: tuple[str, str] | None = None) -> None:
        title = title or f"title-{self.random.randrange(1000)}"
        outcome = self.until_definitive("retitle", "PATCH", f"/Users/{user_id}", replace_title(title))
        assert outcome.status == 200, f"PATCH title of {user_id}: {outcome.status} {outcome.body}"
        if created is not None:
            self.remember_user(*created, title)
        else:
            self.ledger.titles[user_id] = title
            self.ledger.writes["retitle"] += 1

    def join(self, user_id: str) -> None:
        group = self.random.choice(self.groups)
        outcome = self.until_definitive("join", "PATCH", f"/Groups/{group}", add_members(user_id))
        assert outcome.status == 204, f"add {user_id} to {group}: {outcome.status} {outcome.body}"
        self.ledger.members.add((group, user_id))
        self.ledger.writes["join"] += 1

    def leave(self, user_id: str) -> None:
        mine = [group for group, member in self.ledger.members if member == user_id] or self.groups
        group = self.random.choice(sorted(mine))
        outcome = self.until_definitive("leave", "PATCH", f"/Groups/{group}", remove_members(user_id))
        assert outcome.status == 204, f"remove {user_id} from {group}: {outcome.status} {outcome.body}"
        self.ledger.members.discard((group, user_id))
        self.ledger.writes["leave"] += 1

    def read(self, user_id: str) -> None:
        outcome = self.until_definitive("read", "GET", f"/Users/{user_id}?attributes=title")
        assert outcome.status == 200, f"GET {user_id}: {outcome.status} {outcome.body}"
        assert outcome.body
        if outcome.body.get("title") != self.ledger.titles[user_id]:
            self.ledger.stale_reads.append(user_id)

    def delete(self, login: str, user_id: str) -> None:
        outcome = self.until_definitive("delete", "DELETE", f"/Users/{user_id}")
        gone = outcome.status == 204 or (outcome.status == 404 and outcome is not self.first_attempt)
        assert gone, f"DELETE {user_id}: {outcome.status} {outcome.body}"
        del self.ledger.users[login]
        del self.ledger.titles[user_id]
        self.ledger.members = {(g, m) for g, m in self.ledger.members if m != user_id}
        self.ledger.deleted.add(login)
        self.ledger.writes["delete"] += 1

    # -- retries ------------------------------------------------------------------------------------------------

    first_attempt: Outcome | None = None

    def until_definitive(self, action: str, method: str, path: str, body: dict[str, object] | None = None) -> Outcome:
        """Send until the answer is neither a 503 nor a cut connection; `first_attempt` tells whether it took one."""
        deadline = time.monotonic() + GIVE_UP_SECONDS
        self.first_attempt = None
        while True:
            outcome = self.recorder.send(self.live, action, path, method, path, body)
            if self.first_attempt is None:
                self.first_attempt = outcome
            if outcome.status is not None and outcome.status != 503:
                return outcome
            if time.monotonic() > deadline:
                raise NoRecovery(f"{method} {path}: no definitive answer within {GIVE_UP_SECONDS:g} s")
            time.sleep(RETRY_PAUSE)

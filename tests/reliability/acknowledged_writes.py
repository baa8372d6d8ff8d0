"""The guarantees a fault must not break, checked by comparing what clients were told (the recorded outcomes of
`scim_workload.provisioning_worker`) with what the target holds (`target_state`):

- every user that got `201` is in the target exactly once, under the id it was given, with all its phone rows;
- every membership acknowledged by `204` is in the target;
- a user whose create got no `2xx` is there at most once and then complete (never half-written);
- no user row lacks phone rows, no child or membership row is orphaned;
- a read that got `200` found the user it had just created.

It does not judge latencies or status codes during outages: the tests do that, since each fault has its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from scim_workload import PHONES_PER_USER, Outcome
from target_state import TargetState


@dataclass(frozen=True)
class WriteCounts:
    acknowledged_creates: int
    ambiguous_creates: int
    acknowledged_memberships: int
    rows: int


def assert_acknowledged_writes_kept(outcomes: list[Outcome], state: TargetState, group_id: str) -> WriteCounts:
    created = {o.key: o.body["id"] for o in outcomes if o.action == "create" and o.status == 201 and o.body}
    ambiguous = {o.key for o in outcomes if o.action == "create" and not o.acknowledged}
    lost = [login for login, user_id in created.items() if state.user_ids.get(login) != [user_id]]
    assert not lost, f"users acknowledged with 201 but missing, duplicated or under another id: {lost[:10]}"
    assert not state.duplicated_logins(), f"duplicate rows: {state.duplicated_logins()[:10]}"
    half_done = [guid for guid in state.titles if state.phone_rows[guid] != PHONES_PER_USER]
    assert not half_done, f"users with {PHONES_PER_USER} phones asked but a different number stored: {half_done[:10]}"
    assert state.orphan_phone_rows == 0, "phone rows without their user"
    assert state.orphan_member_rows == 0, "membership rows without their group or user"
    unexpected = set(state.user_ids) - set(created) - ambiguous
    assert not unexpected, f"rows for logins no client sent: {sorted(unexpected)[:10]}"
    members = {o.key for o in outcomes if o.action == "add_member" and o.status == 204}
    missing = [user_id for user_id in members if (group_id, user_id) not in state.members]
    assert not missing, f"memberships acknowledged with 204 but missing: {missing[:10]}"
    blind = [o.key for o in outcomes if o.action == "read" and o.status == 200 and o.body["totalResults"] != 1]
    assert not blind, f"reads after an acknowledged create that did not find the user: {blind[:10]}"
    return WriteCounts(len(created), len(ambiguous), len(members), len(state.titles))

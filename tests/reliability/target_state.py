"""Read the demo tables straight from the target database (sync SQLAlchemy, psycopg / PyMySQL), bypassing the
host, so a fault test can check what really got written: users (with duplicates visible), phone rows, groups,
memberships and orphan rows.

It reads only; it knows nothing of SCIM or of what the clients were told.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import column, create_engine, select, table
from sqlalchemy.engine import make_url

SYNC_DRIVERS = {"postgresql": "postgresql+psycopg", "mysql": "mysql+pymysql"}
EMPLOYEES = table("Employees", column("InternalGUID"), column("ContosoLogin"), column("Title"))
PHONES = table("EmployeePhoneNumbers", column("EmployeeGUID"))
GROUPS = table("Groups", column("GroupGUID"), column("DisplayName"))
MEMBERS = table("GroupMembers", column("GroupGUID"), column("MemberGUID"))


@dataclass
class TargetState:
    user_ids: dict[str, list[str]] = field(default_factory=dict)
    """login -> the InternalGUID of every row with that login (more than one would be a duplicate)."""
    titles: dict[str, str | None] = field(default_factory=dict)
    """InternalGUID -> Title."""
    phone_rows: Counter[str] = field(default_factory=Counter)
    """InternalGUID -> number of EmployeePhoneNumbers rows."""
    groups: dict[str, str] = field(default_factory=dict)
    """GroupGUID -> DisplayName."""
    members: set[tuple[str, str]] = field(default_factory=set)
    """(GroupGUID, MemberGUID) rows of GroupMembers."""
    orphan_phone_rows: int = 0
    orphan_member_rows: int = 0

    def user_id(self, login: str) -> str | None:
        ids = self.user_ids.get(login, [])
        return ids[0] if len(ids) == 1 else None

    def duplicated_logins(self) -> list[str]:
        return [login for login, ids in self.user_ids.items() if len(ids) > 1]


def sync_url(url: str) -> str:
    parsed = make_url(url)
    return parsed.set(drivername=SYNC_DRIVERS.get(parsed.drivername, parsed.drivername)).render_as_string(
        hide_password=False
    )


def read_target(url: str) -> TargetState:
    """One consistent look at the demo tables of the database at `url`."""
    engine = create_engine(sync_url(url))
    state = TargetState()
    try:
        with engine.connect() as conn:
            ids: defaultdict[str, list[str]] = defaultdict(list)
            for guid, login, title in conn.execute(
                select(EMPLOYEES.c.InternalGUID, EMPLOYEES.c.ContosoLogin, EMPLOYEES.c.Title)
            ):
                ids[login].append(guid)
                state.titles[guid] = title
            state.user_ids = dict(ids)
            for (guid,) in conn.execute(select(PHONES.c.EmployeeGUID)):
                state.phone_rows[guid] += 1
            state.groups = {g: name for g, name in conn.execute(select(GROUPS.c.GroupGUID, GROUPS.c.DisplayName))}
            state.members = {(g, m) for g, m in conn.execute(select(MEMBERS.c.GroupGUID, MEMBERS.c.MemberGUID))}
    finally:
        engine.dispose()
    state.orphan_phone_rows = sum(n for guid, n in state.phone_rows.items() if guid not in state.titles)
    state.orphan_member_rows = sum(
        1 for group, member in state.members if group not in state.groups or member not in state.titles
    )
    return state

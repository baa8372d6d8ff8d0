"""Contract rules for `create`, `get`, `update`, `delete` and group membership."""

from __future__ import annotations

import pytest

from ecmahost.connectors.errors import ConstraintViolation, ObjectExists, ObjectNotFound
from ecmahost.connectors.query import (
    MEMBERS,
    And,
    Any_,
    Change,
    Compare,
    Filter,
    Not,
    Op,
    Present,
    SearchQuery,
)
from ecmahost.testing.contract_base import ContractBase


class WriteRules(ContractBase):
    # -- create, get, delete ---------------------------------------------------------------------------
    async def test_create_returns_the_anchor_and_stored_values(self, contract_connector, contract_names, tag):
        c, n = contract_connector, contract_names
        created = await self._user(c, n, f"{tag}-alice", **{n.email: f"{tag}@example.com"})
        anchor = self._anchor(c, n, created)
        assert isinstance(anchor, str)
        assert anchor
        assert created[n.login] == f"{tag}-alice"
        assert created[n.email] == f"{tag}@example.com"
        fetched = await c.get(n.user, anchor)
        assert fetched[n.given_name] == "Given"

    async def test_get_returns_requested_attributes(self, contract_connector, contract_names, tag):
        c, n = contract_connector, contract_names
        anchor = self._anchor(c, n, await self._user(c, n, f"{tag}-a"))
        fetched = await c.get(n.user, anchor, frozenset({n.given_name}))
        assert fetched[n.given_name] == "Given"
        assert n.family_name not in fetched

    async def test_get_unknown_anchor_raises_object_not_found(self, contract_connector, contract_names):
        with pytest.raises(ObjectNotFound):
            await contract_connector.get(contract_names.user, "00000000-0000-0000-0000-000000000000")

    async def test_delete_removes_the_object(self, contract_connector, contract_names, tag):
        c, n = contract_connector, contract_names
        anchor = self._anchor(c, n, await self._user(c, n, f"{tag}-a"))
        await c.delete(n.user, anchor)
        with pytest.raises(ObjectNotFound):
            await c.get(n.user, anchor)
        with pytest.raises(ObjectNotFound):
            await c.delete(n.user, anchor)

    async def test_unique_violation_raises_object_exists_and_writes_nothing(
        self, contract_connector, contract_names, tag
    ):
        c, n = contract_connector, contract_names
        await self._user(c, n, f"{tag}-a")
        with pytest.raises(ObjectExists):
            await self._user(c, n, f"{tag}-a", **{n.given_name: "Second"})
        result = await c.search(n.user, SearchQuery(filter=Compare(n.login, Op.EQ, f"{tag}-a")))
        assert [r[n.given_name] for r in result.records] == ["Given"]

    async def test_missing_required_attribute_raises_constraint_violation(
        self, contract_connector, contract_names, tag
    ):
        c, n = contract_connector, contract_names
        with pytest.raises(ConstraintViolation):
            await c.create(n.user, {n.given_name: "NoLogin", n.family_name: tag})
        anchor = self._anchor(c, n, await self._user(c, n, f"{tag}-a"))
        with pytest.raises(ConstraintViolation):
            await c.update(n.user, anchor, Change(set={n.login: None}))

    # -- update ----------------------------------------------------------------------------------------
    async def test_update_sets_and_clears_attributes(self, contract_connector, contract_names, tag):
        c, n = contract_connector, contract_names
        anchor = self._anchor(c, n, await self._user(c, n, f"{tag}-a", **{n.email: "a@example.com"}))
        returned = await c.update(n.user, anchor, Change(set={n.given_name: "Changed", n.email: None}))
        fetched = await c.get(n.user, anchor)
        assert fetched[n.given_name] == "Changed"
        assert fetched.get(n.email) is None
        assert fetched[n.family_name] == "Family"
        assert returned is None or returned == fetched, "update returns None or the record as get() reads it"

    async def test_update_unknown_anchor_raises_object_not_found(self, contract_connector, contract_names, tag):
        c, n = contract_connector, contract_names
        unknown = "00000000-0000-0000-0000-000000000000"
        with pytest.raises(ObjectNotFound):
            await c.update(n.user, unknown, Change(set={n.given_name: "X"}))
        member = self._anchor(c, n, await self._user(c, n, f"{tag}-a"))
        with pytest.raises(ObjectNotFound):
            await c.update(n.group, unknown, Change(add_members=[member]))

    async def test_failed_change_leaves_attributes_unchanged(self, contract_connector, contract_names, tag):
        c, n = contract_connector, contract_names
        await self._user(c, n, f"{tag}-a")
        anchor = self._anchor(c, n, await self._user(c, n, f"{tag}-b"))
        with pytest.raises(ObjectExists):
            await c.update(n.user, anchor, Change(set={n.given_name: "Changed", n.login: f"{tag}-a"}))
        assert (await c.get(n.user, anchor))[n.given_name] == "Given"

    # -- what a replace (PUT) may clear -----------------------------------------------------------------------
    async def test_clear_rules_name_selected_attributes_other_than_the_anchor(self, contract_connector, contract_names):
        c, n = contract_connector, contract_names
        for object_type in (n.user, n.group):
            rules = await c.clear_rules(object_type)
            spec = c.config.object_types[object_type]  # type: ignore[index]
            assert rules.keep | rules.required <= set(spec.attributes) - {spec.anchor.attribute}
            assert not rules.keep & rules.required, "an attribute is either left alone or required, not both"
            assert await c.clear_rules(object_type) == rules, "worked out once: the same answer every time"

    async def test_what_clear_rules_allow_can_be_cleared_and_what_they_require_cannot(
        self, contract_connector, contract_names, tag
    ):
        c, n = contract_connector, contract_names
        rules = await c.clear_rules(n.user)
        anchor = self._anchor(c, n, await self._user(c, n, f"{tag}-a", **{n.email: f"{tag}@example.com"}))
        for name in (n.given_name, n.family_name, n.email):
            if name in rules.keep:
                continue
            if name in rules.required:
                with pytest.raises(ConstraintViolation):
                    await c.update(n.user, anchor, Change(set={name: None}))
                continue
            await c.update(n.user, anchor, Change(set={name: None}))
            assert (await c.get(n.user, anchor)).get(name) in (None, ""), f"{name} could not be cleared"

    async def test_a_replace_of_attributes_and_members_is_all_or_nothing(self, contract_connector, contract_names, tag):
        c, n = contract_connector, contract_names
        a, b = [self._anchor(c, n, await self._user(c, n, f"{tag}-{i}")) for i in "ab"]
        group = await self._group(c, n, f"{tag}-g", [a])
        await c.update(n.group, group, Change(set={n.group_name: f"{tag}-h"}, clear_members=True, add_members=[b]))
        assert await self._members(c, n, group) == {b}
        if n.members_must_exist:
            unknown = "00000000-0000-0000-0000-000000000000"
            change = Change(set={n.group_name: f"{tag}-i"}, clear_members=True, add_members=[a, unknown])
            with pytest.raises(ConstraintViolation):
                await c.update(n.group, group, change)
            assert (await c.get(n.group, group))[n.group_name] == f"{tag}-h"
            assert await self._members(c, n, group) == {b}

    async def test_complex_attribute_replace_replaces_all_elements(self, contract_connector, contract_names, tag):
        c, n = contract_connector, contract_names
        if n.complex is None:
            pytest.skip("the target has no complex attribute")
        v, t = n.complex_value, n.complex_type
        created = await self._user(c, n, f"{tag}-a", **{n.complex: [{v: "1", t: "work"}]})
        assert [(e[v], e[t]) for e in created[n.complex]] == [("1", "work")]
        anchor = self._anchor(c, n, created)
        await c.update(n.user, anchor, Change(replace={n.complex: [{v: "2", t: "home"}, {v: "3", t: "mobile"}]}))
        elements = (await c.get(n.user, anchor))[n.complex]
        assert {(e[v], e[t]) for e in elements} == {("2", "home"), ("3", "mobile")}
        await c.update(n.user, anchor, Change(replace={n.complex: []}))
        assert (await c.get(n.user, anchor)).get(n.complex) in (None, [])

    # -- members ---------------------------------------------------------------------------------------
    async def test_member_add_and_remove_are_idempotent(self, contract_connector, contract_names, tag):
        c, n = contract_connector, contract_names
        a, b, x = [self._anchor(c, n, await self._user(c, n, f"{tag}-{i}")) for i in "abx"]
        group = await self._group(c, n, f"{tag}-g", [a])
        assert await self._members(c, n, group) == {a}
        await c.update(n.group, group, Change(add_members=[a, b, b]))
        await c.update(n.group, group, Change(add_members=[a]))
        assert await self._members(c, n, group) == {a, b}
        await c.update(n.group, group, Change(remove_members=[b, x]))
        await c.update(n.group, group, Change(remove_members=[b]))
        assert await self._members(c, n, group) == {a}

    async def test_clear_members_then_add_replaces_the_member_list(self, contract_connector, contract_names, tag):
        c, n = contract_connector, contract_names
        a, b, x = [self._anchor(c, n, await self._user(c, n, f"{tag}-{i}")) for i in "abx"]
        group = await self._group(c, n, f"{tag}-g", [a, b])
        await c.update(n.group, group, Change(clear_members=True, add_members=[x]))
        assert await self._members(c, n, group) == {x}
        await c.update(n.group, group, Change(clear_members=True))
        assert await self._members(c, n, group) == set()

    async def test_members_are_returned_only_when_asked(self, contract_connector, contract_names, tag):
        c, n = contract_connector, contract_names
        a = self._anchor(c, n, await self._user(c, n, f"{tag}-a"))
        group = await self._group(c, n, f"{tag}-g", [a])
        assert MEMBERS not in await c.get(n.group, group)
        scope = Compare(n.group_name, Op.EQ, f"{tag}-g")
        plain = await c.search(n.group, SearchQuery(filter=scope))
        assert MEMBERS not in plain.records[0]
        asked = await c.search(n.group, SearchQuery(filter=scope, attributes=frozenset({n.group_name, MEMBERS})))
        assert asked.records[0][MEMBERS] == [a]

    async def test_any_on_members_finds_groups_of_a_member(self, contract_connector, contract_names, tag):
        c, n = contract_connector, contract_names
        a, b = [self._anchor(c, n, await self._user(c, n, f"{tag}-{i}")) for i in "ab"]
        await self._group(c, n, f"{tag}-g1", [a, b])
        await self._group(c, n, f"{tag}-g2", [b])
        await self._group(c, n, f"{tag}-g3")
        scope = Compare(n.group_name, Op.SW, tag)

        async def names(f: Filter) -> set[str]:
            result = await c.search(n.group, SearchQuery(filter=And((scope, f))))
            return {r[n.group_name] for r in result.records}

        assert await names(Any_(MEMBERS, Compare("value", Op.EQ, a))) == {f"{tag}-g1"}
        assert await names(Not(Any_(MEMBERS, Compare("value", Op.EQ, a)))) == {f"{tag}-g2", f"{tag}-g3"}
        assert await names(Present(MEMBERS)) == {f"{tag}-g1", f"{tag}-g2"}

    async def test_failed_membership_change_is_atomic(self, contract_connector, contract_names, tag):
        c, n = contract_connector, contract_names
        a = self._anchor(c, n, await self._user(c, n, f"{tag}-a"))
        await self._group(c, n, f"{tag}-g1")
        group = await self._group(c, n, f"{tag}-g2")
        with pytest.raises(ObjectExists):
            await c.update(n.group, group, Change(set={n.group_name: f"{tag}-g1"}, add_members=[a]))
        if n.members_must_exist:
            unknown = "00000000-0000-0000-0000-000000000000"
            with pytest.raises(ConstraintViolation):
                await c.update(n.group, group, Change(set={n.group_name: f"{tag}-g9"}, add_members=[a, unknown]))
        assert (await c.get(n.group, group))[n.group_name] == f"{tag}-g2"
        assert await self._members(c, n, group) == set()

    async def test_a_thousand_members_in_one_change(self, contract_connector, contract_names, tag):
        c, n = contract_connector, contract_names
        members = [self._anchor(c, n, await self._user(c, n, f"{tag}-{i:04}")) for i in range(1000)]
        group = await self._group(c, n, f"{tag}-big")
        await c.update(n.group, group, Change(add_members=members))
        assert await self._members(c, n, group) == set(members)
        await c.update(n.group, group, Change(add_members=members[:10], remove_members=members[500:]))
        assert await self._members(c, n, group) == set(members[:500])

    async def test_delete_removes_memberships(self, contract_connector, contract_names, tag):
        c, n = contract_connector, contract_names
        a, b = [self._anchor(c, n, await self._user(c, n, f"{tag}-{i}")) for i in "ab"]
        group = await self._group(c, n, f"{tag}-g", [a, b])
        await c.delete(n.user, a)
        assert await self._members(c, n, group) == {b}
        await c.delete(n.group, group)
        with pytest.raises(ObjectNotFound):
            await c.get(n.group, group)

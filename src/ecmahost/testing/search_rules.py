"""Contract rules for `search`: comparisons, SCIM null semantics, wildcards, logic, paging, sorting."""

from __future__ import annotations

import pytest

from ecmahost.connectors.query import (
    META_CREATED,
    And,
    Any_,
    Change,
    Compare,
    Const,
    Not,
    Op,
    Or,
    Present,
    SearchQuery,
    Sort,
)
from ecmahost.testing.contract_base import ContractBase


class SearchRules(ContractBase):
    # -- search ----------------------------------------------------------------------------------------
    async def test_eq_is_case_insensitive_unless_case_exact(self, contract_connector, contract_names, tag):
        c, n = contract_connector, contract_names
        await self._user(c, n, f"{tag}-Alice")
        assert await self._logins(c, n, tag, Compare(n.login, Op.EQ, f"{tag}-ALICE", case_exact=False)) == {
            f"{tag}-Alice"
        }
        if n.case_exact_login:
            assert await self._logins(c, n, tag, Compare(n.login, Op.EQ, f"{tag}-alice", case_exact=True)) == set()
            assert await self._logins(c, n, tag, Compare(n.login, Op.EQ, f"{tag}-Alice", case_exact=True)) == {
                f"{tag}-Alice"
            }

    async def test_ne_and_not_include_objects_without_the_attribute(self, contract_connector, contract_names, tag):
        c, n = contract_connector, contract_names
        await self._user(c, n, f"{tag}-a", **{n.email: "a@example.com"})
        await self._user(c, n, f"{tag}-b", **{n.email: "b@example.com"})
        await self._user(c, n, f"{tag}-c")
        expected = {f"{tag}-b", f"{tag}-c"}
        assert await self._logins(c, n, tag, Compare(n.email, Op.NE, "a@example.com")) == expected
        assert await self._logins(c, n, tag, Not(Compare(n.email, Op.EQ, "A@example.com", False))) == expected
        assert await self._logins(c, n, tag, Not(Compare(n.email, Op.NE, "a@example.com"))) == {f"{tag}-a"}

    async def test_co_sw_ew_match_percent_and_underscore_literally(self, contract_connector, contract_names, tag):
        c, n = contract_connector, contract_names
        for suffix in ("a%b", "axb", "a_c", "abc"):
            await self._user(c, n, f"{tag}-{suffix}")
        assert await self._logins(c, n, tag, Compare(n.login, Op.CO, "a%b")) == {f"{tag}-a%b"}
        assert await self._logins(c, n, tag, Compare(n.login, Op.CO, "A_C", case_exact=False)) == {f"{tag}-a_c"}
        assert await self._logins(c, n, tag, Compare(n.login, Op.SW, f"{tag}-a%")) == {f"{tag}-a%b"}
        assert await self._logins(c, n, tag, Compare(n.login, Op.EW, "_c")) == {f"{tag}-a_c"}
        if n.case_exact_login:
            assert await self._logins(c, n, tag, Compare(n.login, Op.EW, "ABC", case_exact=True)) == set()

    async def test_pr_matches_objects_with_a_value(self, contract_connector, contract_names, tag):
        c, n = contract_connector, contract_names
        await self._user(c, n, f"{tag}-a", **{n.email: "a@example.com"})
        await self._user(c, n, f"{tag}-b")
        assert await self._logins(c, n, tag, Present(n.email)) == {f"{tag}-a"}
        assert await self._logins(c, n, tag, Not(Present(n.email))) == {f"{tag}-b"}

    async def test_and_or_not_combine(self, contract_connector, contract_names, tag):
        c, n = contract_connector, contract_names
        await self._user(c, n, f"{tag}-a", **{n.given_name: "Ann", n.family_name: "Smith"})
        await self._user(c, n, f"{tag}-b", **{n.given_name: "Bob", n.family_name: "Smith"})
        await self._user(c, n, f"{tag}-c", **{n.given_name: "Cy", n.family_name: "Jones"})
        ann, smith = Compare(n.given_name, Op.EQ, "ann", False), Compare(n.family_name, Op.EQ, "Smith")
        assert await self._logins(c, n, tag, And((ann, smith))) == {f"{tag}-a"}
        assert await self._logins(c, n, tag, Or((ann, Compare(n.given_name, Op.EQ, "Cy")))) == {
            f"{tag}-a",
            f"{tag}-c",
        }
        assert await self._logins(c, n, tag, Not(And((ann, smith)))) == {f"{tag}-b", f"{tag}-c"}
        assert await self._logins(c, n, tag, Not(Or((ann, Not(smith))))) == {f"{tag}-b"}

    async def test_const_matches_all_or_nothing(self, contract_connector, contract_names, tag):
        c, n = contract_connector, contract_names
        await self._user(c, n, f"{tag}-a")
        assert await self._logins(c, n, tag, Const(True)) == {f"{tag}-a"}
        assert await self._logins(c, n, tag, Const(False)) == set()
        assert await self._logins(c, n, tag, Not(Const(False))) == {f"{tag}-a"}

    async def test_boolean_attribute_round_trips_and_filters(self, contract_connector, contract_names, tag):
        c, n = contract_connector, contract_names
        if n.boolean is None:
            pytest.skip("the target has no boolean attribute")
        on = await self._user(c, n, f"{tag}-on", **{n.boolean: True})
        await self._user(c, n, f"{tag}-off", **{n.boolean: False})
        assert on[n.boolean] is True
        assert await self._logins(c, n, tag, Compare(n.boolean, Op.EQ, False)) == {f"{tag}-off"}
        await c.update(n.user, self._anchor(c, n, on), Change(set={n.boolean: False}))
        assert (await c.get(n.user, self._anchor(c, n, on)))[n.boolean] is False

    async def test_paging_gives_an_exact_total_and_a_stable_order(self, contract_connector, contract_names, tag):
        c, n = contract_connector, contract_names
        for i in range(7):
            await self._user(c, n, f"{tag}-{i}")
        scope = Compare(n.login, Op.SW, tag)
        pages = [await c.search(n.user, SearchQuery(filter=scope, offset=o, limit=3)) for o in (0, 3, 6, 9)]
        assert [p.total for p in pages] == [7, 7, 7, 7]
        assert [len(p.records) for p in pages] == [3, 3, 1, 0]
        seen = [r[n.login] for p in pages for r in p.records]
        assert len(set(seen)) == 7
        again = await c.search(n.user, SearchQuery(filter=scope, offset=3, limit=3))
        assert [r[n.login] for r in again.records] == [r[n.login] for r in pages[1].records]
        count_only = await c.search(n.user, SearchQuery(filter=scope, limit=0))
        assert (count_only.total, count_only.records) == (7, [])

    async def test_sort_ascending_and_descending(self, contract_connector, contract_names, tag):
        c, n = contract_connector, contract_names
        for name in ("bravo", "alpha", "delta", "charlie"):
            await self._user(c, n, f"{tag}-{name}")
        scope = Compare(n.login, Op.SW, tag)
        up = await c.search(n.user, SearchQuery(filter=scope, sort=Sort(n.login)))
        down = await c.search(n.user, SearchQuery(filter=scope, sort=Sort(n.login, descending=True), limit=2))
        names = [f"{tag}-{x}" for x in ("alpha", "bravo", "charlie", "delta")]
        assert [r[n.login] for r in up.records] == names
        assert [r[n.login] for r in down.records] == names[::-1][:2]
        assert down.total == 4

    async def test_meta_timestamps_filter_and_sort_where_stored(self, contract_connector, contract_names, tag):
        """A connector that declares `timestamps` compares and sorts on them as on any dateTime attribute."""
        c, n = contract_connector, contract_names
        if META_CREATED not in c.timestamps(n.user):
            pytest.skip("the target stores no creation time")
        for i in range(3):
            await self._user(c, n, f"{tag}-{i}")
        scope = Compare(n.login, Op.SW, tag)
        stored = {r[n.login]: r for r in (await c.search(n.user, SearchQuery(filter=scope))).records}
        for key in sorted(c.timestamps(n.user)):
            pivot = stored[f"{tag}-0"][key]
            later = {login for login, r in stored.items() if r[key] > pivot}
            assert await self._logins(c, n, tag, Compare(key, Op.GT, pivot)) == later
            assert await self._logins(c, n, tag, Compare(key, Op.GE, pivot)) == later | {
                login for login, r in stored.items() if r[key] == pivot
            }
            assert await self._logins(c, n, tag, Present(key)) == set(stored)
            for descending in (False, True):
                found = await c.search(n.user, SearchQuery(filter=scope, sort=Sort(key, descending)))
                values = [r[key] for r in found.records]
                assert values == sorted(values, reverse=descending)

    async def test_any_matches_an_element_of_a_complex_attribute(self, contract_connector, contract_names, tag):
        c, n = contract_connector, contract_names
        if n.complex is None:
            pytest.skip("the target has no complex attribute")
        v, t = n.complex_value, n.complex_type
        await self._user(
            c, n, f"{tag}-a", **{n.complex: [{v: "+1 555 0100", t: "work"}, {v: "+1 555 0101", t: "home"}]}
        )
        await self._user(c, n, f"{tag}-b", **{n.complex: [{v: "+1 666 0100", t: "work"}]})
        await self._user(c, n, f"{tag}-c")
        home_555 = Any_(n.complex, And((Compare(t, Op.EQ, "home"), Compare(v, Op.CO, "555"))))
        assert await self._logins(c, n, tag, home_555) == {f"{tag}-a"}
        assert await self._logins(c, n, tag, Not(home_555)) == {f"{tag}-b", f"{tag}-c"}
        assert await self._logins(c, n, tag, Present(n.complex)) == {f"{tag}-a", f"{tag}-b"}

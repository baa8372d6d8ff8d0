"""Property tests: whatever PATCH body or filter a client sends, the SCIM layer answers with a ScimError or a valid
plan, never with another exception (which the host would turn into a 500)."""

from __future__ import annotations

import contextlib
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecmahost.connectors.query import Change
from ecmahost.errors import ScimError
from ecmahost.scim.filter_map import FilterTranslator
from ecmahost.scim.filter_parser import parse_filter
from ecmahost.scim.patch import NeedCurrent, PatchPlanner, parse_operations

from demo_mapping import demo_mapping

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ECMA = "urn:ietf:params:scim:schemas:extension:ECMA2Host:2.0:User"

PATHS = [
    "userName",
    "name.givenName",
    "name",
    "emails",
    'emails[type eq "work"].value',
    'emails[type eq "work"]',
    'emails[value eq "x"]',
    "phoneNumbers",
    'phoneNumbers[type eq "home"].value',
    "active",
    "manager",
    f"{ENTERPRISE}:manager",
    f"{ENTERPRISE}:employeeNumber",
    f"{ECMA}:ContosoLogin",
    f"{ECMA}:InternalGUID",
    f"{ECMA}:-dn-",
    "members",
    'members[value eq "u1"]',
    "unknownAttribute",
    "emails[",
    "",
    ENTERPRISE,
]

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=12))
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(["value", "type", "primary", *PATHS]), inner)
    ),
    max_leaves=8,
)
operations = st.fixed_dictionaries(
    {"op": st.sampled_from(["add", "Add", "replace", "Replace", "remove", "Remove", "move", 3])},
    optional={"path": st.one_of(st.sampled_from(PATHS), st.text(max_size=20)), "value": json_values},
)


def plan(object_type: str, body: Any, current: dict[str, Any]) -> Change | None:
    mapping = demo_mapping(object_type)
    try:
        ops = parse_operations(body)
        try:
            return PatchPlanner(mapping, "anchor-1").run(ops).to_change(mapping)
        except NeedCurrent:
            return PatchPlanner(mapping, "anchor-1", current).run(ops).to_change(mapping)
    except ScimError:
        return None


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(operations, min_size=1, max_size=4), st.sampled_from(["User", "Group"]))
def test_any_patch_body_gives_a_plan_or_a_scim_error(ops: list[dict[str, Any]], object_type: str) -> None:
    current = {"PhoneNumbers": [{"type": "work", "value": "1"}], "Email": "x", "ContosoLogin": "a"}
    change = plan(object_type, {"schemas": [PATCH_OP], "Operations": ops}, current)
    if change is not None:
        mapping = demo_mapping(object_type)
        assert set(change.set) <= set(mapping.fields), "a plan only writes configured attributes"
        assert mapping.anchor not in change.set


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"[a-zA-Z.\[\]\" :-]{1,40} (eq|ne|co|sw|gt|pr) ?\"?[a-z0-9]{0,5}\"?", fullmatch=True))
def test_any_filter_translates_or_is_a_scim_error(text: str) -> None:
    translator = FilterTranslator(demo_mapping("User"))
    with contextlib.suppress(ScimError):
        translator.translate(parse_filter(text))

"""A corpus of malformed and hostile requests against the real host on every database: each gets a 4xx SCIM
error (never a 5xx), injections stay plain values, and the target is unharmed afterwards."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from e2e_host import TOKEN, RunningHost

pytestmark = pytest.mark.e2e

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

RAW_BODIES = [
    b"{",
    b"[",
    b"null",
    b'"a string"',
    b"123",
    b"\xff\xfe not utf-8",
    b"[" * 5000 + b"]" * 5000,
    b'{"schemas": "' + CORE_USER.encode() + b'", "userName": "x"}',
    b'{"schemas": ["urn:example:unknown"], "userName": "x"}',
    b'{"schemas": ["' + CORE_USER.encode() + b'"], "userName": "\\ud800"}',
]

USER_BODIES: list[dict[str, Any]] = [
    {"userName": ["a", "b"]},
    {"userName": {"value": "a"}},
    {"userName": None},
    {"userName": ""},
    {"userName": "ok", "name": "not an object"},
    {"userName": "ok", "emails": {"value": "x"}},
    {"userName": "ok", "emails": ["x"]},
    {"userName": "ok", "active": 1},
    {"userName": "ok", "phoneNumbers": "555"},
    {"userName": "nul\u0000byte"},
    {"userName": "x" * 5000},
    {"userName": "ok", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": "not an object"},
]

FILTERS = [
    "",
    "   ",
    "(",
    'userName eq "unterminated',
    "userName eq",
    'userName eq "a" and',
    'userName eq "a" or or userName eq "b"',
    'not userName eq "a"',
    'emails[type eq "work"',
    'emails[type eq "work"]]',
    'emails[emails[type eq "x"]]',
    'userName eq "\\x"',
    "userName eq 1e999999",
    "userName eq " + "9" * 5000,
    "(" * 500 + 'userName eq "a"' + ")" * 500,
    'userName eq "a"' + ' or userName eq "a"' * 2000,
    "userName[",
    'userName.value.more eq "a"',
    "urn:ietf:params:scim:schemas:core:2.0:User: eq 1",
]

INJECTIONS = [
    'userName eq "a\\" or \\"1\\"=\\"1"',
    'userName eq "x\'; DROP TABLE Employees; --"',
    'userName eq "*)(uid=*))(|(uid=*"',
    'userName co "%"',
    'userName sw "_"',
    'userName ew "\\\\"',
    'userName eq "\u202eevil"',
]


def assert_4xx(response: httpx.Response) -> None:
    assert 400 <= response.status_code < 500, f"{response.status_code}: {response.text[:300]}"
    assert response.headers["content-type"].startswith("application/scim+json")
    body = response.json()
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert "Traceback" not in response.text


@pytest.mark.parametrize("raw", RAW_BODIES, ids=range(len(RAW_BODIES)))
def test_broken_bodies_are_4xx(scim: httpx.Client, raw: bytes) -> None:
    assert_4xx(scim.post("/Users", content=raw, headers={"content-type": "application/scim+json"}))


@pytest.mark.parametrize("body", USER_BODIES, ids=range(len(USER_BODIES)))
def test_wrong_types_and_strange_values_are_4xx(scim: httpx.Client, body: dict[str, Any]) -> None:
    response = scim.post("/Users", json={"schemas": [CORE_USER], **body})
    if response.status_code == 201:  # a database without length limits (SQLite) may accept a long value
        assert body["userName"] == "x" * 5000
        return
    assert_4xx(response)


@pytest.mark.parametrize("text", FILTERS, ids=range(len(FILTERS)))
def test_invalid_filters_are_4xx(scim: httpx.Client, text: str) -> None:
    assert_4xx(scim.get("/Users", params={"filter": text}))


@pytest.mark.parametrize("text", INJECTIONS, ids=range(len(INJECTIONS)))
def test_filter_injections_match_literally(scim: httpx.Client, text: str) -> None:
    marker = f"victim-{uuid.uuid4()}"
    assert scim.post("/Users", json={"schemas": [CORE_USER], "userName": marker}).status_code == 201
    response = scim.get("/Users", params={"filter": text})
    assert response.status_code == 200, response.text
    assert marker not in {r["userName"] for r in response.json()["Resources"]}, "an injection matched everything"
    assert scim.get("/Users", params={"filter": f'userName eq "{marker}"'}).json()["totalResults"] == 1


@pytest.mark.parametrize(
    "params",
    [
        {"startIndex": "abc"},
        {"count": "1.5"},
        {"startIndex": "99999999999999999999999"},
        {"count": "99999999999999999999999"},
        {"sortBy": "nosuch"},
        {"sortBy": "emails["},
        {"sortOrder": "sideways"},
        {"attributes": "userName[", "excludedAttributes": ",,,"},
    ],
)
def test_bad_paging_parameters_never_fail_the_server(scim: httpx.Client, params: dict[str, str]) -> None:
    response = scim.get("/Users", params=params)
    assert response.status_code < 500, response.text
    if response.status_code != 200:
        assert_4xx(response)


@pytest.mark.parametrize(
    "resource_id", ["%00", "..%2F..%2Fetc%2Fpasswd", "x" * 5000, "%E2%80%AE", "a%20b", "'%20OR%201=1"]
)
def test_strange_ids_are_404(scim: httpx.Client, resource_id: str) -> None:
    for method in ("GET", "DELETE"):
        response = scim.request(method, f"/Users/{resource_id}")
        assert response.status_code == 404, response.text


@pytest.mark.parametrize(
    "operations",
    [
        [{"op": "replace", "path": 'userName") or ("1"="1', "value": "x"}],
        [{"op": "add", "path": "members", "value": "not-a-list"}],
        [{"op": "add", "path": "emails", "value": [{"type": {"nested": True}}]}],
        [{"op": "replace", "value": ["not", "an", "object"]}],
        [{"op": "replace", "value": {"name.givenName": {"deep": [1, 2, 3]}}}],
        [{"op": "add", "path": "phoneNumbers", "value": [{"value": 5, "primary": "sometimes"}]}],
        [{"op": "replace", "path": "active", "value": {"bool": True}}],
    ],
    ids=range(7),
)
def test_hostile_patches_are_4xx_and_write_nothing(scim: httpx.Client, operations: list[dict[str, Any]]) -> None:
    user = scim.post("/Users", json={"schemas": [CORE_USER], "userName": f"p-{uuid.uuid4()}"}).json()
    before = scim.get(f"/Users/{user['id']}").json()
    assert_4xx(scim.patch(f"/Users/{user['id']}", json={"schemas": [PATCH_OP], "Operations": operations}))
    after = scim.get(f"/Users/{user['id']}").json()
    assert after["meta"]["version"] == before["meta"]["version"]


def test_method_override_headers_are_ignored(scim: httpx.Client) -> None:
    user = scim.post("/Users", json={"schemas": [CORE_USER], "userName": f"o-{uuid.uuid4()}"}).json()
    for header in ("X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override"):
        scim.get(f"/Users/{user['id']}", headers={header: "DELETE"})
    assert scim.get(f"/Users/{user['id']}").status_code == 200


@pytest.mark.parametrize(
    "authorization",
    [f"Bearer {TOKEN} {TOKEN}", f"Basic {TOKEN}", f"Bearer {TOKEN[:-1]}", f"Bearer {TOKEN}x", "Bearer " + "a" * 10000],
    ids=["doubled", "basic", "prefix", "suffix", "huge"],
)
def test_token_tricks_are_refused(host: RunningHost, authorization: str) -> None:
    with httpx.Client(verify=host.tls()) as client:
        response = client.get(f"{host.tenant_url}/Users", headers={"Authorization": authorization})
    assert response.status_code == 401


def test_oversized_headers_are_refused_without_a_server_error(host: RunningHost) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}", "X-Padding": "a" * 200_000}
    with httpx.Client(verify=host.tls()) as client:
        try:
            response = client.get(f"{host.tenant_url}/Users", headers=headers)
        except httpx.HTTPError:
            return  # the server closed the connection: refused
    assert response.status_code < 500

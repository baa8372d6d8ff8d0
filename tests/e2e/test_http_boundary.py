"""The http boundary of the real host: authentication per connector, routing, TLS, limits and bad input."""

from __future__ import annotations

import socket
import ssl
import uuid
import warnings

import httpx
import pytest

from e2e_host import TOKEN, RunningHost

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", params=["sqlite"])
def host(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from e2e_host import start_demo_host

    running = start_demo_host(tmp_path_factory.mktemp("home-boundary"))
    yield running
    running.stop()


def error_of(response: httpx.Response, status: int, scim_type: str | None = None) -> dict:  # type: ignore[type-arg]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/scim+json")
    body = response.json()
    assert body["status"] == str(status)
    assert body.get("scimType") == scim_type
    return body


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer"}, {"Authorization": "Bearer wrong-token-000000"}, {"Authorization": TOKEN}],
    ids=["missing", "empty", "wrong", "no-scheme"],
)
def test_requests_without_the_connector_token_get_401(host: RunningHost, headers: dict[str, str]) -> None:
    with httpx.Client(verify=host.tls()) as client:
        response = client.get(f"{host.tenant_url}/Users", headers=headers)
    error_of(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert TOKEN not in response.text


def test_unknown_connector_and_wrong_case_get_404(host: RunningHost) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(verify=host.tls(), headers=headers) as client:
        error_of(client.get(f"{host.root}/ecma2host_Demo/scim/Users"), 404)
        error_of(client.get(f"{host.root}/ecma2host_other/scim/Users"), 404)
        error_of(client.get(f"{host.root}/ecma2host_demo/scim/Nothing"), 404)
        error_of(client.get(f"{host.root}/ecma2host_demo/scim/../../etc/passwd"), 404)


DISCOVERY_PATHS = [
    "/Schemas",
    "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User",
    "/ResourceTypes",
    "/ResourceTypes/User",
    "/ServiceProviderConfig",
]


@pytest.mark.parametrize("path", DISCOVERY_PATHS)
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_writes_to_discovery_endpoints_get_405_with_allow(scim: httpx.Client, method: str, path: str) -> None:
    response = scim.request(method, path, json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"]})
    body = error_of(response, 405)
    assert response.headers["allow"] == "GET, HEAD"
    assert method in body["detail"]


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", "/Users", "GET, HEAD, POST"),
        ("DELETE", "/Groups", "GET, HEAD, POST"),
        ("POST", "/Users/some-id", "GET, HEAD, PUT, PATCH, DELETE"),
        ("OPTIONS", "/Users", "GET, HEAD, POST"),
    ],
)
def test_every_scim_route_answers_405_with_its_allow(scim: httpx.Client, method: str, path: str, allow: str) -> None:
    error_of(scim.request(method, path), 405)
    assert scim.request(method, path).headers["allow"] == allow


def test_resource_endpoint_names_match_in_any_case(scim: httpx.Client) -> None:
    created = scim.post(
        "/users",
        json={
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": f"case-{uuid.uuid4().hex[:8]}@contoso.com",
        },
    )
    assert created.status_code == 201, created.text
    user = created.json()
    assert user["meta"]["location"].endswith(f"/Users/{user['id']}"), "the canonical name in what the host writes"
    assert scim.get(f"/USERS/{user['id']}").json()["id"] == user["id"]
    assert scim.get("/groups", params={"count": 1}).status_code == 200
    assert scim.get("/schemas").json()["totalResults"] == scim.get("/Schemas").json()["totalResults"]
    assert scim.get("/resourcetypes/user").json()["id"] == "User"
    assert scim.get("/serviceproviderconfig").json() == scim.get("/ServiceProviderConfig").json()
    assert scim.delete(f"/Users/{user['id']}").status_code == 204


def test_health_needs_no_token_and_says_nothing_else(host: RunningHost) -> None:
    response = httpx.get(f"{host.root}/health", verify=host.tls())
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_tls_1_1_is_refused(host: RunningHost) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # offering TLS 1.1 is the point of this test
        context.maximum_version = ssl.TLSVersion.TLSv1_1
        context.minimum_version = ssl.TLSVersion.TLSv1
    with socket.create_connection(("127.0.0.1", host.port), timeout=5) as raw, pytest.raises(ssl.SSLError):
        context.wrap_socket(raw, server_hostname="localhost")


def test_plain_http_on_the_tls_port_gets_no_scim_answer(host: RunningHost) -> None:
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{host.port}/ecma2host_demo/scim/Users", timeout=5)


def test_malformed_json_is_400_invalid_syntax(scim: httpx.Client) -> None:
    response = scim.post("/Users", content=b'{"schemas": [', headers={"content-type": "application/scim+json"})
    error_of(response, 400, "invalidSyntax")


def test_body_over_the_limit_is_413(scim: httpx.Client) -> None:
    huge = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "x" * (2 * 1024 * 1024)}
    error_of(scim.post("/Users", json=huge), 413)


def test_wrong_content_type_is_415(scim: httpx.Client) -> None:
    error_of(scim.post("/Users", content=b"userName=x", headers={"content-type": "text/plain"}), 415)


@pytest.mark.parametrize(
    ("query", "scim_type"),
    [
        ('userName eq "x" and', "invalidFilter"),
        ('nickname2 eq "x"', "invalidFilter"),
        ('userName zz "x"', "invalidFilter"),
        ('userName eq "x\'; DROP TABLE Employees; --"', None),
    ],
    ids=["truncated", "unknown-attribute", "unknown-operator", "sql-injection-is-just-a-value"],
)
def test_bad_filters_are_400_invalid_filter(scim: httpx.Client, query: str, scim_type: str | None) -> None:
    response = scim.get("/Users", params={"filter": query})
    if scim_type is None:
        assert response.status_code == 200
        assert response.json()["totalResults"] == 0
        assert scim.get("/Users", params={"count": 1}).status_code == 200
    else:
        error_of(response, 400, scim_type)


def test_missing_required_attribute_and_wrong_type_are_400(scim: httpx.Client) -> None:
    schemas = ["urn:ietf:params:scim:schemas:core:2.0:User"]
    error_of(scim.post("/Users", json={"schemas": schemas, "displayName": "no login"}), 400, "invalidValue")
    error_of(scim.post("/Users", json={"schemas": schemas, "userName": 42}), 400, "invalidValue")
    error_of(scim.post("/Users", json={"schemas": schemas, "userName": "a", "active": "maybe"}), 400, "invalidValue")
    error_of(scim.post("/Users", json={"userName": "a"}), 400, "invalidSyntax")


def test_patch_errors_are_specific_and_write_nothing(scim: httpx.Client) -> None:
    login = f"atomic-{uuid.uuid4()}"
    user = scim.post(
        "/Users", json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": login}
    ).json()
    operations = [
        {"op": "replace", "path": "displayName", "value": "written?"},
        {"op": "replace", "path": "noSuchAttribute", "value": "x"},
    ]
    body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": operations}
    error_of(scim.patch(f"/Users/{user['id']}", json=body), 400, "invalidPath")
    assert "displayName" not in scim.get(f"/Users/{user['id']}").json(), "a failed PATCH writes nothing"
    bad_op = {"schemas": body["schemas"], "Operations": [{"op": "frobnicate", "path": "displayName", "value": "x"}]}
    error_of(scim.patch(f"/Users/{user['id']}", json=bad_op), 400, "invalidSyntax")
    no_path = {"schemas": body["schemas"], "Operations": [{"op": "remove"}]}
    error_of(scim.patch(f"/Users/{user['id']}", json=no_path), 400, "noTarget")
    anchor = {"schemas": body["schemas"], "Operations": [{"op": "replace", "path": "userName", "value": None}]}
    error_of(scim.patch(f"/Users/{user['id']}", json=anchor), 400, "invalidValue")


def test_paging_keeps_total_exact(scim: httpx.Client) -> None:
    prefix = f"page-{uuid.uuid4().hex[:8]}"
    for index in range(5):
        login = f"{prefix}-{index}"
        body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": login}
        assert scim.post("/Users", json=body).status_code == 201
    seen = []
    for start in (1, 3, 5):
        page = scim.get(
            "/Users",
            params={"filter": f'userName sw "{prefix}"', "startIndex": start, "count": 2, "sortBy": "userName"},
        ).json()
        assert page["totalResults"] == 5
        assert page["startIndex"] == start
        seen += [r["userName"] for r in page["Resources"]]
    assert seen == [f"{prefix}-{i}" for i in range(5)]
    assert scim.get("/Users", params={"startIndex": "x"}).status_code == 400
    assert scim.get("/Users", params={"count": -5}).json()["Resources"] == []


def test_if_match_guards_writes_against_a_stale_version(scim: httpx.Client) -> None:
    schemas = ["urn:ietf:params:scim:schemas:core:2.0:User"]
    user = scim.post("/Users", json={"schemas": schemas, "userName": f"etag-{uuid.uuid4()}"}).json()
    etag = scim.get(f"/Users/{user['id']}").headers["etag"]
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "title", "value": "first"}],
    }
    first = scim.patch(f"/Users/{user['id']}", json=body, headers={"If-Match": etag})
    assert first.status_code == 200
    assert first.headers["etag"] != etag
    error_of(scim.patch(f"/Users/{user['id']}", json=body, headers={"If-Match": etag}), 412)
    error_of(scim.delete(f"/Users/{user['id']}", headers={"If-Match": etag}), 412)
    assert scim.delete(f"/Users/{user['id']}", headers={"If-Match": first.headers["etag"]}).status_code == 204


@pytest.mark.parametrize("cipher", ["AES128-SHA", "AES256-SHA256", "DES-CBC3-SHA", "ECDHE-RSA-AES128-SHA"])
def test_weak_tls_1_2_ciphers_are_refused(host: RunningHost, cipher: str) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.set_ciphers(cipher)
    except ssl.SSLError:
        pytest.skip(f"this OpenSSL cannot offer {cipher}")
    with socket.create_connection(("127.0.0.1", host.port), timeout=5) as raw, pytest.raises(ssl.SSLError):
        context.wrap_socket(raw, server_hostname="localhost")


def test_a_strong_tls_1_2_cipher_is_accepted(host: RunningHost) -> None:
    context = ssl.create_default_context(cafile=str(host.cert))
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers("ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256")
    with (
        socket.create_connection(("127.0.0.1", host.port), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        assert tls.version() == "TLSv1.2"

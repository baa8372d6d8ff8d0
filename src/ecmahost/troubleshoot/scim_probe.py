"""The SCIM steps of the connection test, over HTTPS: the connector exists, the token is accepted, Entra's
dummy-user query gets an empty ListResponse, `/Schemas` lists the selected attributes, the target answers a read,
and (only when asked) a create/read/delete round trip of a throw-away user.

Each step sends what Entra sends and judges the answer the way Entra would; the SCIM error detail of a failed
answer is shown with the fix. The token is sent only in the Authorization header and never shown.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

from ecmahost.scim import urns
from ecmahost.troubleshoot.steps import Step, failed, passed, skipped

CONNECTOR_STEP = "Connector exists"
TOKEN_STEP = "Token accepted"  # noqa: S105 - a step name
DUMMY_STEP = "Dummy-user query"
SCHEMAS_STEP = "Schemas list the selected attributes"
TARGET_STEP = "Target answers"
WRITE_STEP = "Write round trip"

LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
USER_EXTENSION = urns.ECMA2HOST_PREFIX + "User"
TEST_USER_PREFIX = "ecmahost-test-"


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict) and body.get("detail"):
        return str(body["detail"])
    return response.text[:200]


def _answer(response: httpx.Response) -> str:
    request_id = response.headers.get("x-request-id")
    suffix = f" (request id {request_id})" if request_id else ""
    return f"{response.status_code}: {_detail(response)}{suffix}"


def _logs_fix(name: str) -> str:
    return f"on the host: `ecmahost logs --connector {name} --level Error` shows the cause"


def _mismatch_fix(response: httpx.Response, name: str) -> str | None:
    """The fix for a 503 that is not a down target but a connector file that does not match it."""
    detail = _detail(response)
    if "does not match the target" in detail or "connector file is invalid" in detail:
        return (
            f"correct the connector file (`ecmahost connector edit {name}`); `ecmahost status` on the host lists "
            "each problem"
        )
    return None


def check_connector(client: httpx.Client, name: str) -> tuple[Step, httpx.Response | None]:
    try:
        response = client.get("/ServiceProviderConfig")
    except httpx.HTTPError as exc:
        return failed(CONNECTOR_STEP, f"the request failed: {exc}", "see the steps above"), None
    if response.status_code == 404:
        return failed(
            CONNECTOR_STEP,
            f"the host has no connector named {name!r}: {_detail(response)}",
            "`ecmahost connector list` on the host shows the names (case-sensitive); a connector whose file is "
            "invalid is not served: `ecmahost status` lists it with the reason",
        ), response
    if response.status_code in (200, 401):
        return passed(CONNECTOR_STEP, f"the host serves connector {name}"), response
    fix = _mismatch_fix(response, name)
    if fix is not None:
        return failed(CONNECTOR_STEP, f"the host does not serve it: {_detail(response)}", fix), response
    return failed(CONNECTOR_STEP, f"unexpected answer {_answer(response)}", _logs_fix(name)), response


def check_token(response: httpx.Response | None, name: str, token_given: bool) -> Step:
    if not token_given:
        return skipped(TOKEN_STEP, "no token given (pass --token-file, or answer the prompt)")
    if response is not None and response.status_code == 401:
        return failed(
            TOKEN_STEP,
            f"the host rejected the token: {_detail(response)}",
            f"set a new token on the host with `ecmahost connector set-token {name}` and paste the same token into "
            "the Azure portal (Provisioning > Admin Credentials > Secret Token)",
        )
    return passed(TOKEN_STEP, "the host accepted the token")


def check_dummy_query(client: httpx.Client, name: str, match_attribute: str) -> Step:
    guid = str(uuid.uuid4())
    try:
        response = client.get("/Users", params={"filter": f'{match_attribute} eq "{guid}"'})
    except httpx.HTTPError as exc:
        return failed(DUMMY_STEP, f"the request failed: {exc}", _logs_fix(name))
    if response.status_code == 503:
        fix = _mismatch_fix(response, name) or "the target is down: see 'Target answers'"
        return failed(DUMMY_STEP, f"the host answered {_answer(response)}", fix)
    if response.status_code == 400:
        return failed(
            DUMMY_STEP,
            f"the host refused the filter {match_attribute} eq <guid>: {_detail(response)}",
            "pass --match <the matching attribute of your Entra mapping>, or map that attribute in the connector",
        )
    if response.status_code != 200:
        return failed(DUMMY_STEP, f"expected 200, got {_answer(response)}", _logs_fix(name))
    body = response.json()
    content_type = response.headers.get("content-type", "")
    if not isinstance(body, dict) or LIST_RESPONSE not in body.get("schemas", []):
        return failed(DUMMY_STEP, "the answer is not a SCIM ListResponse", _logs_fix(name))
    if body.get("totalResults") != 0 or body.get("Resources"):
        return failed(
            DUMMY_STEP,
            f"a user matched the random value {guid}: totalResults={body.get('totalResults')}",
            "the filter matched when it should not: report this with `ecmahost collect-troubleshooting-info`",
        )
    if not content_type.startswith("application/scim+json"):
        return failed(DUMMY_STEP, f"Content-Type is {content_type}", "the host must answer application/scim+json")
    return passed(DUMMY_STEP, f"GET /Users?filter={match_attribute} eq <random GUID> -> 200, empty ListResponse")


def extension_attributes(schemas: dict[str, Any]) -> list[dict[str, Any]]:
    for document in schemas.get("Resources", []):
        if isinstance(document, dict) and document.get("id") == USER_EXTENSION:
            return [item for item in document.get("attributes", []) if isinstance(item, dict)]
    return []


def check_schemas(client: httpx.Client, name: str, expected: Sequence[str] | None) -> tuple[Step, list[dict[str, Any]]]:
    try:
        response = client.get("/Schemas")
    except httpx.HTTPError as exc:
        return failed(SCHEMAS_STEP, f"the request failed: {exc}", _logs_fix(name)), []
    if response.status_code != 200:
        return failed(SCHEMAS_STEP, f"GET /Schemas answered {_answer(response)}", _logs_fix(name)), []
    attributes = extension_attributes(response.json())
    listed = [str(item.get("name")) for item in attributes]
    if not listed:
        return failed(
            SCHEMAS_STEP,
            f"/Schemas has no {USER_EXTENSION} schema with attributes",
            "select the User attributes in the connector file (object_types.User.attributes)",
        ), []
    missing = [attribute for attribute in expected or () if attribute not in listed]
    if missing:
        return failed(
            SCHEMAS_STEP,
            f"target attribute missing from /Schemas: {', '.join(missing)}",
            "the running host serves an older connector file: restart it (`systemctl restart ecmahost`), then in "
            "the Azure portal reopen the provisioning page so Entra reads /Schemas again",
        ), attributes
    shown = ", ".join(listed[:12]) + (f" and {len(listed) - 12} more" if len(listed) > 12 else "")
    return passed(SCHEMAS_STEP, f"{len(listed)} attributes under the ECMA2Host schema: {shown}"), attributes


def check_target(client: httpx.Client, name: str) -> Step:
    try:
        response = client.get("/Users", params={"count": "1"})
    except httpx.HTTPError as exc:
        return failed(TARGET_STEP, f"the request failed: {exc}", _logs_fix(name))
    if response.status_code == 503:
        retry = response.headers.get("retry-after")
        return failed(
            TARGET_STEP,
            f"the target is not available: {_detail(response)}" + (f" (Retry-After {retry} s)" if retry else ""),
            _mismatch_fix(response, name)
            or (
                "check that the database or directory runs and that the host can reach it; check the connection of "
                f"`ecmahost connector show {name}`. {_logs_fix(name)}"
            ),
        )
    if response.status_code != 200:
        return failed(TARGET_STEP, f"reading users answered {_answer(response)}", _logs_fix(name))
    return passed(TARGET_STEP, f"the target answered a read: {response.json().get('totalResults')} users")


def _value(attribute: dict[str, Any], text: str) -> Any:
    kind = attribute.get("type")
    if kind == "boolean":
        return False
    if kind in ("integer", "decimal"):
        return 0
    if kind == "dateTime":
        return datetime.now(UTC).isoformat(timespec="seconds")
    return text


def throwaway_user(attributes: list[dict[str, Any]]) -> dict[str, Any]:
    """A throw-away user: `userName` and every required, writable extension attribute set."""
    login = f"{TEST_USER_PREFIX}{uuid.uuid4().hex[:12]}"
    extension = {
        str(item["name"]): _value(item, login)
        for item in attributes
        if item.get("required") and item.get("mutability") not in ("readOnly", "immutable")
    }
    body: dict[str, Any] = {"schemas": [urns.CORE_USER, USER_EXTENSION], "userName": login}
    if extension:
        body[USER_EXTENSION] = extension
    return body


def check_write(client: httpx.Client, name: str, attributes: list[dict[str, Any]]) -> Step:
    body = throwaway_user(attributes)
    login = body["userName"]
    try:
        created = client.post("/Users", json=body, headers={"Content-Type": "application/scim+json"})
        if created.status_code != 201:
            return failed(WRITE_STEP, f"creating {login} answered {_answer(created)}", _logs_fix(name))
        user_id = created.json()["id"]
        try:
            read = client.get(f"/Users/{user_id}")
            if read.status_code != 200 or read.json().get("userName") != login:
                return failed(WRITE_STEP, f"reading {login} back answered {_answer(read)}", _logs_fix(name))
        finally:
            deleted = client.delete(f"/Users/{user_id}")
        if deleted.status_code != 204:
            return failed(WRITE_STEP, f"deleting {login} answered {_answer(deleted)}", _logs_fix(name))
    except httpx.HTTPError as exc:
        return failed(WRITE_STEP, f"the request failed: {exc}", _logs_fix(name))
    return passed(WRITE_STEP, f"created, read and deleted the throw-away user {login}")

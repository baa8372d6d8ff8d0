"""SCIM responses: `application/scim+json` bodies serialized with orjson, and SCIM Error bodies."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

from ecmahost.errors import ScimError

SCIM_JSON = "application/scim+json"


class ScimResponse(Response):
    media_type = SCIM_JSON

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def error_response(error: ScimError, request_id: str | None = None) -> ScimResponse:
    headers: dict[str, str] = {}
    if error.retry_after is not None:
        headers["Retry-After"] = str(error.retry_after)
    if error.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="ecmahost"'
    if request_id:
        headers["X-Request-Id"] = request_id
    return ScimResponse(error.to_body(), status_code=error.status, headers=headers)


def no_content(headers: dict[str, str] | None = None) -> Response:
    return Response(status_code=204, headers=headers)

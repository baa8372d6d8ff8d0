"""Typed SCIM errors, raised by any layer above the connector and rendered by the http layer.

Exception tree::

    ScimError                      status, scim_type, detail -> a SCIM Error body
    ├── InvalidSyntax      400  invalidSyntax   body or query that cannot be parsed
    ├── InvalidFilter      400  invalidFilter   filter that cannot be parsed or names an unknown attribute
    ├── InvalidPath        400  invalidPath     PATCH path that cannot be parsed or resolved
    ├── NoTarget           400  noTarget        PATCH path that selects nothing where something is required
    ├── InvalidValue       400  invalidValue    wrong type, missing required attribute, target constraint
    ├── Mutability         400  mutability      write to a read-only or immutable attribute
    ├── TooMany            400  tooMany         more results or members than the host allows
    ├── Unauthorized       401  -               missing or wrong bearer token
    ├── NotFound           404  -               unknown connector, resource or path
    ├── MethodNotAllowed   405  -
    ├── Uniqueness         409  uniqueness      a unique attribute is already taken
    ├── PreconditionFailed 412  -               If-Match does not match the current version
    ├── PayloadTooLarge    413  -               body over the configured limit
    ├── UnsupportedMedia   415  -
    ├── TooManyRequests    429  -               with Retry-After
    ├── NotSupported       501  -               a SCIM feature the host does not offer (`POST /.search`)
    ├── BadGateway         502  -               the relay or agent got an answer it cannot pass on
    ├── TargetUnavailable  503  -               target down or timing out, with Retry-After
    └── GatewayTimeout     504  -               the relay or agent got no answer within its budget
"""

from __future__ import annotations

from typing import ClassVar

ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


class ScimError(Exception):
    status: ClassVar[int] = 500
    scim_type: ClassVar[str | None] = None

    def __init__(self, detail: str, *, retry_after: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retry_after = retry_after

    def to_body(self) -> dict[str, object]:
        body: dict[str, object] = {"schemas": [ERROR_SCHEMA], "status": str(self.status)}
        if self.scim_type:
            body["scimType"] = self.scim_type
        body["detail"] = self.detail
        return body


class InvalidSyntax(ScimError):
    status = 400
    scim_type = "invalidSyntax"


class InvalidFilter(ScimError):
    status = 400
    scim_type = "invalidFilter"


class InvalidPath(ScimError):
    status = 400
    scim_type = "invalidPath"


class NoTarget(ScimError):
    status = 400
    scim_type = "noTarget"


class InvalidValue(ScimError):
    status = 400
    scim_type = "invalidValue"


class Mutability(ScimError):
    status = 400
    scim_type = "mutability"


class TooMany(ScimError):
    status = 400
    scim_type = "tooMany"


class Unauthorized(ScimError):
    status = 401


class NotFound(ScimError):
    status = 404


class MethodNotAllowed(ScimError):
    status = 405


class NotSupported(ScimError):
    """A SCIM operation the host does not implement (RFC 7644 §3.12: 501 Not Implemented)."""

    status = 501


class Uniqueness(ScimError):
    status = 409
    scim_type = "uniqueness"


class PreconditionFailed(ScimError):
    status = 412


class PayloadTooLarge(ScimError):
    status = 413


class UnsupportedMedia(ScimError):
    status = 415


class TooManyRequests(ScimError):
    status = 429


class TargetUnavailable(ScimError):
    status = 503


class BadGateway(ScimError):
    status = 502


class GatewayTimeout(ScimError):
    status = 504

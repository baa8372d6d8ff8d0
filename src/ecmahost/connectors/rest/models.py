"""The REST connector's own configuration: how to reach and authenticate to the API (`connection`) and, per
object type, where its collection lives, how each operation is called and where each attribute sits in the JSON.

It validates settings only; it sends no request.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ecmahost.config.model import ConnectionSettings, TargetSettings
from ecmahost.config.secrets import Secret
from ecmahost.connectors.rest.pointers import to_pointer


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NoAuth(_Strict):
    type: Literal["none"] = "none"


class BasicAuth(_Strict):
    type: Literal["basic"]
    username: str
    password: Secret = Field(repr=False)


class BearerAuth(_Strict):
    type: Literal["bearer"]
    token: Secret = Field(repr=False)


class ApiKeyAuth(_Strict):
    type: Literal["api_key"]
    header: str = "X-API-Key"
    api_key: Secret = Field(repr=False)


class OAuth2ClientCredentials(_Strict):
    type: Literal["oauth2"]
    token_url: str
    client_id: str
    client_secret: Secret = Field(repr=False)
    scope: str | None = None


Auth = Annotated[NoAuth | BasicAuth | BearerAuth | ApiKeyAuth | OAuth2ClientCredentials, Field(discriminator="type")]


class TlsOptions(_Strict):
    """`verify: false` trusts any certificate (tests only); `ca_file` trusts a private CA; `client_cert` and
    `client_key` present a client certificate. Paths are relative to the host's home folder."""

    verify: bool = True
    ca_file: str | None = None
    client_cert: str | None = None
    client_key: str | None = None


class RetryPolicy(_Strict):
    """Statuses retried with exponential backoff, honouring `Retry-After`, while the request's time budget
    (`connection.timeout_seconds`) lasts."""

    statuses: list[int] = Field(default_factory=lambda: [429, 503])
    max_attempts: int = Field(default=5, ge=1, le=50)
    backoff_seconds: float = Field(default=0.5, gt=0)
    max_backoff_seconds: float = Field(default=10.0, gt=0)


class StatusMeaning(_Strict):
    """Which statuses mean what (other 4xx: the target refused the value; other 5xx: the target is down)."""

    not_found: list[int] = Field(default_factory=lambda: [404])
    conflict: list[int] = Field(default_factory=lambda: [409])
    invalid: list[int] = Field(default_factory=lambda: [400, 422])


class RestConnection(ConnectionSettings):
    base_url: str
    auth: Auth = NoAuth()
    tls: TlsOptions = TlsOptions()
    headers: dict[str, str] = Field(default_factory=dict)
    timeout_seconds: float = Field(default=30.0, gt=0)
    """the time budget of one connector operation, retries and paging included"""
    retry: RetryPolicy = RetryPolicy()
    statuses: StatusMeaning = StatusMeaning()

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with https:// (or http:// for a local test server)")
        return value.rstrip("/")


class Method(StrEnum):
    GET = "GET"
    POST = "POST"
    PUT = "PUT"
    PATCH = "PATCH"
    DELETE = "DELETE"


class RestOperation(_Strict):
    """One call: `url` is relative to `base_url`, `{id}` is the object's id; `body` is a JSON template whose
    strings `{{Attribute}}` are replaced by the attribute's value (None: built from `fields`)."""

    method: Method
    url: str
    body: Any = None


class PagingStyle(StrEnum):
    NONE = "none"
    PAGE = "page"
    """page number and page size parameters (`?_page=2&_limit=100`)"""
    OFFSET = "offset"
    """offset and size parameters (`?_start=200&_limit=100`)"""
    LINK = "link"
    """follow the `Link: <...>; rel="next"` header"""


class Paging(_Strict):
    style: PagingStyle = PagingStyle.NONE
    page_param: str = "page"
    offset_param: str = "offset"
    size_param: str = "limit"
    size: int = Field(default=100, ge=1, le=10_000)
    first_page: int = 1
    max_objects: int = Field(default=100_000, ge=1)
    """a search reads at most this many objects (the connector filters them in memory)"""


class Operations(_Strict):
    list: RestOperation | None = None
    get: RestOperation | None = None
    create: RestOperation | None = None
    update: RestOperation | None = None
    delete: RestOperation | None = None


class RestObjectType(TargetSettings):
    """One object type of the API. `collection` and `item` give the default operations (GET/POST on the
    collection, GET/PUT/DELETE on the item); `operations` overrides any of them. `fields` maps a selected
    attribute to where it sits in an item's JSON (JSON pointer `/name/givenName` or JSONPath `$.name.givenName`;
    default `/<attribute>`); the anchor's field is `id`. `items` points at the array in a list answer ("" when the
    answer is the array). `members` points at a group's array of member ids."""

    collection: str
    item: str
    id: str = "/id"
    items: str = ""
    fields: dict[str, str] = Field(default_factory=dict)
    members: str | None = None
    operations: Operations = Operations()
    paging: Paging = Paging()

    @field_validator("id", "items", "members")
    @classmethod
    def _pointer(cls, value: str | None) -> str | None:
        return None if value is None else to_pointer(value)

    @field_validator("fields")
    @classmethod
    def _pointers(cls, value: dict[str, str]) -> dict[str, str]:
        return {name: to_pointer(path) for name, path in value.items()}

    def operation(self, name: str) -> RestOperation:
        configured = getattr(self.operations, name)
        if configured is not None:
            return configured
        defaults = {
            "list": (Method.GET, self.collection),
            "create": (Method.POST, self.collection),
            "get": (Method.GET, self.item),
            "update": (Method.PUT, self.item),
            "delete": (Method.DELETE, self.item),
        }
        method, url = defaults[name]
        return RestOperation(method=method, url=url)

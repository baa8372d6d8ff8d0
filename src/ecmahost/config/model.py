"""The connector file, as pydantic models: the parts every connector type shares.

A connector file is flat YAML (see docs/configuration.md). Each object type mixes generic keys (`anchor`,
`attributes`, `deprovisioning`, ...) with keys of the connector type (`table:` for SQL, `object_class:` for
LDAP); the validator (`config.validation`) splits them: generic keys validate here, the rest against the connector
type's own `object_type_model`, which it keeps as `ObjectTypeConfig.target`. Likewise `connection` validates against the
type's `connection_model`. Both models derive from the bases here, `ConnectionSettings` and `TargetSettings`, so
this layer types the seam without knowing any connector type.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializeAsAny, field_validator, model_validator

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
RESOURCE_TYPES = {"User": "Users", "Group": "Groups"}
"""Object type name -> the SCIM endpoint that serves it."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ConnectionSettings(Strict):
    """Base of every connector type's `connection_model`: the file's `connection:` block (secrets arrive as
    `config.secrets.Secret`). This base itself takes no key: a type that needs no setting keeps it."""


class TargetSettings(Strict):
    """Base of every connector type's `object_type_model`: its own keys inside an object type (`table:`,
    `object_class:`, `file:`...). This base itself takes no key: a type that stores objects without one keeps
    it."""


class AttributeType(StrEnum):
    STRING = "string"
    BOOLEAN = "boolean"
    INTEGER = "integer"
    DECIMAL = "decimal"
    DATETIME = "dateTime"
    REFERENCE = "reference"
    BINARY = "binary"
    COMPLEX = "complex"


class Mutability(StrEnum):
    READ_WRITE = "readWrite"
    READ_ONLY = "readOnly"
    IMMUTABLE = "immutable"
    WRITE_ONLY = "writeOnly"


class Returned(StrEnum):
    ALWAYS = "always"
    DEFAULT = "default"
    NEVER = "never"
    REQUEST = "request"


class AttributeConfig(Strict):
    """One selected target attribute ("Select Attributes"): how SCIM sees it.

    Every selected attribute appears under the ECMA2Host extension schema by its own name; `scim` maps it also to
    a core or enterprise SCIM path such as `userName`, `name.givenName`, `emails[type eq "work"].value`,
    `active` or `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber`.
    """

    scim: str | None = None
    type: AttributeType = AttributeType.STRING
    required: bool = False
    unique: bool = False
    case_exact: bool = False
    multi_valued: bool = False
    mutability: Mutability = Mutability.READ_WRITE
    returned: Returned = Returned.DEFAULT
    sub_attributes: tuple[str, ...] = ()
    description: str = ""

    @model_validator(mode="after")
    def _complex_needs_sub_attributes(self) -> AttributeConfig:
        if self.type is AttributeType.COMPLEX and not self.sub_attributes:
            raise ValueError("a complex attribute needs `sub_attributes`, e.g. [value, type, primary]")
        if self.type is not AttributeType.COMPLEX and self.sub_attributes:
            raise ValueError("`sub_attributes` is only for `type: complex`")
        return self


class DeprovisionKind(StrEnum):
    DELETE = "delete"
    SET = "set"
    NOTHING = "nothing"


class DeprovisionAction(Strict):
    """Delete the object, set boolean attributes, or do nothing. Written in YAML as `delete`, `nothing` or
    `{set: {Active: false}}`."""

    kind: DeprovisionKind
    values: dict[str, bool] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _from_short_form(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"kind": data}
        if isinstance(data, dict) and set(data) == {"set"}:
            return {"kind": "set", "values": data["set"]}
        return data

    @model_validator(mode="after")
    def _set_needs_values(self) -> DeprovisionAction:
        if (self.kind is DeprovisionKind.SET) != bool(self.values):
            raise ValueError("use `delete`, `nothing`, or `{set: {<boolean attribute>: true|false}}`")
        return self

    def to_yaml(self) -> Any:
        return {"set": dict(self.values)} if self.kind is DeprovisionKind.SET else self.kind.value


class Deprovisioning(Strict):
    """What Entra's disable (`active` -> false) and delete (DELETE) do to the target."""

    disable: DeprovisionAction = DeprovisionAction(kind=DeprovisionKind.NOTHING)
    delete: DeprovisionAction = DeprovisionAction(kind=DeprovisionKind.DELETE)


class AnchorGeneration(StrEnum):
    UUID = "uuid"
    """the host generates a random UUID on create"""
    TARGET = "target"
    """the target generates it (identity column, column default, LDAP entryUUID)"""
    NONE = "none"
    """the client supplies it through a mapped attribute (e.g. the login); it can never change"""


class AnchorConfig(Strict):
    attribute: str
    generate: AnchorGeneration = AnchorGeneration.UUID

    @model_validator(mode="before")
    @classmethod
    def _from_short_form(cls, data: Any) -> Any:
        return {"attribute": data} if isinstance(data, str) else data


class ObjectTypeConfig(Strict):
    """One object type (User or Group): its anchor, selected attributes and deprovisioning, plus `target`, the
    connector type's own settings for it (table, object class, DN template...)."""

    anchor: AnchorConfig
    dn: str | None = None
    """`autogenerated` (CN=<anchor>,OBJECT=<TYPE>), a target attribute that holds the DN, or None."""
    attributes: dict[str, AttributeConfig]
    deprovisioning: Deprovisioning = Deprovisioning()
    description: str = ""
    target: SerializeAsAny[TargetSettings] | None = None
    """the connector type's `object_type_model`, validated by the loader (None on a config built without one)"""

    @field_validator("attributes")
    @classmethod
    def _not_empty(cls, value: dict[str, AttributeConfig]) -> dict[str, AttributeConfig]:
        if not value:
            raise ValueError("select at least one attribute")
        return value


GENERIC_OBJECT_TYPE_KEYS = frozenset(ObjectTypeConfig.model_fields) - {"target"}


class TokenConfig(Strict):
    """The connector's secret token, stored only as a salted hash (see `config.tokens`)."""

    hash: str


class LimitsConfig(Strict):
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    max_page_size: int = Field(default=1000, ge=1)
    default_page_size: int = Field(default=100, ge=1)
    max_filter_length: int = Field(default=10_000, ge=16)
    max_members_per_patch: int = Field(default=10_000, ge=1)
    target_timeout_seconds: float = Field(default=30.0, gt=0)
    """one call to the target; past it, 503 with Retry-After"""
    request_timeout_seconds: float = Field(default=55.0, gt=0)
    """one whole request (Entra gives up after about 60 s); past it, 503 with Retry-After"""
    max_concurrent_requests: int = Field(default=64, ge=1)
    """requests of this connector in flight at once; more wait up to `queue_timeout_seconds`, then 429"""
    queue_timeout_seconds: float = Field(default=5.0, ge=0)


class SchemaViews(StrEnum):
    """Which SCIM views of the selected attributes a connector serves (`views:` in the connector file)."""

    BOTH = "both"
    """core/enterprise paths (where `scim:` maps them) and the ECMA2Host extension: Entra's ECMA template and any
    SCIM client alike (the default, as every connector file before `views:` was served)"""
    CORE = "core"
    """only the core schema and the enterprise extension: what strict RFC 7643 clients and conformance tools
    expect; attributes without `scim:` are not served"""
    EXTENSION = "extension"
    """only the ECMA2Host extension (and `id`, `meta`, group `members`): what Entra's on-premises ECMA template
    maps to"""


class ConnectorConfig(Strict):
    name: str = Field(pattern=NAME_PATTERN)
    type: str
    description: str = ""
    token: TokenConfig | None = None
    connection: SerializeAsAny[ConnectionSettings] | None = None
    """the connector type's `connection_model`, validated by the loader (None on a config built without one)"""
    views: SchemaViews = SchemaViews.BOTH
    object_types: dict[Literal["User", "Group"], ObjectTypeConfig]
    limits: LimitsConfig = LimitsConfig()

    @field_validator("object_types")
    @classmethod
    def _has_user_or_group(cls, value: dict[str, ObjectTypeConfig]) -> dict[str, ObjectTypeConfig]:
        if not value:
            raise ValueError("configure at least one object type: User or Group")
        return value

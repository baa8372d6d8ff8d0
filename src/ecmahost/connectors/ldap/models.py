"""The LDAP connector's own configuration: its `connection` block and the LDAP keys of an object type.

Generic object type keys (anchor, attributes, deprovisioning) live in `config.model.ObjectTypeConfig`; this module
validates only what is specific to LDAP. It does not contact a server: whether the object classes and attributes
exist is checked by `discover()` / `check()`.
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path

from cryptography import x509
from ldap3.core.exceptions import LDAPInvalidDnError
from ldap3.utils.dn import parse_dn
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ecmahost.config.model import ConnectionSettings, TargetSettings
from ecmahost.config.secrets import Secret

_FINGERPRINT = re.compile(r"^(sha256:)?([0-9A-Fa-f]{2}:?){32}$")
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Security(StrEnum):
    NONE = "none"
    STARTTLS = "starttls"
    LDAPS = "ldaps"


class LdapConnection(ConnectionSettings):
    """How to reach and bind to the directory.

    `password` comes resolved from the config layer (`${env:X}` or an encrypted secret) and is never logged.
    `trust_certificate` is PEM text or a SHA-256 fingerprint `sha256:AB:CD:...`: a CA or a self-signed
    certificate is trusted as a CA; a server certificate a CA issued, or a fingerprint, is pinned (the server must
    present exactly it; no CA, date or name check). See `trust`.
    """

    host: str
    port: int | None = Field(default=None, ge=1, le=65535)
    """389 for `none`/`starttls`, 636 for `ldaps` when not set"""
    security: Security = Security.NONE
    ca_file: Path | None = None
    trust_certificate: str | None = None
    bind_dn: str | None = None
    password: Secret | None = Field(default=None, repr=False)
    timeout_seconds: float = Field(default=180.0, gt=0)
    """per operation, as the ECMA host's `Connection Timeout`"""
    connect_timeout_seconds: float = Field(default=10.0, gt=0)
    base_dns: list[str] = Field(default_factory=list)
    """the partitions (naming contexts) this connector may touch; empty: every object type's `base_dn`"""
    page_size: int = Field(default=500, ge=1, le=100_000)
    pool_size: int = Field(default=10, ge=1, le=1000)
    pool_timeout_seconds: float = Field(default=10.0, gt=0)
    dn_attribute: str | None = None
    """the attribute that holds an entry's own DN in filters (`-dn-` filters): `entryDN` on OpenLDAP and 389 DS,
    `distinguishedName` on AD LDS; detected from the root DSE when not set"""

    @property
    def effective_port(self) -> int:
        if self.port is not None:
            return self.port
        return 636 if self.security is Security.LDAPS else 389

    @field_validator("trust_certificate")
    @classmethod
    def _pem_or_fingerprint(cls, value: str | None) -> str | None:
        if value is None:
            return None
        text = value.strip()
        if "-----BEGIN CERTIFICATE-----" in text:
            try:
                x509.load_pem_x509_certificates(text.encode("ascii"))
            except ValueError as exc:
                raise ValueError(f"the PEM certificate cannot be read ({exc}); paste it whole, BEGIN to END") from None
            return text
        if _FINGERPRINT.match(text):
            return text
        raise ValueError(
            "expected a PEM certificate (-----BEGIN CERTIFICATE----- ...) or a SHA-256 fingerprint "
            "such as sha256:AB:CD:... (64 hex digits)"
        )

    @field_validator("base_dns")
    @classmethod
    def _valid_dns(cls, value: list[str]) -> list[str]:
        for dn in value:
            _check_dn(dn)
        return value

    @model_validator(mode="after")
    def _tls_settings(self) -> LdapConnection:
        if self.security is Security.NONE and (self.ca_file or self.trust_certificate):
            raise ValueError("`ca_file` and `trust_certificate` need `security: starttls` or `security: ldaps`")
        if self.ca_file and self.trust_certificate:
            raise ValueError("set either `ca_file` or `trust_certificate`, not both")
        if self.password is not None and not self.bind_dn:
            raise ValueError("a `password` needs a `bind_dn`")
        return self


class LdapObjectType(TargetSettings):
    """The LDAP keys of one object type: which entries it is, where they live and how a new one is named."""

    object_classes: list[str] = Field(min_length=1)
    """structural class first, then auxiliaries: [inetOrgPerson] or [groupOfNames]"""
    base_dn: str
    dn_template: str | None = None
    """e.g. `uid={uid},ou=People,dc=example,dc=org`; each `{attribute}` is filled from the record, RDN-escaped.
    Without it, a create must carry the DN in the `-dn-` attribute."""
    scope: str = Field(default="subtree", pattern="^(subtree|one)$")
    search_filter: str | None = None
    """an extra LDAP filter AND-ed to every search, written by the admin, e.g. `(!(uid=svc-*))`"""
    create_missing_ous: bool = False
    create_defaults: dict[str, str] = Field(default_factory=dict)
    """values written on create when the record has none: templates like `{givenName} {sn}` (skipped when a
    placeholder has no value); e.g. `cn: "{uid}"` for inetOrgPerson, whose `cn` is mandatory"""
    member_attribute: str | None = None
    """member, uniqueMember or memberUid: makes this object type a group"""
    member_reference: str = "-dn-"
    """what a member value holds: the member's DN (`-dn-`) or one of its attributes (`uid` for memberUid)"""
    empty_member_dn: str | None = None
    """a placeholder member kept in otherwise empty groups, for classes that require a member (groupOfNames);
    never returned as a member"""
    password_attribute: str | None = None
    """written on create only and never read back (userPassword)"""
    hash_passwords: bool = False
    """store `{SSHA}` hashes instead of the clear text (for servers that do not hash by themselves)"""
    maintain_member_references: bool = True
    """on delete and rename of an entry, fix the member values of groups that name it (the job of the
    `refint` overlay on OpenLDAP; turn off where the server does it)"""

    @field_validator("base_dn", "empty_member_dn")
    @classmethod
    def _valid_dn(cls, value: str | None) -> str | None:
        if value is not None:
            _check_dn(value)
        return value

    @field_validator("dn_template")
    @classmethod
    def _valid_template(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not _PLACEHOLDER.search(value.split(",")[0]):
            raise ValueError(
                "the first RDN needs an {attribute} placeholder, e.g. uid={uid},ou=People,dc=example,dc=org"
            )
        _check_dn(_PLACEHOLDER.sub("x", value))
        return value

    @field_validator("search_filter")
    @classmethod
    def _parenthesized(cls, value: str | None) -> str | None:
        if value is not None and not (value.startswith("(") and value.endswith(")")):
            raise ValueError("write the filter in parentheses, e.g. (!(uid=svc-*))")
        return value

    @model_validator(mode="after")
    def _member_settings(self) -> LdapObjectType:
        if self.member_attribute is None and (self.empty_member_dn or self.member_reference != "-dn-"):
            raise ValueError("`empty_member_dn` and `member_reference` need `member_attribute`")
        if self.empty_member_dn and self.member_reference != "-dn-":
            raise ValueError("`empty_member_dn` is for DN-valued member attributes (member, uniqueMember)")
        return self

    def placeholders(self) -> list[str]:
        return _PLACEHOLDER.findall(self.dn_template or "")


def _check_dn(value: str) -> None:
    try:
        parse_dn(value)
    except LDAPInvalidDnError:
        raise ValueError(f"not a valid DN: {value!r}") from None

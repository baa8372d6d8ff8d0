"""The wizard's answers (`ConnectorDraft`) and the single function that turns them into a connector file.

A draft is plain, mutable data: the web UI keeps one per browser session, the CLI builds one from flags, an
answers file or prompts. Secrets never sit in a draft in clear: `set_secret` encrypts a typed password with the
home's key at once (`enc:...`), and a generated token is kept only as its hash. `to_file_dict` is the one place
that decides the connector file's layout for the wizard, so the web UI and the CLI write the same file.

This module does no I/O apart from encrypting with the home's key; it does not validate (see `wizard.steps`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ecmahost.config import secrets
from ecmahost.config.model import AnchorGeneration, AttributeType, SchemaViews
from ecmahost.config.yaml_io import to_plain
from ecmahost.home import Home

OBJECT_TYPES = ("User", "Group")
DEPROVISION_CHOICES = ("nothing", "delete", "set")


@dataclass(slots=True)
class SelectedAttribute:
    """One exposed target attribute: its SCIM mapping (None: only in the ECMA2Host extension) and type."""

    scim: str | None = None
    type: AttributeType = AttributeType.STRING
    required: bool = False
    unique: bool = False
    multi_valued: bool = False
    """a list of values; LDAP's "Treat as single value" unchecked"""
    extra: dict[str, Any] = field(default_factory=dict)
    """other attribute keys kept as found in an edited file (case_exact, mutability, sub_attributes, ...)"""

    def to_file(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.scim:
            data["scim"] = self.scim
        if self.type is not AttributeType.STRING:
            data["type"] = self.type.value
        if self.required:
            data["required"] = True
        if self.unique:
            data["unique"] = True
        if self.multi_valued:
            data["multi_valued"] = True
        data.update(self.extra)
        return data


@dataclass(slots=True)
class Deprovision:
    """`nothing`, `delete`, or `set` with the boolean attribute and the value it gets."""

    kind: str = "nothing"
    attribute: str | None = None
    value: bool = False

    def to_file(self) -> Any:
        if self.kind == "set":
            return {"set": {self.attribute: self.value}}
        return self.kind

    @classmethod
    def from_file(cls, raw: Any, default: str) -> Deprovision:
        if isinstance(raw, Mapping) and isinstance(raw.get("set"), Mapping) and raw["set"]:
            attribute, value = next(iter(raw["set"].items()))
            return cls("set", str(attribute), bool(value))
        return cls(str(raw) if isinstance(raw, str) else default)

    def label(self) -> str:
        return f"set {self.attribute} = {str(self.value).lower()}" if self.kind == "set" else self.kind


@dataclass(slots=True)
class ObjectTypeDraft:
    """One object type: its place in the target (`target`: `table` for SQL, `object_classes`/`base_dn` for
    LDAP), anchor, DN rule, selected attributes and deprovisioning."""

    target: dict[str, Any] = field(default_factory=dict)
    anchor: str = ""
    anchor_generate: AnchorGeneration = AnchorGeneration.UUID
    dn: str | None = None
    attributes: dict[str, SelectedAttribute] = field(default_factory=dict)
    disable: Deprovision = field(default_factory=Deprovision)
    delete: Deprovision = field(default_factory=lambda: Deprovision("delete"))
    description: str = ""
    container: str = ""
    """where the objects live when the target block does not say it (a script's object class); never written"""
    undecided: dict[str, str] = field(default_factory=dict)
    """what the target's facts did not settle (`anchor`: who produces its value), each an issue until the admin
    answers it; never written"""

    def to_file(self) -> dict[str, Any]:
        data: dict[str, Any] = dict(self.target)
        data["anchor"] = (
            self.anchor
            if self.anchor_generate is AnchorGeneration.UUID
            else {"attribute": self.anchor, "generate": self.anchor_generate.value}
        )
        if self.dn:
            data["dn"] = self.dn
        if self.description:
            data["description"] = self.description
        data["attributes"] = {name: attribute.to_file() for name, attribute in self.attributes.items()}
        deprovisioning = {}
        if self.disable.kind != "nothing":
            deprovisioning["disable"] = self.disable.to_file()
        if self.delete.kind != "delete":
            deprovisioning["delete"] = self.delete.to_file()
        if deprovisioning:
            data["deprovisioning"] = deprovisioning
        return data


@dataclass(slots=True)
class ConnectorDraft:
    name: str = ""
    type: str = "sql"
    description: str = ""
    token_hash: str | None = None
    connection: dict[str, Any] = field(default_factory=dict)
    """the `connection` block as written to the file: secrets already `enc:` or `${env:..}`"""
    object_types: dict[str, ObjectTypeDraft] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    """top-level keys the wizard does not edit (e.g. `limits`), kept as they were"""
    existing: bool = False
    """editing a connector that is already saved (its name is then fixed)"""
    hints: dict[str, str] = field(default_factory=dict)
    """wizard-only answers (e.g. the REST collections to discover); never written to the file"""

    def set_secret(self, field_name: str, value: str, home: Home) -> None:
        """Store a typed secret (a password) encrypted with the home's key; an empty value removes it."""
        if value:
            self.connection[field_name] = secrets.encrypt(value, home)
        else:
            self.connection.pop(field_name, None)

    def set_env_secret(self, field_name: str, variable: str) -> None:
        """Reference an environment variable instead of storing the secret: `${env:VARIABLE}`."""
        self.connection[field_name] = f"${{env:{variable}}}"

    @property
    def views(self) -> SchemaViews:
        """The file's `views:` (`both` when absent or not one of the choices: the loader reports a wrong one)."""
        try:
            return SchemaViews(str(self.extra.get("views", SchemaViews.BOTH.value)).lower())
        except ValueError:
            return SchemaViews.BOTH

    def set_views(self, views: SchemaViews) -> None:
        """Write `views:`; the default (`both`) is left out of the file, as in files written before the key."""
        if views is SchemaViews.BOTH:
            self.extra.pop("views", None)
        else:
            self.extra["views"] = views.value

    def to_file_dict(self) -> dict[str, Any]:
        """The connector file's content, in the order an admin reads it."""
        data: dict[str, Any] = {"name": self.name, "type": self.type}
        if self.description:
            data["description"] = self.description
        if self.token_hash:
            data["token"] = {"hash": self.token_hash}
        data["connection"] = {key: value for key, value in self.connection.items() if value not in (None, "")}
        data["object_types"] = {
            name: self.object_types[name].to_file() for name in OBJECT_TYPES if name in self.object_types
        }
        data.update(self.extra)
        return data


_ATTRIBUTE_KEYS = ("scim", "type", "required", "unique", "multi_valued")
_OBJECT_TYPE_KEYS = ("anchor", "dn", "attributes", "deprovisioning", "description")


def draft_from_file(raw: Mapping[str, Any]) -> ConnectorDraft:
    """A draft of an existing connector file, to edit it (unknown keys are carried along unchanged)."""
    plain: dict[str, Any] = to_plain(raw)
    token = plain.get("token")
    draft = ConnectorDraft(
        name=str(plain.get("name", "")),
        type=str(plain.get("type", "")),
        description=str(plain.get("description", "") or ""),
        token_hash=token.get("hash") if isinstance(token, dict) else None,
        connection=dict(plain.get("connection") or {}),
        extra={k: v for k, v in plain.items() if k not in {"name", "type", "description", "token", "connection"}},
        existing=True,
    )
    draft.extra.pop("object_types", None)
    for type_name, body in (plain.get("object_types") or {}).items():
        if isinstance(body, dict):
            object_type = _object_type_from_file(body)
            if not object_type.target:
                object_type.container = str(type_name)  # a script's object type: the script decides where
            draft.object_types[str(type_name)] = object_type
    return draft


def _object_type_from_file(body: dict[str, Any]) -> ObjectTypeDraft:
    anchor = body.get("anchor")
    if isinstance(anchor, dict):
        name, generate = str(anchor.get("attribute", "")), AnchorGeneration(anchor.get("generate", "uuid"))
    else:
        name, generate = str(anchor or ""), AnchorGeneration.UUID
    deprovisioning = body.get("deprovisioning") or {}
    attributes = {}
    for attribute_name, spec in (body.get("attributes") or {}).items():
        spec = spec if isinstance(spec, dict) else {}
        attributes[str(attribute_name)] = SelectedAttribute(
            scim=spec.get("scim"),
            type=AttributeType(spec.get("type", "string")),
            required=bool(spec.get("required", False)),
            unique=bool(spec.get("unique", False)),
            multi_valued=bool(spec.get("multi_valued", False)),
            extra={k: v for k, v in spec.items() if k not in _ATTRIBUTE_KEYS},
        )
    return ObjectTypeDraft(
        target={k: v for k, v in body.items() if k not in _OBJECT_TYPE_KEYS},
        anchor=name,
        anchor_generate=generate,
        dn=body.get("dn"),
        attributes=attributes,
        disable=Deprovision.from_file(deprovisioning.get("disable"), "nothing"),
        delete=Deprovision.from_file(deprovisioning.get("delete"), "delete"),
        description=str(body.get("description", "") or ""),
    )

"""Connector errors as SCIM errors, with the attribute named the way the client wrote it.

A connector names the target attribute a refusal is about (`ContosoLogin`); the client sent `userName` or the
ECMA2Host extension path. This module puts both in the detail (`userName (target attribute ContosoLogin)`) and
picks the SCIM status. It does no I/O.
"""

from __future__ import annotations

from ecmahost import errors
from ecmahost.connectors import errors as target
from ecmahost.scim.mapping import Field, ObjectMapping


def scim_error(exc: target.ConnectorError, mapping: ObjectMapping | None) -> errors.ScimError | None:
    """The SCIM error for a uniqueness or constraint refusal; None for any other connector error."""
    if isinstance(exc, target.ObjectExists):
        return errors.Uniqueness(_named(exc, mapping))
    if isinstance(exc, target.ConstraintViolation):
        return errors.InvalidValue(_named(exc, mapping))
    return None


def _named(exc: target.ConnectorError, mapping: ObjectMapping | None) -> str:
    """`exc.detail` with its leading target attribute given its SCIM path too."""
    attribute = exc.attribute
    if attribute is None or mapping is None or not exc.detail.startswith(attribute):
        return exc.detail
    name, _, sub = attribute.partition(".") if _field(mapping, attribute) is None else (attribute, "", "")
    field = _field(mapping, name)
    if field is None:
        if exc.problem is target.Problem.REQUIRED:
            return (
                f"the target requires a value for {attribute}, which this connector does not map: select it in the "
                "connector file (and send it), or give it a default in the target"
            )
        return exc.detail
    return label(mapping, field, sub) + exc.detail[len(attribute) :]


def label(mapping: ObjectMapping, field: Field, sub: str = "") -> str:
    """`userName (target attribute ContosoLogin)`, or the extension path for an attribute without a core one;
    `phoneNumbers.value (target attribute PhoneNumbers.value)` for a sub-attribute of a complex one."""
    path = field.config.scim or f"{mapping.extension_urn}:{field.name}"
    if sub:
        return f"{path}.{sub} (target attribute {field.name}.{sub})"
    return f"{path} (target attribute {field.name})"


def _field(mapping: ObjectMapping, attribute: str) -> Field | None:
    field = mapping.fields.get(attribute)
    if field is not None:
        return field
    lowered = attribute.lower()
    return next((f for name, f in mapping.fields.items() if name.lower() == lowered), None)

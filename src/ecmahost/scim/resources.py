"""SCIM resources <-> target records, through an `ObjectMapping`.

`render` builds the JSON a client reads (core, enterprise and ECMA2Host extension views of the same record, `id`
and `meta`); `extract` reads a POST/PUT body into a record. Attribute names are matched case-insensitively
(RFC 7643 §2.1); keys the connector does not store are ignored on input, as RFC 7644 §3.3 allows (Entra sends
`roles: []` and `"title": null` for attributes a target may not have). Nothing here does I/O.
"""

from __future__ import annotations

import hashlib
import weakref
from dataclasses import dataclass
from typing import Any

import orjson

from ecmahost.connectors.query import MEMBERS, META_CREATED, META_MODIFIED, Record
from ecmahost.errors import InvalidSyntax, InvalidValue
from ecmahost.scim import urns
from ecmahost.scim.evaluate import matches
from ecmahost.scim.mapping import DN, ElementGroup, Field, ObjectMapping
from ecmahost.scim.projection import ALWAYS_RETURNED, project  # noqa: F401  (re-exported: the service projects)
from ecmahost.scim.values import to_scim


def ci_get(data: Any, key: str) -> Any:
    """`data[key]` with the key matched case-insensitively; None when absent or `data` is not a dict."""
    if not isinstance(data, dict):
        return None
    if key in data:
        return data[key]
    lowered = key.lower()
    for name, value in data.items():
        if isinstance(name, str) and name.lower() == lowered:
            return value
    return None


def ci_has(data: Any, key: str) -> bool:
    if not isinstance(data, dict):
        return False
    lowered = key.lower()
    return any(isinstance(name, str) and name.lower() == lowered for name in data)


# -- rendering --------------------------------------------------------------------------------------------------


def _render_elements(resource: dict[str, Any], record: Record, mapping: ObjectMapping) -> None:
    for groups in mapping.elements.values():
        elements = [e for e in (_render_group(group, record) for group in groups) if e]
        if elements:
            any_field = next(iter(groups[0].fields.values()))
            assert any_field.core is not None
            resource[any_field.core.attr.attr] = elements


def _render_group(group: ElementGroup, record: Record) -> dict[str, Any] | None:
    element: dict[str, Any] = {}
    for item in group.fields.values():
        value = record.get(item.name)
        if value is not None and item.returned:
            assert item.core is not None
            element[item.core.sub or "value"] = to_scim(value)
    if not element:
        return None
    return {**group.selector, **element}


def version_of(resource: dict[str, Any]) -> str:
    digest = hashlib.blake2b(orjson.dumps(resource, option=orjson.OPT_SORT_KEYS), digest_size=12).hexdigest()
    return f'W/"{digest}"'


@dataclass(frozen=True, slots=True)
class _Step:
    """How `render` places one returned field, worked out once per mapping (the request path only reads it)."""

    name: str
    complex: bool
    attr: str | None
    """the core/enterprise attribute it also appears as (None: only in the ECMA2Host extension view)"""
    container: str | None
    """the schema URN object it nests in (None: top level of the resource)"""
    sub: str | None
    manager: bool
    """a reference shown as `{"value": ...}` (the enterprise `manager`)"""


_STEPS: weakref.WeakKeyDictionary[ObjectMapping, tuple[_Step, ...]] = weakref.WeakKeyDictionary()


def _steps(mapping: ObjectMapping) -> tuple[_Step, ...]:
    steps = _STEPS.get(mapping)
    if steps is None:
        steps = tuple(_step(item) for item in mapping.fields.values() if item.returned)
        _STEPS[mapping] = steps
    return steps


def _step(item: Field) -> _Step:
    core = item.core
    if core is None or core.value_filter is not None:
        return _Step(item.name, item.is_complex, None, None, None, False)
    urn = core.attr.urn
    nested = bool(urn) and urn.lower() != urns.CORE_USER.lower() and urn != urns.CORE_GROUP
    manager = item.type.value == "reference" and core.attr.attr.lower() == "manager" and not core.attr.sub
    return _Step(item.name, item.is_complex, core.attr.attr, urn if nested else None, core.attr.sub, manager)


def render(mapping: ObjectMapping, record: Record, *, base_url: str) -> dict[str, Any]:
    """The full SCIM resource for `record`; `base_url` is the tenant URL (`https://host:8585/ecma2host_X/scim`)."""
    anchor = str(record[mapping.anchor])
    resource: dict[str, Any] = {"id": anchor}
    extension: dict[str, Any] = {}
    for step in _steps(mapping):
        value = record.get(step.name)
        if value is None or value == []:
            continue  # RFC 7643 §2.5: unassigned attributes, null or empty list alike, are not returned
        if type(value) is not str:
            value = [to_scim(v) for v in value] if isinstance(value, list) and not step.complex else to_scim(value)
        extension[step.name] = value
        if step.attr is not None:
            target = resource if step.container is None else resource.setdefault(step.container, {})
            if step.sub:
                target.setdefault(step.attr, {})[step.sub] = value
            elif step.manager:
                target[step.attr] = {"value": value}
            else:
                target[step.attr] = value
    _render_elements(resource, record, mapping)
    if mapping.dn_autogenerated:
        extension[DN] = mapping.dn_of(anchor)
    elif mapping.dn_attribute and record.get(mapping.dn_attribute) is not None:
        extension[DN] = to_scim(record[mapping.dn_attribute])
    if extension:
        resource[mapping.extension_urn] = extension
    if mapping.has_members and MEMBERS in record:
        resource["members"] = [{"value": m, "$ref": f"{base_url}/Users/{m}", "type": "User"} for m in record[MEMBERS]]
    resource["schemas"] = mapping.schemas_of(resource)
    endpoint = "Users" if mapping.object_type == "User" else "Groups"
    meta: dict[str, Any] = {
        "resourceType": mapping.object_type,
        "location": f"{base_url}/{endpoint}/{anchor}",
    }
    if record.get(META_CREATED) is not None:
        meta["created"] = to_scim(record[META_CREATED])
    if record.get(META_MODIFIED) is not None:
        meta["lastModified"] = to_scim(record[META_MODIFIED])
    meta["version"] = version_of(resource)
    resource["meta"] = meta
    return resource


# -- extraction ------------------------------------------------------------------------------------------------


def check_schemas(mapping: ObjectMapping, body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InvalidSyntax("the request body must be a JSON object")
    schemas = body.get("schemas")
    if not isinstance(schemas, list) or not all(isinstance(s, str) for s in schemas):
        raise InvalidSyntax(f'"schemas" must be a list of schema URNs including "{mapping.core_urn}"')
    if not any(s.lower() == mapping.core_urn.lower() for s in schemas):
        raise InvalidSyntax(f'"schemas" must include "{mapping.core_urn}"')
    return body


class _Caseless:
    """Case-insensitive key look-ups (RFC 7643 §2.1) in one request body: each object's keys are folded once, not
    scanned again for each of the mapping's attributes (a POST of a user looked a key up about 40 times)."""

    def __init__(self) -> None:
        self._folded: dict[int, dict[str, Any]] = {}

    def get(self, data: Any, key: str) -> tuple[bool, Any]:
        """(found, value): an exact key first, else the first key equal to `key` ignoring case."""
        if not isinstance(data, dict):
            return False, None
        if key in data:
            return True, data[key]
        folded = self._folded.get(id(data))
        if folded is None:
            folded = {}
            for name, value in data.items():
                if isinstance(name, str):
                    folded.setdefault(name.lower(), value)
            self._folded[id(data)] = folded
        lowered = key.lower()
        return (True, folded[lowered]) if lowered in folded else (False, None)


def _core_value(resource: dict[str, Any], item: Field, look: _Caseless) -> tuple[bool, Any]:
    core = item.core
    assert core is not None
    holder: Any = resource
    if core.attr.urn and core.attr.urn.lower() not in (urns.CORE_USER.lower(), urns.CORE_GROUP.lower()):
        holder = look.get(resource, core.attr.urn)[1]
        if holder is not None and not isinstance(holder, dict):
            raise InvalidValue(f"{core.attr.urn} must be an object")
    if core.value_filter is not None:
        return _element_value(holder, item, look)
    found, value = look.get(holder, core.attr.attr)
    if not found:
        return False, None
    if core.attr.sub:
        if value is None:
            return True, None
        if not isinstance(value, dict):
            raise InvalidValue(f"{core.attr.attr} must be an object with sub-attributes such as {core.attr.sub}")
        return look.get(value, core.attr.sub)
    return True, value


def _element_value(holder: Any, item: Field, look: _Caseless) -> tuple[bool, Any]:
    core = item.core
    assert core is not None
    assert core.value_filter is not None
    found, elements = look.get(holder, core.attr.attr)
    if elements is None:
        return found, None
    if not isinstance(elements, list) or not all(isinstance(e, dict) for e in elements):
        raise InvalidValue(f'{core.attr.attr} must be a list of objects such as {{"type": "work", "value": ...}}')
    for element in elements:
        if isinstance(element, dict) and matches(core.value_filter, element):
            return look.get(element, core.sub or "value")
    return False, None


def extract(mapping: ObjectMapping, body: dict[str, Any]) -> dict[str, Any]:
    """The record a POST or PUT body asks for: every writable field the body names (None where it says null)."""
    record: dict[str, Any] = {}
    look = _Caseless()
    extension = look.get(body, mapping.extension_urn)[1]
    for item in mapping.fields.values():
        found, value = (False, None) if item.core is None else _core_value(body, item, look)
        in_extension, ext_value = look.get(extension, item.name)
        if in_extension:
            if found and value != ext_value and value is not None and ext_value is not None:
                raise InvalidValue(
                    f"{item.name} is given twice with different values: at {item.config.scim} and in "
                    f"{mapping.extension_urn}"
                )
            found, value = True, ext_value if ext_value is not None else value
        if found and item.writable:
            record[item.name] = mapping.convert(item, value, label=item.config.scim or item.name)
    return record


def require(mapping: ObjectMapping, record: Record) -> None:
    """Raise when a required attribute is missing, null or an empty string."""
    missing = [
        item.config.scim or item.name
        for item in mapping.fields.values()
        if item.config.required and record.get(item.name) in (None, "")
    ]
    if missing:
        raise InvalidValue(f"required attribute missing: {', '.join(missing)}")

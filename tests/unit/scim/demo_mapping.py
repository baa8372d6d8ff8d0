"""The demo connector's object types as compiled mappings, for pure-logic tests of the SCIM layer."""

from __future__ import annotations

from ecmahost.config.model import GENERIC_OBJECT_TYPE_KEYS, ObjectTypeConfig
from ecmahost.demo import demo_connector
from ecmahost.scim.mapping import ObjectMapping


def demo_mapping(object_type: str = "User") -> ObjectMapping:
    raw = demo_connector()["object_types"][object_type]
    generic = {k: v for k, v in raw.items() if k in GENERIC_OBJECT_TYPE_KEYS}
    return ObjectMapping(object_type, ObjectTypeConfig.model_validate(generic), has_members=object_type == "Group")

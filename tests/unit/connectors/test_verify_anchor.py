"""`anchor_problems`: with `anchor.generate: none` a client must be able to send the anchor."""

from __future__ import annotations

from typing import Any

import pytest

from ecmahost.config.model import ConnectorConfig
from ecmahost.connectors.verify import anchor_problems, closest


def config(views: str, generate: str, scim: str | None) -> ConnectorConfig:
    person: dict[str, Any] = {"scim": scim} if scim else {}
    user = {"anchor": {"attribute": "PersonId", "generate": generate}, "attributes": {"PersonId": person}}
    return ConnectorConfig.model_validate({"name": "hr", "type": "sql", "views": views, "object_types": {"User": user}})


@pytest.mark.parametrize(
    ("views", "generate", "scim", "refused"),
    [
        ("core", "none", None, True),  # nobody can send it: the extension is not served
        ("core", "none", "externalId", False),
        ("both", "none", None, False),  # sent through the ECMA2Host extension (Entra's ECMA template)
        ("extension", "none", None, False),
        ("core", "uuid", None, False),
        ("core", "target", None, False),
    ],
)
def test_an_anchor_the_client_supplies_must_be_sendable(
    views: str, generate: str, scim: str | None, refused: bool
) -> None:
    found = config(views, generate, scim)
    problems = anchor_problems(found, "User", found.object_types["User"])
    assert bool(problems) is refused
    if refused:
        assert problems[0].where == "object_types.User.anchor"
        assert "generate: uuid" in problems[0].fix


def test_closest_suggests_near_names_or_lists_the_known_ones() -> None:
    assert closest("Logon", ["Login", "Email"]) == "did you mean 'Login'"
    assert closest("", ["b", "a"]) == "one of: a, b"
    assert closest("x", []) == "there is none"

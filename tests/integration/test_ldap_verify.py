"""`LdapConnector.verify` against a real slapd: base DNs, object classes and attributes of the schema, attributes
the classes do not allow, MUST attributes nobody writes, the anchor and a DN template's parent; each problem with
its file key and fix."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from ecmahost.config.validation import validate_connector
from ecmahost.connectors.base import TargetProblem
from ecmahost.connectors.ldap import LdapConnector
from ecmahost.home import Home

from support.slapd import BASE_DN, PASSWORD_ENV, ROOT_PASSWORD, Slapd, connector_file

pytestmark = [pytest.mark.ldap, pytest.mark.anyio]


@pytest.fixture(autouse=True)
def _bind_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, ROOT_PASSWORD)


@pytest.fixture
async def verified(ldap_server: Slapd, tmp_path: Path) -> AsyncIterator[Any]:
    connectors: list[LdapConnector] = []

    async def run(change: Any = None) -> dict[str, TargetProblem]:
        raw = copy.deepcopy(connector_file(ldap_server))
        if change is not None:
            change(raw["object_types"]["User"], raw["object_types"]["Group"])
        config = validate_connector(raw, file="ldap.yaml", home=Home(tmp_path))
        connector = LdapConnector(config, home=tmp_path)
        connectors.append(connector)
        await connector.open()
        return {problem.where: problem for problem in await connector.verify()}

    yield run
    for connector in connectors:
        await connector.close()


async def test_the_test_directory_connector_has_no_problem(verified: Any) -> None:
    assert await verified() == {}


async def test_a_missing_base_dn_and_template_parent_are_named(verified: Any) -> None:
    def change(user: dict[str, Any], group: dict[str, Any]) -> None:
        group["base_dn"] = f"ou=Nowhere,{BASE_DN}"
        group["dn_template"] = f"cn={{cn}},ou=Nowhere,{BASE_DN}"

    found = await verified(change)
    assert "does not exist" in found["object_types.Group.base_dn"].problem
    assert found["object_types.Group.base_dn"].object_type == "Group"
    assert not any(where.startswith("object_types.User") for where in found)


async def test_unknown_classes_and_attributes_are_named_with_a_suggestion(verified: Any) -> None:
    def change(user: dict[str, Any], group: dict[str, Any]) -> None:
        user["attributes"]["mial"] = {}
        group["object_classes"] = ["groupOfName"]

    found = await verified(change)
    assert "attribute 'mial' is not in the directory's schema" in found["object_types.User.attributes.mial"].problem
    assert "'mail'" in found["object_types.User.attributes.mial"].fix
    assert (
        "object class 'groupOfName' is not in the directory's schema"
        in found["object_types.Group.object_classes"].problem
    )
    assert "'groupOfNames'" in found["object_types.Group.object_classes"].fix


async def test_an_attribute_the_classes_do_not_allow_is_named(verified: Any) -> None:
    def change(user: dict[str, Any], group: dict[str, Any]) -> None:
        group["attributes"]["mail"] = {}  # groupOfNames has no mail

    found = await verified(change)
    problem = found["object_types.Group.attributes.mail"]
    assert "not allowed by the object classes [groupOfNames]" in problem.problem
    assert "auxiliary object class" in problem.fix


async def test_a_must_attribute_nobody_writes_is_named(verified: Any) -> None:
    def change(user: dict[str, Any], group: dict[str, Any]) -> None:
        del user["attributes"]["sn"]  # person MUST sn

    found = await verified(change)
    assert "'sn' is a MUST attribute of [inetOrgPerson]" in found["object_types.User.attributes"].problem


async def test_an_anchor_the_directory_does_not_set_cannot_be_generated_by_it(verified: Any) -> None:
    def change(user: dict[str, Any], group: dict[str, Any]) -> None:
        user["anchor"] = {"attribute": "employeeNumber", "generate": "target"}
        group["anchor"] = {"attribute": "entryUUID", "generate": "uuid"}

    found = await verified(change)
    assert "'employeeNumber' is not set by the directory" in found["object_types.User.anchor.generate"].problem
    assert "set by the directory; the host cannot write it" in found["object_types.Group.anchor.generate"].problem

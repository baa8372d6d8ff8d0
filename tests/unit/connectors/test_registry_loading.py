"""Looking up one connector type loads only that type's package, so a worker serving SQL connectors does not pay
for importing the LDAP and REST connectors (ldap3, httpx) at start-up."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ecmahost.connectors.registry import UnknownConnectorType, connector_type, connector_types


def test_looking_up_the_sql_type_loads_no_other_connector_package() -> None:
    code = (
        "import json, sys\n"
        "from ecmahost.connectors.registry import connector_type\n"
        "cls = connector_type('sql')\n"
        "print(json.dumps([cls.type_name, sorted(m for m in sys.modules if m.split('.')[0] in ('ldap3', 'httpx')"
        " or m.startswith(('ecmahost.connectors.ldap', 'ecmahost.connectors.rest')))]))\n"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(output) == ["sql", []]


def test_every_installed_type_is_found_by_name_and_an_unknown_one_names_the_installed() -> None:
    for name, cls in connector_types().items():
        assert connector_type(name) is cls
    with pytest.raises(UnknownConnectorType, match=r"installed types: .*sql"):
        connector_type("no-such-type")

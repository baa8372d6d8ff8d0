"""Test helpers for connector authors: `ConnectorContract`, the rules every connector type must pass.

Usage (see docs/connector-kit.md)::

    from ecmahost.testing import ConnectorContract, ContractNames

    class TestMyConnector(ConnectorContract):
        @pytest.fixture
        def contract_names(self): ...
        @pytest.fixture
        async def contract_connector(self): ...

It needs pytest (and anyio's pytest plugin, installed with anyio); the host itself never imports this package.
"""

import pytest

pytest.register_assert_rewrite("ecmahost.testing.contract_base", "ecmahost.testing.search_rules")
pytest.register_assert_rewrite("ecmahost.testing.write_rules")

from ecmahost.testing.contract import CONTRACT_VERSION, ConnectorContract, ContractNames  # noqa: E402

__all__ = ["CONTRACT_VERSION", "ConnectorContract", "ContractNames"]

"""`ConnectorContract`: rule-named tests every connector type must pass, whatever its target (contract version
`CONTRACT_VERSION`, for `ecmahost.kit.CONNECTOR_API_VERSION`).

Third parties import it to check their own connector (`pip install ecmahost[test]` brings pytest and anyio's
pytest plugin). Collection works by subclassing: pytest collects the rules through a `Test*` subclass defined in
a test module; the base class itself is never collected.

Subclass it and provide two fixtures: `contract_connector` (an opened connector, async) and `contract_names`
(a `ContractNames` naming the target attributes to use). Tests isolate themselves by a random tag in the login,
so they can share one database and run in any order. They use only the `Connector` API::

    class TestMyConnector(ConnectorContract):
        @pytest.fixture
        def contract_names(self) -> ContractNames:
            return ContractNames(login="uid", given_name="givenName", ...)

        @pytest.fixture
        async def contract_connector(self) -> AsyncIterator[Connector]:
            connector = MyConnector(config, home=path)
            await connector.open()
            yield connector
            await connector.close()
"""

from __future__ import annotations

from ecmahost.testing.contract_base import ContractNames
from ecmahost.testing.search_rules import SearchRules
from ecmahost.testing.verify_rules import VerifyRules
from ecmahost.testing.write_rules import WriteRules

__all__ = ["CONTRACT_VERSION", "ConnectorContract", "ContractNames"]

CONTRACT_VERSION = "1.1"


class ConnectorContract(SearchRules, WriteRules, VerifyRules):
    """All contract rules; runs under anyio (asyncio backend by default)."""

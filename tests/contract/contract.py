"""`ConnectorContract`: rule-named tests every connector type must pass, whatever its target.

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

from contract.base import ContractNames
from contract.search_rules import SearchRules
from contract.write_rules import WriteRules

__all__ = ["ConnectorContract", "ContractNames"]


class ConnectorContract(SearchRules, WriteRules):
    """All contract rules; runs under anyio (asyncio backend by default)."""

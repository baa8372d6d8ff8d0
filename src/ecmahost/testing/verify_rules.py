"""Contract rule for `verify`: the connector the contract runs on matches its target."""

from __future__ import annotations

from ecmahost.testing.contract_base import ContractBase


class VerifyRules(ContractBase):
    async def test_verify_finds_no_problem_in_a_connector_that_serves(self, contract_connector):
        assert await contract_connector.verify() == []

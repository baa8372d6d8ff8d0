"""Re-export of `ecmahost.testing.contract` (kept so older imports keep working)."""

from ecmahost.testing.contract import ConnectorContract, ContractNames

__all__ = ["ConnectorContract", "ContractNames"]

"""Re-export of `ecmahost.testing.contract_base` (kept so older imports keep working)."""

from ecmahost.testing.contract_base import ContractBase, ContractNames

__all__ = ["ContractBase", "ContractNames"]

"""`ConnectorContract`: the rules every connector type must pass. It lives in the package now
(`ecmahost.testing`, so third parties can import it); this folder re-exports it so `from contract import ...`
keeps working."""

from ecmahost.testing import ConnectorContract, ContractNames

__all__ = ["ConnectorContract", "ContractNames"]

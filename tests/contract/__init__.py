"""`ConnectorContract`: the rules every connector type must pass, as a reusable pytest base class."""

from contract.contract import ConnectorContract, ContractNames

__all__ = ["ConnectorContract", "ContractNames"]

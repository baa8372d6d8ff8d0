"""A template connector type for ecmahost (`type: memory`): objects kept in the host's memory.

Copy this project, rename the package and the entry point, and replace `MemoryConnector`'s storage with calls to
your target. `tests/test_contract.py` runs ecmahost's `ConnectorContract` against it.
"""

from ecmahost_connector_template.connector import MemoryConnection, MemoryConnector

__all__ = ["MemoryConnection", "MemoryConnector"]

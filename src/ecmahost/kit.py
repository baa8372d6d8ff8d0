"""The connector kit: everything a connector type outside this package imports, from this one module.

This is ecmahost's stable surface for connector authors (docs/connector-kit.md): the names in `__all__` change
only with a new major `CONNECTOR_API_VERSION`, and then with a note in the docs saying what to do. Everything
else under `ecmahost` (the modules these names come from included) may change in any release: import from here.

    from ecmahost.kit import Connector, ConnectionSettings, ObjectNotFound, SearchQuery, search_records

What is here:

- the contract: `Connector` (its docstring is the contract), the settings bases its models derive from
  (`ConnectionSettings`, `TargetSettings`; a secret field is typed `Secret`), what it is handed
  (`ConnectorConfig`, `ObjectTypeConfig`, `AttributeConfig`, `AttributeType`, `AnchorGeneration`) and what it
  answers (`DiscoveredSchema`, `DiscoveredObjectClass`, `DiscoveredAttribute`, `TargetProblem`, `ClearRules`);
- what it is asked, in target terms (`SearchQuery`, `SearchResult`, `Sort`, `Change`, `Record`, the filter AST
  `Filter` = `Compare | Present | And | Or | Not | Any_ | Const` with `Op`, and the reserved keys `MEMBERS`,
  `META_CREATED`, `META_MODIFIED`);
- the typed errors it raises (`ConnectorError` and its subclasses, `Problem`);
- helpers for targets that cannot filter by themselves (`matches`, `search_records`, `project`, `apply_change`,
  `check_required`, `check_unique`, `to_text`, `from_text`) and for `verify` (`anchor_problems`, `closest`);
- a complete connector on plain dicts, `MemoryConnector`: a test double (nothing kept across restarts, never a
  production target, not an installed type) and the reference example of the contract;
- the contract tests (`ConnectorContract`, `ContractNames`, `CONTRACT_VERSION`), loaded only when asked for:
  they need pytest, which a host serving your connector does not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ecmahost.config.connector_types import ENTRY_POINT_GROUP
from ecmahost.config.model import (
    AnchorGeneration,
    AttributeConfig,
    AttributeType,
    ConnectionSettings,
    ConnectorConfig,
    ObjectTypeConfig,
    TargetSettings,
)
from ecmahost.config.secrets import Secret
from ecmahost.connectors.base import (
    NO_CLEAR_RULES,
    ClearRules,
    Connector,
    DiscoveredAttribute,
    DiscoveredObjectClass,
    DiscoveredSchema,
    TargetProblem,
)
from ecmahost.connectors.errors import (
    ConfigurationError,
    ConnectorError,
    ConstraintViolation,
    MembersNotFound,
    ObjectExists,
    ObjectNotFound,
    Problem,
    TargetMismatch,
    TargetUnavailable,
)
from ecmahost.connectors.kit import CONNECTOR_API_VERSION
from ecmahost.connectors.kit.evaluate import matches
from ecmahost.connectors.kit.memory import project, search_records
from ecmahost.connectors.kit.memory_connector import MemoryConnector
from ecmahost.connectors.kit.records import apply_change, check_required, check_unique, from_text, to_text
from ecmahost.connectors.query import (
    MEMBERS,
    META_CREATED,
    META_MODIFIED,
    And,
    Any_,
    Change,
    Compare,
    Const,
    Filter,
    Not,
    Op,
    Or,
    Present,
    Record,
    SearchQuery,
    SearchResult,
    Sort,
)
from ecmahost.connectors.verify import anchor_problems, closest

if TYPE_CHECKING:
    from ecmahost.testing import CONTRACT_VERSION, ConnectorContract, ContractNames

__all__ = [
    "CONNECTOR_API_VERSION",
    "CONTRACT_VERSION",
    "ENTRY_POINT_GROUP",
    "MEMBERS",
    "META_CREATED",
    "META_MODIFIED",
    "NO_CLEAR_RULES",
    "AnchorGeneration",
    "And",
    "Any_",
    "AttributeConfig",
    "AttributeType",
    "Change",
    "ClearRules",
    "Compare",
    "ConfigurationError",
    "ConnectionSettings",
    "Connector",
    "ConnectorConfig",
    "ConnectorContract",
    "ConnectorError",
    "Const",
    "ConstraintViolation",
    "ContractNames",
    "DiscoveredAttribute",
    "DiscoveredObjectClass",
    "DiscoveredSchema",
    "Filter",
    "MembersNotFound",
    "MemoryConnector",
    "Not",
    "ObjectExists",
    "ObjectNotFound",
    "ObjectTypeConfig",
    "Op",
    "Or",
    "Present",
    "Problem",
    "Record",
    "SearchQuery",
    "SearchResult",
    "Secret",
    "Sort",
    "TargetMismatch",
    "TargetProblem",
    "TargetSettings",
    "TargetUnavailable",
    "anchor_problems",
    "apply_change",
    "check_required",
    "check_unique",
    "closest",
    "from_text",
    "matches",
    "project",
    "search_records",
    "to_text",
]

_CONTRACT = frozenset({"CONTRACT_VERSION", "ConnectorContract", "ContractNames"})


def __getattr__(name: str) -> Any:
    """The contract tests, imported on first use (`ecmahost.testing` needs pytest)."""
    if name in _CONTRACT:
        from ecmahost import testing

        return getattr(testing, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

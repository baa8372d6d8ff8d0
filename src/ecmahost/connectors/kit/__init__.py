"""Helpers for connectors whose target cannot filter by itself (a CSV file, a script that lists everything, a REST
API without a query language), used by the built-in connectors. Third parties import them from `ecmahost.kit`, the
stable surface; this package's layout may change.

- `evaluate.matches(filter, record)`: an in-memory evaluator of `connectors.query.Filter` with SCIM semantics
  (`ne`/`not` include objects without the attribute, `co`/`sw`/`ew` are literal, case-insensitive unless
  `case_exact`).
- `memory.search_records(records, query, anchor)`: filter, sort, page and project a list of records so
  `SearchResult.total` is exact.
- `records`: the rules a target without constraints cannot enforce itself (required and unique attributes),
  applying a `Change` to a record, and typed values <-> text (for file and JSON targets).

Filtering in memory reads every object of the type: right for small targets (a CSV file of a few thousand rows,
a script's listing), wrong for a directory of a million users. Connectors for large targets translate the filter
into the target's query language instead (as the SQL and LDAP connectors do).

`CONNECTOR_API_VERSION` is the version of `ecmahost.kit` (the `Connector` interface, its types and helpers) and of
the contract (`ecmahost.testing`): the major number changes when a connector written for the previous one would
break. 2.0: `connection_model` and `object_type_model` derive from `ConnectionSettings` and `TargetSettings`, and
the base class hands a connector its settings typed (`self.connection`, `self.targets`).
"""

from ecmahost.connectors.kit.evaluate import matches
from ecmahost.connectors.kit.memory import project, search_records
from ecmahost.connectors.kit.records import (
    apply_change,
    check_required,
    check_unique,
    from_text,
    to_text,
)

CONNECTOR_API_VERSION = "2.0"

__all__ = [
    "CONNECTOR_API_VERSION",
    "apply_change",
    "check_required",
    "check_unique",
    "from_text",
    "matches",
    "project",
    "search_records",
    "to_text",
]

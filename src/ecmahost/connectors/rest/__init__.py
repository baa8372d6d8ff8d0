"""The REST connector (`type: rest`): a JSON REST API, configured per operation (docs/rest-connector.md).

Modules: `models` (its config), `pointers` (JSON pointer, JSONPath subset, body templates), `client` (HTTP: auth,
retries within a time budget, statuses -> connector errors), `connector` (`RestConnector`).
"""

from ecmahost.connectors.rest.connector import RestConnector
from ecmahost.connectors.rest.models import RestConnection, RestObjectType

__all__ = ["RestConnection", "RestConnector", "RestObjectType"]

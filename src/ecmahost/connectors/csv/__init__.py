"""The CSV connector (`type: csv`): one CSV file per object type, for small apps and demos.

Modules: `models` (its config), `table` (one file: cached reads, atomic serialized writes), `connector`
(`CsvConnector`: rows <-> records, the rules, in-memory filtering through `connectors.kit`).
"""

from ecmahost.connectors.csv.connector import CsvConnector
from ecmahost.connectors.csv.models import CsvConnection, CsvObjectType

__all__ = ["CsvConnection", "CsvConnector", "CsvObjectType"]

"""The script connector (`type: script`): programs in any language answer each operation through a documented
JSON protocol on stdin/stdout (docs/script-connector.md).

Modules: `models` (its config), `protocol` (the JSON documents), `runner` (processes: per request or long-lived
workers, timeouts, limits, stderr to the log), `connector` (`ScriptConnector`).
"""

from ecmahost.connectors.script.connector import ScriptConnector
from ecmahost.connectors.script.models import ScriptConnection

__all__ = ["ScriptConnection", "ScriptConnector"]

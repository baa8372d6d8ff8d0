"""Re-export of `ecmahost.testing.write_rules` (kept so older imports keep working)."""

from ecmahost.testing.write_rules import WriteRules

__all__ = ["WriteRules"]

"""Re-export of `ecmahost.testing.search_rules` (kept so older imports keep working)."""

from ecmahost.testing.search_rules import SearchRules

__all__ = ["SearchRules"]

"""Connectors: plugins that speak to one kind of target. They see target attribute names and plain values,
never SCIM JSON. Third parties register theirs under the entry point group ``ecmahost.connectors``."""

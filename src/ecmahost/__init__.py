"""ecmahost: an open connector host for identity provisioning (SCIM 2.0 in, SQL/LDAP/... out)."""

__version__ = "0.1.0"

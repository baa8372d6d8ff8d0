"""The generic LDAP connector (`type: ldap`): OpenLDAP, 389 DS, AD LDS and other LDAP v3 directories, through
ldap3.

Modules: `models` (its config), `pool` and `session` (connections, TLS, bind, worker threads), `errors` (ldap3
errors -> connector errors), `spec` and `directory` (object types, finding an entry by anchor), `filter` (filter
-> escaped LDAP filter), `dn` (DN templates, renames), `values` (value and anchor conversion, password hashes),
`reads`, `writes` and `members` (operations), `discovery` (root DSE and subschema), and `connector`
(`LdapConnector`, which ties them together).
"""

from ecmahost.connectors.ldap.connector import LdapConnector
from ecmahost.connectors.ldap.models import LdapConnection, LdapObjectType, Security

__all__ = ["LdapConnection", "LdapConnector", "LdapObjectType", "Security"]

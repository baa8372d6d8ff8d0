"""Read the directory's subschema (RFC 4512 §4.2) through a pooled session without attaching it to the session.

ldap3 keeps a schema it reads with `get_info=ALL` on the connection's `Server`, and from then on validates and
formats that connection's writes by it (a value the syntax refuses raises before it is sent, booleans and dates
are reformatted), unlike the pool's other connections. `read` searches the subentry and parses it apart, so
every connection keeps writing the same way. It writes nothing and keeps nothing.
"""

from __future__ import annotations

from ldap3.core import exceptions as ldap_exc
from ldap3.protocol.rfc4512 import SchemaInfo

from ecmahost.connectors.ldap.session import Session


def read(session: Session) -> SchemaInfo | None:
    """The parsed subschema, or None when the server publishes none or hides it from the bind account (callers
    then use only what the connector file says)."""
    try:
        root = session.read("", ["subschemaSubentry"])
        where = root.get("subschemaSubentry") if root is not None else []
        if not where:
            return None
        dn = where[0].decode("utf-8")
        found = session.search(dn, "(objectClass=subschema)", "base", ["objectClasses", "attributeTypes"])
    except ldap_exc.LDAPOperationResult:
        return None
    if not found:
        return None
    definitions = {
        name: [v.decode("utf-8") for v in found[0].get(name)] for name in ("objectClasses", "attributeTypes")
    }
    return SchemaInfo(dn, definitions, {})

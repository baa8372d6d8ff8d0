"""The generic SQL connector (`type: sql`): any database SQLAlchemy speaks to with an async driver
(PostgreSQL through asyncpg, MariaDB/MySQL through aiomysql, SQLite through aiosqlite).

Modules: `models` (its config), `engine` (URL -> async engine), `tables` (reflection), `compile` (filter -> SQL),
`reads` and `writes` (statements), `errors` (driver errors -> connector errors), `discovery`, `demo_schema`,
and `connector` (`SqlConnector`, which ties them together).
"""

from ecmahost.connectors.sql.connector import SqlConnector
from ecmahost.connectors.sql.models import ChildTable, MembersTable, SqlConnection, SqlObjectType, Timestamps

__all__ = ["ChildTable", "MembersTable", "SqlConnection", "SqlConnector", "SqlObjectType", "Timestamps"]

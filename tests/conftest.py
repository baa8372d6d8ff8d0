"""Session fixtures for databases: throw-away PostgreSQL and MariaDB databases and a SQLite file, each given as
a sync-style SQLAlchemy URL without a password (e.g. `postgresql://postgres@127.0.0.1:5432/ecmahost_t_ab12cd`).
Other fixtures belong in the conftest of the suite that needs them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.databases import mariadb_database, postgres_database


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with postgres_database() as url:
        yield url


@pytest.fixture(scope="session")
def mariadb_url() -> Iterator[str]:
    with mariadb_database() as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'ecmahost.db'}"


# --- LDAP ---------------------------------------------------------------------------------------------------------
# A throw-away slapd for the session (tests/support/slapd.py); installed by scripts/ensure-slapd.sh when missing.


@pytest.fixture(scope="session")
def ldap_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A populated `support.slapd.Slapd` (imported here so the databases section above stays untouched)."""
    from support.slapd import running_slapd

    with running_slapd(tmp_path_factory.mktemp("slapd")) as server:
        yield server

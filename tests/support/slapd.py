"""A throw-away OpenLDAP server for tests: its own slapd.conf, mdb data directory and a free loopback port.

Schemas core, cosine, inetorgperson and nis; suffix `dc=example,dc=org` with `ou=People` and `ou=Groups`; root DN
`cn=admin,dc=example,dc=org`; the `cn=Monitor` database readable by the root DN (operation counters). `stop()`
and `start()` (same port, same data) let a test take the directory away and bring it back. When slapd is not
installed, `scripts/ensure-slapd.sh` installs it (as root); otherwise the tests that need it are skipped.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import pytest
from ldap3 import NONE, Connection, Server

from support.listening import wait_listening

SLAPD = "/usr/sbin/slapd"
SCHEMA_DIR = Path("/etc/ldap/schema")
MODULE_DIR = Path("/usr/lib/ldap")
ENSURE_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "ensure-slapd.sh"
BASE_DN = "dc=example,dc=org"
ROOT_DN = f"cn=admin,{BASE_DN}"
ROOT_PASSWORD = "slapd-test-secret"
PEOPLE = f"ou=People,{BASE_DN}"
GROUPS = f"ou=Groups,{BASE_DN}"

CONFIG_GLOBAL = """\
include {schemas}/core.schema
include {schemas}/cosine.schema
include {schemas}/inetorgperson.schema
include {schemas}/nis.schema
pidfile {home}/slapd.pid
modulepath {modules}
moduleload back_mdb
sortvals member uniqueMember
"""
CONFIG_DATABASES = """\
database mdb
maxsize 1073741824
suffix "{base}"
rootdn "{root}"
rootpw {password}
directory {home}/data
index objectClass eq
index uid,cn,mail,sn,givenName eq,sub
index member,uniqueMember,memberUid eq
index entryUUID eq
database monitor
access to * by dn.exact="{root}" read by * none
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ensure_installed() -> None:
    """Install slapd when missing (root only); skip the calling test when that is not possible."""
    if Path(SLAPD).exists():
        return
    if os.geteuid() != 0:
        pytest.skip("slapd is not installed; run scripts/ensure-slapd.sh as root")
    result = subprocess.run([str(ENSURE_SCRIPT)], capture_output=True, text=True, check=False)
    if result.returncode != 0 or not Path(SLAPD).exists():
        pytest.skip(f"slapd could not be installed: {result.stderr[-500:]}")


class Slapd:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        (home / "data").mkdir(parents=True, exist_ok=True)
        (home / "slapd.conf").write_text(self.global_config() + self.database_config())

    def global_config(self) -> str:
        """Directives before the first `database` (a subclass adds TLS settings here)."""
        return CONFIG_GLOBAL.format(schemas=SCHEMA_DIR, home=self.home, modules=MODULE_DIR)

    def database_config(self) -> str:
        return CONFIG_DATABASES.format(home=self.home, base=BASE_DN, root=ROOT_DN, password=ROOT_PASSWORD)

    def listen_urls(self) -> list[str]:
        return [f"ldap://127.0.0.1:{self.port}/"]

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    def start(self) -> None:
        log = (self.home / "slapd.log").open("ab")
        self.process = subprocess.Popen(
            [SLAPD, "-d", "0", "-f", str(self.home / "slapd.conf"), "-h", " ".join(self.listen_urls())],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        try:
            wait_listening(self.process, self.port, "slapd", log_tail=self.log_tail)
        except RuntimeError:
            self.stop()
            raise

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_tail(self) -> str:
        path = self.home / "slapd.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def admin(self) -> Connection:
        """A bound ldap3 connection as the root DN, for test set-up and inspection."""
        server = Server("127.0.0.1", port=self.port, get_info=NONE)
        return Connection(server, ROOT_DN, ROOT_PASSWORD, auto_bind=True, check_names=False)

    def populate(self) -> None:
        conn = self.admin()
        try:
            conn.add(BASE_DN, ["top", "dcObject", "organization"], {"dc": "example", "o": "Example"})
            for dn, ou in ((PEOPLE, "People"), (GROUPS, "Groups")):
                conn.add(dn, ["top", "organizationalUnit"], {"ou": ou})
        finally:
            conn.unbind()

    def monitor_counter(self, operation: str) -> int:
        """Completed operations of one kind (`Search`, `Modify`, ...), from cn=Monitor."""
        conn = self.admin()
        try:
            conn.search(
                f"cn={operation},cn=Operations,cn=Monitor",
                "(objectClass=*)",
                search_scope="BASE",
                attributes=["monitorOpCompleted"],
            )
            return int(conn.response[0]["raw_attributes"]["monitorOpCompleted"][0])
        finally:
            conn.unbind()

    def entries_sent(self) -> int:
        """Entries the server has sent to all clients since it started, from cn=Monitor."""
        conn = self.admin()
        try:
            conn.search(
                "cn=Entries,cn=Statistics,cn=Monitor",
                "(objectClass=*)",
                search_scope="BASE",
                attributes=["monitorCounter"],
            )
            return int(conn.response[0]["raw_attributes"]["monitorCounter"][0])
        finally:
            conn.unbind()


@contextmanager
def running_slapd(home: Path) -> Iterator[Slapd]:
    """A populated slapd in `home` for the duration of the block; its files are removed afterwards."""
    ensure_installed()
    with serving(Slapd(home)) as server:
        yield server


S = TypeVar("S", bound=Slapd)


@contextmanager
def serving(server: S) -> Iterator[S]:
    """Start `server`, populate it, and stop it and remove its files when the block ends (also on failure)."""
    server.start()
    try:
        server.populate()
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.home, ignore_errors=True)


PASSWORD_ENV = "ECMAHOST_TEST_LDAP_PASSWORD"
"""The connector files below read the bind password from this variable (`${env:...}`), as production does."""
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def connector_file(server: Slapd, name: str = "ldap", *, people: str = PEOPLE, **user_extra: object) -> dict:
    """An LDAP connector file for `server`: inetOrgPerson users anchored on entryUUID, named `uid={uid}`, and
    groupOfNames groups named `cn={cn}` with a placeholder member while empty."""
    user: dict[str, object] = {
        "object_classes": ["inetOrgPerson"],
        "base_dn": people,
        "dn_template": f"uid={{uid}},{people}",
        "create_defaults": {"cn": "{uid}"},
        "password_attribute": "userPassword",
        "hash_passwords": True,
        "anchor": {"attribute": "entryUUID", "generate": "target"},
        "attributes": {
            "entryUUID": {"mutability": "readOnly", "case_exact": True},
            "uid": {"scim": "userName", "required": True, "unique": True},
            "givenName": {"scim": "name.givenName"},
            "sn": {"scim": "name.familyName"},
            "cn": {"scim": "displayName"},
            "mail": {"scim": 'emails[type eq "work"].value'},
            "employeeNumber": {"scim": f"{ENTERPRISE}:employeeNumber"},
            "title": {"scim": "title"},
            "telephoneNumber": {"multi_valued": True},
            "userPassword": {"scim": "password", "mutability": "writeOnly", "returned": "never"},
            "-dn-": {"mutability": "readOnly"},
        },
        "deprovisioning": {"disable": "delete", "delete": "delete"},
        **user_extra,
    }
    group = {
        "object_classes": ["groupOfNames"],
        "base_dn": GROUPS,
        "dn_template": f"cn={{cn}},{GROUPS}",
        "member_attribute": "member",
        "empty_member_dn": f"cn=nobody,{BASE_DN}",
        "anchor": {"attribute": "entryUUID", "generate": "target"},
        "attributes": {
            "entryUUID": {"mutability": "readOnly", "case_exact": True},
            "cn": {"scim": "displayName", "required": True, "unique": True},
            "description": {},
        },
    }
    return {
        "name": name,
        "type": "ldap",
        "description": "OpenLDAP test directory",
        "connection": {
            "host": "127.0.0.1",
            "port": server.port,
            "bind_dn": ROOT_DN,
            "password": "${env:" + PASSWORD_ENV + "}",
            "base_dns": [BASE_DN],
            "timeout_seconds": 10,
            "connect_timeout_seconds": 2,
            "page_size": 100,
        },
        "object_types": {"User": user, "Group": group},
    }

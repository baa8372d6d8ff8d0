"""Private, throw-away PostgreSQL and MariaDB servers that fault tests may stop, kill, freeze and restart.

The shared servers on 5432 and 3306 serve every other suite, so fault tests never touch them: each `PrivateServer`
here is its own server process on a free loopback port, with a data directory in a fresh temporary folder that
`destroy()` removes. Authentication is off (PostgreSQL `trust`, MariaDB `--skip-grant-tables`), which is fine for
a server that listens on 127.0.0.1 only and lives for one test session.

Faults a test can inject:
    stop()     a clean shutdown (PostgreSQL `fast` mode, MariaDB SIGTERM), waits until the process is gone
    kill()     SIGKILL to the server and all its processes (crash recovery on the next start)
    freeze()   SIGSTOP: the port still accepts connections but nothing answers (a hung server)
    thaw()     SIGCONT after freeze()
    start()    start again on the same port with the same data; returns once a client can connect

It does not create databases for tests: `create_database()` does that with a sync SQLAlchemy engine. When the
binaries are missing the calling test is skipped (or fails when ECMAHOST_TEST_REQUIRE_DATABASES=1).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

START_SECONDS = 60
STOP_SECONDS = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _parent_pids() -> dict[int, int]:
    """pid -> parent pid of every process, from /proc (Linux)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    return parents


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return False


def missing(reason: str) -> None:
    """Skip (or fail, when the databases are required) because a server cannot be provided."""
    if os.environ.get("ECMAHOST_TEST_REQUIRE_DATABASES") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


class PrivateServer(ABC):
    """One server process (and its children) on `self.port`, with its data in `self.root`."""

    name: str
    clean_stop_signal: signal.Signals = signal.SIGTERM

    def __init__(self) -> None:
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix=f"ecmahost-{self.name}-"))
        self.data = self.root / "data"
        self.process: subprocess.Popen[bytes] | None = None
        self._run_as: dict[str, Any] = {}
        self._descendants_at_kill: list[int] = []

    # -- lifecycle ------------------------------------------------------------------------------------------------

    @abstractmethod
    def initialize(self) -> None:
        """Create the data directory (once)."""

    @abstractmethod
    def command(self) -> list[str]:
        """The server command line, in the foreground."""

    def start(self) -> None:
        if self.process is not None and self.process.poll() is None:
            return
        log = (self.root / "server.log").open("ab")
        self.process = subprocess.Popen(
            self.command(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True, **self._run_as
        )
        log.close()
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}")
            if self.accepts_queries():
                return
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"{self.name} did not accept queries within {START_SECONDS} s:\n{self.log_tail()}")

    def stop(self) -> None:
        """A clean shutdown; falls back to SIGKILL after STOP_SECONDS."""
        process = self.process
        if process is None or process.poll() is not None:
            self.process = None
            return
        self.thaw()
        self._descendants_at_kill = self._processes()
        os.kill(process.pid, self.clean_stop_signal)
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.kill()
        self._wait_processes_gone()
        self.process = None

    def kill(self) -> None:
        """SIGKILL the server and all its descendants: no shutdown, no checkpoint (a crash)."""
        process = self.process
        if process is None:
            return
        self._descendants_at_kill = self._processes()
        self._signal_all(signal.SIGKILL)
        process.wait()
        self._wait_processes_gone()
        self.process = None

    def freeze(self) -> None:
        self._signal_all(signal.SIGSTOP)

    def thaw(self) -> None:
        self._signal_all(signal.SIGCONT)

    def restart(self) -> None:
        self.stop()
        self.start()

    def destroy(self) -> None:
        try:
            self.kill()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def _signal_all(self, sig: signal.Signals) -> None:
        """Signal the server and its descendants (PostgreSQL backends call setsid(), so a process group is not
        enough), parents first so a stopped parent cannot fork a child the signal misses."""
        for pid in self._processes():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)

    def _processes(self) -> list[int]:
        if self.process is None or self.process.poll() is not None:
            return []
        parents = _parent_pids()
        found = [self.process.pid]
        for pid in found:
            found.extend(child for child, parent in parents.items() if parent == pid)
        return found

    def _wait_processes_gone(self) -> None:
        """Children (PostgreSQL backends) may outlive the server for a moment; a restart must wait for them."""
        pids = self._descendants_at_kill
        deadline = time.monotonic() + STOP_SECONDS
        while pids and time.monotonic() < deadline:
            pids = [pid for pid in pids if Path(f"/proc/{pid}").exists() and not _is_zombie(pid)]
            time.sleep(0.05)

    # -- clients --------------------------------------------------------------------------------------------------

    @abstractmethod
    def url(self, database: str) -> str:
        """A sync-style SQLAlchemy URL of `database` on this server (what a connector file would say)."""

    @abstractmethod
    def admin_url(self) -> str:
        """A sync SQLAlchemy URL with a concrete driver, for test set-up and inspection."""

    def accepts_queries(self) -> bool:
        try:
            engine = create_engine(self.admin_url(), isolation_level="AUTOCOMMIT", connect_args=self._quick())
            try:
                with engine.connect() as conn:
                    conn.execute(text("SELECT 1"))
            finally:
                engine.dispose()
        except Exception:  # any failure means "not yet"
            return False
        return True

    def create_database(self) -> str:
        """A new empty database with a random name; returns its sync-style URL."""
        name = f"ecmahost_f_{secrets.token_hex(5)}"
        engine = create_engine(self.admin_url(), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                # DDL on a name generated above: no user value reaches this statement.
                conn.execute(text(f"CREATE DATABASE {name}"))
        finally:
            engine.dispose()
        return self.url(name)

    def _quick(self) -> dict[str, Any]:
        """Driver options that bound a probe of a frozen server."""
        return {"connect_timeout": 2}

    def log_tail(self) -> str:
        path = self.root / "server.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""


class PrivatePostgres(PrivateServer):
    """PostgreSQL from /usr/lib/postgresql/<version>/bin, trust authentication, socket directory in its root.
    initdb refuses to run as root, so as root the server runs as the `postgres` OS user, owning its folder."""

    name = "postgres"
    clean_stop_signal = signal.SIGINT  # PostgreSQL's "fast" shutdown: roll back sessions, checkpoint, exit

    def __init__(self) -> None:
        binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
        if not binaries:
            missing("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin")
        self.bin = Path(binaries[-1]).parent
        super().__init__()
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres")
            os.chown(self.root, account.pw_uid, account.pw_gid)
            self._run_as = {"user": account.pw_uid, "group": account.pw_gid}

    def initialize(self) -> None:
        initdb = [str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync"]
        result = subprocess.run(initdb, capture_output=True, text=True, check=False, **self._run_as)
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed: {result.stderr[-2000:]}")

    def command(self) -> list[str]:
        return [
            str(self.bin / "postgres"),
            "-D",
            str(self.data),
            "-p",
            str(self.port),
            "-k",
            str(self.root),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "max_connections=200",
        ]

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def admin_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"


class PrivateMariaDB(PrivateServer):
    """MariaDB's `mariadbd` with `--skip-grant-tables` (any user, no password), no binary log, small buffers."""

    name = "mariadb"

    def __init__(self) -> None:
        if shutil.which("mariadbd", path="/usr/sbin:/usr/bin") is None or shutil.which("mariadb-install-db") is None:
            missing("MariaDB server binaries (mariadbd, mariadb-install-db) not found")
        super().__init__()

    def initialize(self) -> None:
        install = [
            "mariadb-install-db",
            "--no-defaults",
            f"--datadir={self.data}",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            *self._user(),
        ]
        result = subprocess.run(install, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"mariadb-install-db failed: {result.stderr[-2000:]}")

    def command(self) -> list[str]:
        mariadbd = shutil.which("mariadbd", path="/usr/sbin:/usr/bin") or "mariadbd"
        return [
            mariadbd,
            "--no-defaults",
            f"--datadir={self.data}",
            f"--port={self.port}",
            "--bind-address=127.0.0.1",
            f"--socket={self.root / 'mariadb.sock'}",
            f"--pid-file={self.root / 'mariadb.pid'}",
            "--skip-grant-tables",
            "--skip-log-bin",
            "--innodb-buffer-pool-size=64M",
            "--max-connections=300",
            *self._user(),
        ]

    def _user(self) -> list[str]:
        return ["--user=root"] if os.geteuid() == 0 else []

    def url(self, database: str) -> str:
        return f"mysql://root@127.0.0.1:{self.port}/{database}"

    def _quick(self) -> dict[str, Any]:
        return {"connect_timeout": 2, "read_timeout": 2, "write_timeout": 2}

    def admin_url(self) -> str:
        return f"mysql+pymysql://root@127.0.0.1:{self.port}/"


def private_server(kind: str) -> PrivateServer:
    """A started private server of `kind` ("postgres" or "mariadb"); call `destroy()` when done."""
    server: PrivateServer = PrivatePostgres() if kind == "postgres" else PrivateMariaDB()
    try:
        server.initialize()
        server.start()
    except BaseException:
        server.destroy()
        raise
    return server

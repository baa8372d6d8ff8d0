"""A small pool of bound ldap3 connections, and the bridge from the async connector to ldap3's blocking calls.

`LdapPool.run(work)` runs `work(session)` in a worker thread with a connection of its own: taken from the idle
ones or opened (TCP, StartTLS or LDAPS with the certificate checks of `trust`, simple bind). Every ldap3 error is
translated at this edge (`errors.translate`); a connection that failed at the socket level is dropped, and a
stale idle one (the server restarted) is replaced and the work retried once when nothing had been sent on it
yet. So a directory that comes back heals the connector without a host restart.

The thread owns its connection from start to end, so an operation the caller stopped waiting for (a timeout)
finishes or fails on its own and still returns its connection. The pool does not build filters or DNs.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn, TypeVar

import anyio.to_thread
from ldap3 import ANONYMOUS, BASE, NONE, SIMPLE, SYNC, Connection, Server
from ldap3.core import exceptions as ldap_exc

from ecmahost.connectors.errors import ConnectorError, TargetUnavailable
from ecmahost.connectors.ldap import trust
from ecmahost.connectors.ldap.errors import is_communication_error, translate
from ecmahost.connectors.ldap.models import LdapConnection, Security
from ecmahost.connectors.ldap.session import Counters, ServerFeatures, Session

logger = logging.getLogger(__name__)
T = TypeVar("T")

ROOT_DSE_ATTRIBUTES = (
    "supportedControl",
    "vendorName",
    "vendorVersion",
    "namingContexts",
    "supportedCapabilities",
)


class LdapPool:
    def __init__(self, settings: LdapConnection, *, home: Path, label: str) -> None:
        self.settings = settings
        self.home = home
        self.label = label
        self.counters = Counters()
        self._idle: deque[Connection] = deque()
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(settings.pool_size)
        self._features: ServerFeatures | None = None
        self._closed = False

    @property
    def features(self) -> ServerFeatures | None:
        return self._features

    async def run(self, work: Callable[[Session], T], operation: str) -> T:
        """`work(session)` in a worker thread; ldap3 errors come out as connector errors."""
        return await anyio.to_thread.run_sync(self._run, work, operation, abandon_on_cancel=True)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = list(self._idle), deque()
        for conn in idle:
            _unbind(conn)

    # -- in the worker thread ------------------------------------------------------------------------------------

    def _run(self, work: Callable[[Session], T], operation: str) -> T:
        if not self._slots.acquire(timeout=self.settings.pool_timeout_seconds):
            raise TargetUnavailable(f"all {self.settings.pool_size} directory connections are busy (raise pool_size?)")
        try:
            return self._attempt(work, operation)
        finally:
            self._slots.release()

    def _attempt(self, work: Callable[[Session], T], operation: str) -> T:
        conn, reused = self._take(operation)
        session = Session(conn, self._features or ServerFeatures(), self.settings.page_size, self.counters)
        try:
            result = work(session)
        except Exception as exc:
            if not is_communication_error(exc):
                self._give_back(conn)
                _reraise(exc, operation)
            _unbind(conn)
            if reused and session.operations <= 1:
                logger.info("connector %s: a pooled directory connection was stale; reconnecting", self.label)
                return self._attempt_fresh(work, operation)
            _reraise(exc, operation)
        self._give_back(conn)
        return result

    def _attempt_fresh(self, work: Callable[[Session], T], operation: str) -> T:
        with self._lock:
            stale, self._idle = list(self._idle), deque()
        for old in stale:
            _unbind(old)
        return self._attempt(work, operation)

    def _take(self, operation: str) -> tuple[Connection, bool]:
        with self._lock:
            if self._idle:
                return self._idle.pop(), True
        try:
            return self._connect(), False
        except Exception as exc:
            _reraise(exc, f"connect to {self._address()}")

    def _give_back(self, conn: Connection) -> None:
        with self._lock:
            if not self._closed and not conn.closed:
                self._idle.append(conn)
                return
        _unbind(conn)

    def _connect(self) -> Connection:
        settings = self.settings
        server = Server(
            settings.host,
            port=settings.effective_port,
            use_ssl=settings.security is Security.LDAPS,
            tls=trust.client_tls(settings, self.home),
            get_info=NONE,
            connect_timeout=min(settings.connect_timeout_seconds, settings.timeout_seconds),
        )
        password = settings.password.reveal() if settings.password is not None else None
        conn = Connection(
            server,
            user=settings.bind_dn,
            password=password,
            authentication=SIMPLE if settings.bind_dn else ANONYMOUS,
            client_strategy=SYNC,
            raise_exceptions=True,
            receive_timeout=max(1, math.ceil(settings.timeout_seconds)),  # ldap3 packs it as an integer
            auto_referrals=False,
            return_empty_attributes=False,
            check_names=False,
        )
        try:
            self._secure(conn)
            conn.bind()
            if self._features is None:
                self._features = _read_features(conn)
        except Exception:
            _unbind(conn)
            raise
        return conn

    def _secure(self, conn: Connection) -> None:
        """Open the socket (the LDAPS handshake), StartTLS, and the pinned-certificate check: before any bind."""
        try:
            conn.open()
            if self.settings.security is Security.STARTTLS:
                conn.start_tls()
        except Exception as exc:
            explained = trust.explain(exc, self.settings, self.home)
            if explained is None:
                raise
            raise explained from exc
        trust.check_pinned(conn, self.settings)

    def _address(self) -> str:
        return f"{self.settings.host}:{self.settings.effective_port}"


def _read_features(conn: Connection) -> ServerFeatures:
    conn.search("", "(objectClass=*)", BASE, attributes=list(ROOT_DSE_ATTRIBUTES))
    found = next((item for item in conn.response or [] if item.get("type") == "searchResEntry"), None)
    raw = {k.lower(): v for k, v in ((found or {}).get("raw_attributes") or {}).items()}

    def texts(name: str) -> list[str]:
        return [value.decode("utf-8", errors="replace") for value in raw.get(name.lower(), [])]

    return ServerFeatures(
        controls=frozenset(texts("supportedControl")),
        vendor=" ".join(texts("vendorName")),
        version=" ".join(texts("vendorVersion")),
        naming_contexts=tuple(texts("namingContexts")),
        active_directory=bool(texts("supportedCapabilities")),
    )


def _reraise(exc: Exception, operation: str) -> NoReturn:
    """Raise `exc` as a connector error (ldap3 errors translated, `from exc`); anything else unchanged."""
    if isinstance(exc, ConnectorError):
        raise exc
    error = translate(exc, operation)
    if error is None:
        raise exc
    raise error from exc


def _unbind(conn: Connection) -> None:
    """Say goodbye when the socket still works; in every case close the socket."""
    try:
        if not conn.closed:
            conn.unbind()
    except (ldap_exc.LDAPException, OSError):
        logger.debug("unbinding a directory connection failed", exc_info=True)
    sock = getattr(conn, "socket", None)
    if sock is not None:
        try:
            sock.close()
        except OSError:
            logger.debug("closing a directory socket failed", exc_info=True)

"""A renewed certificate is served without a restart: the serving TLS context loads the new certificate and key
when their files change, so new connections get the new certificate and open ones are not disturbed.

The context is registered by the process that serves (`server._tls_factory`); the host monitor calls `poll()`
about once a second. A pair that does not match, or a file half-written, is logged and the current certificate
stays.
"""

from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass
from pathlib import Path

from ecmahost.tls import TlsError, check_key_pair

logger = logging.getLogger(__name__)


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size


@dataclass
class CertificateReloader:
    context: ssl.SSLContext
    cert: Path
    key: Path

    def __post_init__(self) -> None:
        self._stamps = (_stamp(self.cert), _stamp(self.key))

    def poll(self) -> bool:
        """Load the certificate again if its files changed; True when the served certificate was replaced."""
        stamps = (_stamp(self.cert), _stamp(self.key))
        if stamps == self._stamps:
            return False
        self._stamps = stamps
        try:
            info = check_key_pair(self.cert, self.key)
            self.context.load_cert_chain(str(self.cert), str(self.key))
        except (TlsError, OSError, ssl.SSLError) as exc:
            logger.error("the certificate files changed but cannot be used; the current one stays: %s", exc)
            return False
        logger.warning("now serving the certificate for %s, valid until %s", ", ".join(info.sans), info.not_after)
        return True


_current: CertificateReloader | None = None


def watch(context: ssl.SSLContext, cert: Path, key: Path) -> ssl.SSLContext:
    """Register the serving context of this process; returns it for use as is."""
    global _current
    _current = CertificateReloader(context, cert, key)
    return context


def poll() -> bool:
    return _current.poll() if _current is not None else False

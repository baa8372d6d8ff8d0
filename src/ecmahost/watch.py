"""Files the running host follows without a restart: `host.yaml` (log levels), the certificate and key, and the
connector files. One `Watcher` per concern, all polled by the host's one housekeeping task (`ecmahost.host`).

A watcher compares each file's stamp (modification time in nanoseconds and size) with the one of its previous
pass and calls `on_change` with the paths whose stamp changed (a file that appeared or disappeared included). A
stamp costs one `stat`; nothing is read unless it changed. The watchers do not know what a change means: that is
the callback's (`Host` applies levels, `CertificateReloader` reloads the TLS context, `reload` the connector).
"""

from __future__ import annotations

import inspect
import logging
import ssl
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ecmahost.tls import TlsError, check_key_pair

logger = logging.getLogger(__name__)

Stamp = tuple[int, int]
OnChange = Callable[[list[Path]], Awaitable[None] | None]


def stamp(path: Path) -> Stamp | None:
    """What tells a changed file: (mtime in ns, size), or None when the file is not there."""
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size


class Watcher:
    """Calls `on_change(changed paths)` when a pass finds any of `paths` changed. `paths` is a fixed list or a
    function listing them at each pass (a folder's `*.yaml`)."""

    def __init__(self, paths: Iterable[Path] | Callable[[], Iterable[Path]], on_change: OnChange) -> None:
        self._paths = paths if callable(paths) else tuple(paths)
        self.on_change = on_change
        self._seen = self._stamps()

    def _stamps(self) -> dict[Path, Stamp | None]:
        listed = self._paths() if callable(self._paths) else self._paths
        return {path: stamp(path) for path in listed}

    async def poll(self) -> list[Path]:
        """One pass: the changed paths, after `on_change` handled them (no call when nothing changed)."""
        now = self._stamps()
        changed = sorted(path for path in now.keys() | self._seen.keys() if now.get(path) != self._seen.get(path))
        self._seen = now
        if changed:
            outcome = self.on_change(changed)
            if inspect.isawaitable(outcome):
                await outcome
        return changed


@dataclass
class CertificateReloader:
    """A renewed certificate is served without a restart: `reload` loads the files again into the serving TLS
    context, so new connections get the new certificate and open ones are not disturbed. A pair that does not
    match, or a file half-written, is logged and the current certificate stays."""

    context: ssl.SSLContext
    cert: Path
    key: Path

    def watcher(self) -> Watcher:
        return Watcher((self.cert, self.key), lambda _changed: self.reload())

    def reload(self) -> bool:
        """True when the served certificate was replaced."""
        try:
            info = check_key_pair(self.cert, self.key)
            self.context.load_cert_chain(str(self.cert), str(self.key))
        except (TlsError, OSError, ssl.SSLError) as exc:
            logger.error("the certificate files changed but cannot be used; the current one stays: %s", exc)
            return False
        logger.warning("now serving the certificate for %s, valid until %s", ", ".join(info.sans), info.not_after)
        return True

"""Wait for a private server process (slapd, nats-server, haproxy, tinyproxy) to accept connections."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable


def wait_listening(
    process: subprocess.Popen[bytes],
    port: int,
    name: str,
    *,
    seconds: float = 20,
    log_tail: Callable[[], str] = lambda: "",
) -> None:
    """Return once 127.0.0.1:`port` accepts a connection; raise, with the log's tail, when `process` exits first or
    nothing listens within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{log_tail()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{name} did not listen on {port}:\n{log_tail()}")

"""Start the real host (`python -m ecmahost demo`) in a subprocess over HTTPS and talk to it with httpx."""

from __future__ import annotations

import socket
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from ecmahost.config.store import ConnectorStore
from ecmahost.home import Home
from ecmahost.tls import generate_certificate

TOKEN = "e2e-secret-token-0123456789"
STARTUP_SECONDS = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningHost:
    process: subprocess.Popen[bytes]
    home: Path
    port: int
    log: Path

    @property
    def root(self) -> str:
        return f"https://localhost:{self.port}"

    @property
    def tenant_url(self) -> str:
        return f"{self.root}/ecma2host_demo/scim"

    @property
    def cert(self) -> Path:
        return self.home / "certs" / "host.crt"

    def tls(self) -> ssl.SSLContext:
        """Trust the host's own self-signed certificate, as an admin would."""
        return ssl.create_default_context(cafile=str(self.cert))

    def client(self, token: str | None = TOKEN) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.tenant_url, headers=headers, verify=self.tls(), timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_demo_host(home: Path, target: str | None = None) -> RunningHost:
    """`ecmahost demo` on a free port: the demo connector over `target` (SQLite in the home by default)."""
    command = ["demo", "--home", str(home), "--token", TOKEN]
    return start_host(home, command + (["--target", target] if target else []))


def prepare_home(home: Path, connector: dict[str, Any], token: str = TOKEN) -> None:
    """A home with one connector file (as an admin would write it), its token and a certificate."""
    store = ConnectorStore(Home(home))
    store.save(connector)
    store.set_token(connector["name"], token)
    generate_certificate(Home(home), hostnames=["localhost"])


def start_serve_host(home: Path, port: int | None = None) -> RunningHost:
    """`ecmahost serve` on `port` (default: a free one) for a home prepared with `prepare_home`."""
    return start_host(home, ["serve", "--home", str(home), "--bind", "127.0.0.1"], port)


def start_host(home: Path, arguments: list[str], port: int | None = None) -> RunningHost:
    port = port or free_port()
    log = home.parent / f"{home.name}.log"
    command = [sys.executable, "-m", "ecmahost", *arguments, "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    host = RunningHost(process, home, port, log)
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the host exited with {process.returncode}:\n{log.read_text()}")
        try:
            if host.cert.exists():
                response = httpx.get(f"{host.root}/health", verify=host.tls(), timeout=2)
                if response.status_code == 200:
                    return host
        except (httpx.HTTPError, ssl.SSLError, OSError):
            pass
        time.sleep(0.2)
    host.stop()
    raise RuntimeError(f"the host did not answer within {STARTUP_SECONDS} s:\n{log.read_text()}")

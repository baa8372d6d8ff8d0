"""Start the real host (`python -m ecmahost serve`) over HTTPS for any connector file, and the REST target the REST
connector talks to. Shared by the end-to-end tests of the CSV, script and REST connectors."""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from ruamel.yaml import YAML

from ecmahost.config.store import ConnectorStore
from ecmahost.home import Home
from ecmahost.tls import generate_certificate

from e2e_host import STARTUP_SECONDS, TOKEN, RunningHost, free_port

ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "examples"
NODE_MODULES = ROOT / ".cache" / "node" / "node_modules"
REST_TARGET_JS = ROOT / "tests" / "integration" / "rest_target.js"


@dataclass
class ConnectorHost(RunningHost):
    connector: str = "demo"

    @property
    def tenant_url(self) -> str:
        return f"{self.root}/ecma2host_{self.connector}/scim"


def example(path: str) -> dict[str, Any]:
    """An example connector file of docs/ as plain data."""
    return YAML(typ="safe").load((EXAMPLES / path).read_text(encoding="utf-8"))


def start_connector_host(home: Path, raw: dict[str, Any]) -> ConnectorHost:
    """Save `raw` as the home's only connector (token `TOKEN`), create a certificate, and serve it over HTTPS."""
    the_home = Home(home)
    store = ConnectorStore(the_home)
    config = store.save(raw)
    store.set_token(config.name, TOKEN)
    generate_certificate(the_home, hostnames=["localhost"])
    port = free_port()
    log = home.parent / f"{home.name}.log"
    command = [sys.executable, "-m", "ecmahost", "serve", "--home", str(home), "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    host = ConnectorHost(process, home, port, log, connector=config.name)
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the host exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{host.root}/health", verify=host.tls(), timeout=2).status_code == 200:
                return host
        except (httpx.HTTPError, ssl.SSLError, OSError):
            pass
        time.sleep(0.2)
    host.stop()
    raise RuntimeError(f"the host did not answer within {STARTUP_SECONDS} s:\n{log.read_text()}")


def json_server_available() -> bool:
    return shutil.which("node") is not None and (NODE_MODULES / "json-server").is_dir()


@contextmanager
def rest_target() -> Iterator[str]:
    """A fresh REST target (tests/integration/rest_target.js over json-server); yields its root URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    env = {**os.environ, "NODE_PATH": str(NODE_MODULES)}
    process = subprocess.Popen(
        ["node", str(REST_TARGET_JS), str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    root = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                httpx.get(f"{root}/open/users", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the REST target did not start") from None
                time.sleep(0.1)
        yield root
    finally:
        process.terminate()
        process.wait(timeout=10)

"""Start the real host with `python -m ecmahost serve` over a home prepared with any connectors, and build the
certificates the troubleshooting tests need (an expired one)."""

from __future__ import annotations

import asyncio
import ssl
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ecmahost.config.store import ConnectorStore
from ecmahost.connectors.sql.demo_schema import create_demo_tables
from ecmahost.demo import demo_connector
from ecmahost.home import Home
from ecmahost.tls import generate_certificate

from e2e_host import STARTUP_SECONDS, TOKEN, RunningHost, free_port

DOWN_TARGET = "postgresql://postgres@127.0.0.1:1/x"
"""A target on a closed port: the SQL connector answers 503 TargetUnavailable."""


def prepare_home(home: Path, connectors: dict[str, str], *, token: str = TOKEN) -> Home:
    """A home with the demo connector file under each name, pointed at its URL (SQLite tables are created)."""
    where = Home(home)
    where.ensure(where.connectors_dir)
    store = ConnectorStore(where)
    for name, url in connectors.items():
        if url.startswith("sqlite"):
            asyncio.run(create_demo_tables(url, home))
        store.save(demo_connector(name, url))
        store.set_token(name, token)
    if not where.cert_file.exists():
        generate_certificate(where, hostnames=["localhost"])
    return where


def write_expired_certificate(cert_path: Path, key_path: Path) -> None:
    """A self-signed certificate for localhost that expired yesterday."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=30))
        .not_valid_after(now - timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path.parent.mkdir(parents=True, exist_ok=True)
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_path.chmod(0o600)


def _answers(host: RunningHost) -> bool:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        return httpx.get(f"{host.root}/health", verify=context, timeout=2).status_code == 200
    except (httpx.HTTPError, ssl.SSLError, OSError):
        return False


def start_serve(home: Path, *, tenant_connector: str = "demo") -> RunningHost:
    """`ecmahost serve --home <home>` on a free port (127.0.0.1); returns once `/health` answers."""
    port = free_port()
    log = home.parent / f"{home.name}-serve.log"
    command = [sys.executable, "-m", "ecmahost", "serve", "--home", str(home), "--port", str(port)]
    command += ["--bind", "127.0.0.1"]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    host = RunningHost(process, home, port, log)
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the host exited with {process.returncode}:\n{log.read_text()}")
        if _answers(host) and (home / "run" / "host.pid").exists():
            return host
        time.sleep(0.2)
    host.stop()
    raise RuntimeError(f"the host did not answer within {STARTUP_SECONDS} s:\n{log.read_text()}")


def ecmahost(*args: str, stdin: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run the `ecmahost` CLI as a separate process, as an admin would."""
    return subprocess.run(
        [sys.executable, "-m", "ecmahost", *args],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=timeout,
        check=False,
    )

"""A private nats-server for relay tests: TLS with a throw-away CA, nkey users from a relay home's authorization
file, on a free loopback port, never the system server on 4222.

`PrivateNats(relay_home)` writes `nats.conf` into the relay home (NATS resolves `include` relative to the config
file) and starts `nats-server -c`; `stop()`, `kill()`, `start()` and `restart()` are what the fault tests use.
`websocket=True` adds a WebSocket listener over TLS (`ws_url`, wss://); `names` are the certificate's names.
Installed by scripts/ensure-nats.sh when missing.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from support.listening import wait_listening
from support.private_servers import free_port, missing

NATS_SERVER = shutil.which("nats-server") or "/usr/sbin/nats-server"


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


LOCAL_NAMES = ("localhost", "127.0.0.1")


def make_ca(folder: Path, names: tuple[str, ...] = LOCAL_NAMES) -> tuple[Path, Path, Path]:
    """A test CA and a server certificate it signed for `names` (DNS names or IP addresses): (ca.pem, server.pem,
    server.key)."""
    import ipaddress

    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("ecmahost test CA"))
        .issuer_name(_name("ecmahost test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    alternatives: list[x509.GeneralName] = []
    for name in names:
        try:
            alternatives.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            alternatives.append(x509.DNSName(name))
    server = (
        x509.CertificateBuilder()
        .subject_name(_name(names[0]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName(alternatives), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(server.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return paths


class PrivateNats:
    """nats-server with TLS and the relay's authorization file, on `self.port`, its files in `folder`."""

    def __init__(
        self,
        folder: Path,
        max_payload: int = 1024 * 1024,
        *,
        websocket: bool = False,
        names: tuple[str, ...] = LOCAL_NAMES,
    ) -> None:
        if not Path(NATS_SERVER).exists():
            missing("nats-server is not installed: run scripts/ensure-nats.sh")
        self.folder = folder
        self.port = free_port()
        self.ca, cert, key = make_ca(folder / "nats-tls", names)
        self.ws_port = free_port() if websocket else None
        self.pid_file = folder / "nats.pid"
        self.log = folder / "nats.log"
        self.config = folder / "nats.conf"
        self.config.write_text(
            f"listen: 127.0.0.1:{self.port}\n"
            f'pid_file: "{self.pid_file}"\n'
            f"max_payload: {max_payload}\n"
            f'tls {{ cert_file: "{cert}", key_file: "{key}" }}\n'
            "include nats-auth.conf\n"
        )
        if self.ws_port:
            with self.config.open("a") as config:
                config.write(
                    f'websocket {{ host: "127.0.0.1", port: {self.ws_port}, '
                    f'tls {{ cert_file: "{cert}", key_file: "{key}" }} }}\n'
                )
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"tls://localhost:{self.port}"

    @property
    def ws_url(self) -> str:
        """The WebSocket listener's URL, as an agent dials it (the listener takes any path)."""
        assert self.ws_port, "PrivateNats(websocket=True) has a WebSocket listener"
        return f"wss://localhost:{self.ws_port}"

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen([NATS_SERVER, "-c", str(self.config)], stdout=out, stderr=out)
        wait_listening(self.process, self.port, "nats-server", log_tail=lambda: self.log.read_text()[-2000:])

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def restart(self) -> None:
        self.stop()
        self.start()

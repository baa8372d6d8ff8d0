"""A throw-away OpenLDAP server that speaks TLS, and the test PKI behind it.

`TestPki` makes, with `cryptography`, a test CA, a server certificate it signs for `localhost` only (so connecting
to 127.0.0.1 is a host name mismatch), an expired server certificate from the same CA, and an unrelated CA (the
"wrong CA"). `TlsSlapd` is `support.slapd.Slapd` with StartTLS on its ldap:// port, LDAPS on a second port and,
by default, `security tls=1`: every operation, the bind included, needs TLS (confidentialityRequired otherwise).
Its `admin()` connection uses StartTLS with the test CA. It does not install slapd (`support.slapd` does).
"""

from __future__ import annotations

import hashlib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from ldap3 import NONE, Connection, Server, Tls

from support.slapd import ROOT_DN, ROOT_PASSWORD, Slapd, connector_file, ensure_installed, free_port, serving

SERVER_NAME = "localhost"
"""The only name in the server certificates: connect to `localhost`; `127.0.0.1` is a host name mismatch."""


@dataclass(frozen=True, slots=True)
class Issued:
    certificate: Path
    key: Path

    @property
    def pem(self) -> str:
        return self.certificate.read_text()

    @property
    def sha256(self) -> str:
        """`sha256:AB:CD:...`, as `trust_certificate` takes a fingerprint."""
        der = x509.load_pem_x509_certificate(self.certificate.read_bytes()).public_bytes(serialization.Encoding.DER)
        digest = hashlib.sha256(der).hexdigest().upper()
        return "sha256:" + ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


class TestPki:
    """Certificates under `folder`: `ca`, `server` (valid, for localhost), `expired` and `other_ca`."""

    __test__ = False  # not a pytest test class

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        now = datetime.now(UTC)
        ca_key, ca_cert = _ca("ecmahost test CA", now)
        self.ca = _write(folder, "ca", ca_cert, ca_key)
        self.other_ca = _write(folder, "other-ca", *reversed(_ca("someone else's CA", now)))
        valid = (now - timedelta(days=1), now + timedelta(days=30))
        self.server = _write(folder, "server", *_server(ca_key, ca_cert, *valid))
        expired = (now - timedelta(days=30), now - timedelta(days=1))
        self.expired = _write(folder, "expired", *_server(ca_key, ca_cert, *expired))


def _ca(name: str, now: datetime) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )  # keyCertSign, cRLSign
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, certificate


def _server(
    ca_key: ec.EllipticCurvePrivateKey, ca: x509.Certificate, not_before: datetime, not_after: datetime
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, SERVER_NAME)]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(SERVER_NAME)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return certificate, key


def _write(folder: Path, name: str, certificate: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> Issued:
    issued = Issued(folder / f"{name}.pem", folder / f"{name}.key")
    issued.certificate.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    issued.key.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    issued.key.chmod(0o600)
    return issued


TLS_CONFIG = """\
TLSCACertificateFile {ca}
TLSCertificateFile {certificate}
TLSCertificateKeyFile {key}
"""


class TlsSlapd(Slapd):
    """slapd with StartTLS on `port`, LDAPS on `ldaps_port`, presenting `served` (signed by `pki.ca`)."""

    def __init__(self, home: Path, pki: TestPki, served: Issued, *, require_tls: bool = True) -> None:
        self.pki = pki
        self.served = served
        self.require_tls = require_tls
        self.ldaps_port = free_port()
        super().__init__(home)

    def global_config(self) -> str:
        tls = TLS_CONFIG.format(ca=self.pki.ca.certificate, certificate=self.served.certificate, key=self.served.key)
        return super().global_config() + tls + ("security tls=1\n" if self.require_tls else "")

    def listen_urls(self) -> list[str]:
        return [*super().listen_urls(), f"ldaps://127.0.0.1:{self.ldaps_port}/"]

    def admin(self) -> Connection:
        """Bound as the root DN over StartTLS, without certificate checks (test set-up and inspection only)."""
        tls = Tls(validate=ssl.CERT_NONE)
        server = Server("127.0.0.1", port=self.port, get_info=NONE, tls=tls)
        conn = Connection(server, ROOT_DN, ROOT_PASSWORD, check_names=False)
        conn.open()
        conn.start_tls()
        conn.bind()
        return conn


@contextmanager
def running_tls_slapd(home: Path, pki: TestPki, served: Issued, *, require_tls: bool = True) -> Iterator[TlsSlapd]:
    """A populated TLS slapd in `home` for the duration of the block; its files are removed afterwards."""
    ensure_installed()
    with serving(TlsSlapd(home, pki, served, require_tls=require_tls)) as server:
        yield server


def tls_connector_file(server: TlsSlapd, name: str = "ldaps", **connection: object) -> dict:
    """`support.slapd.connector_file` for `server`, reached as `localhost`, with `connection` overrides (security,
    port, ca_file, trust_certificate, host)."""
    raw = connector_file(server, name)
    raw["connection"] = {**raw["connection"], "host": SERVER_NAME, **connection}
    return raw

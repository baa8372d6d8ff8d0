"""TLS for the host: a self-signed certificate ("Generate certificate"), facts about a certificate, and the
server's `ssl.SSLContext`.

The generated certificate has the host name(s) plus `localhost`, `127.0.0.1` and `::1` as SANs, an RSA 2048 or
ECDSA P-256 key (written 0600, unencrypted so the service can start unattended), and a two-year validity, like
the ECMA host's. The server context requires TLS 1.2 or later with ECDHE key exchange and AEAD or SHA-2 MACs
only. A user-supplied certificate is checked against its key before use. This module does not serve anything.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ecmahost.home import Home, write_private

KeyType = Literal["rsa", "ecdsa"]
DEFAULT_DAYS = 730
EXPIRY_WARNING_DAYS = 30
ALWAYS_SANS = ("localhost", "127.0.0.1", "::1")
TLS12_CIPHERS = ":".join(
    [
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        "ECDHE-RSA-CHACHA20-POLY1305",
        "ECDHE-ECDSA-AES256-SHA384",
        "ECDHE-RSA-AES256-SHA384",
        "ECDHE-ECDSA-AES128-SHA256",
        "ECDHE-RSA-AES128-SHA256",
    ]
)
"""TLS 1.2 suites: ECDHE only (forward secrecy), AES-GCM/ChaCha20 or the CBC-SHA256/384 suites Entra lists;
no RSA key exchange, no SHA-1 MAC. TLS 1.3 suites are OpenSSL's defaults (all strong)."""


class TlsError(Exception):
    """A certificate or key that cannot be used; the message says which file and why."""


@dataclass(frozen=True, slots=True)
class CertInfo:
    subject: str
    sans: tuple[str, ...]
    not_before: datetime
    not_after: datetime
    days_left: int
    key_type: str
    key_bits: int
    fingerprint_sha256: str

    @property
    def expired(self) -> bool:
        return self.not_after <= datetime.now(UTC)

    @property
    def expires_soon(self) -> bool:
        return self.days_left < EXPIRY_WARNING_DAYS


def default_hostnames() -> list[str]:
    """This machine's fully qualified name and short name (the SAN the ECMA host puts in its certificate)."""
    names = [name for name in (socket.getfqdn(), socket.gethostname()) if name and name not in ALWAYS_SANS]
    names = [name for name in names if not name.startswith("localhost.")]
    return list(dict.fromkeys(names)) or ["localhost"]


def generate_certificate(
    target: Home | tuple[Path, Path],
    *,
    hostnames: Sequence[str],
    key_type: KeyType = "rsa",
    days: int = DEFAULT_DAYS,
) -> CertInfo:
    """Write a self-signed certificate and its key (0600) to the home's `certs/host.crt`/`host.key` or to the
    given (certificate, key) paths, replacing existing files. Returns the new certificate's facts."""
    cert_path, key_path = (target.cert_file, target.key_file) if isinstance(target, Home) else target
    if days < 1:
        raise TlsError("a certificate must be valid for at least 1 day")
    names = list(dict.fromkeys([*(name.strip() for name in hostnames if name.strip()), *ALWAYS_SANS]))
    key = _new_key(key_type)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0][:64])])
    now = datetime.now(UTC)
    public = key.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName([_general_name(name) for name in names]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(key_type), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False)
    )
    certificate = builder.sign(key, hashes.SHA256())
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    write_private(key_path, key_pem)
    write_private(cert_path, certificate.public_bytes(serialization.Encoding.PEM), mode=0o644)
    return _info(certificate)


def _new_key(key_type: KeyType) -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey:
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if key_type == "ecdsa":
        return ec.generate_private_key(ec.SECP256R1())
    raise TlsError(f"unknown key type {key_type!r}; use rsa or ecdsa")


def _key_usage(key_type: KeyType) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        key_encipherment=key_type == "rsa",
        content_commitment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def certificate_info(path: Path) -> CertInfo:
    """Facts about the first certificate of a PEM file; `TlsError` if it is missing or not a certificate."""
    return _info(_load_certificate(path))


def _load_certificate(path: Path) -> x509.Certificate:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise TlsError(f"{path}: no such certificate file") from None
    try:
        return x509.load_pem_x509_certificates(data)[0]
    except ValueError:
        raise TlsError(f"{path}: not a PEM certificate (expected -----BEGIN CERTIFICATE-----)") from None


def _info(certificate: x509.Certificate) -> CertInfo:
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        sans = tuple(str(value) for value in san.get_values_for_type(x509.DNSName)) + tuple(
            str(value) for value in san.get_values_for_type(x509.IPAddress)
        )
    except x509.ExtensionNotFound:
        sans = ()
    public = certificate.public_key()
    if isinstance(public, rsa.RSAPublicKey):
        key_type, key_bits = "rsa", public.key_size
    elif isinstance(public, ec.EllipticCurvePublicKey):
        key_type, key_bits = "ecdsa", public.curve.key_size
    else:
        key_type, key_bits = type(public).__name__, 0
    not_after = certificate.not_valid_after_utc
    return CertInfo(
        subject=certificate.subject.rfc4514_string(),
        sans=sans,
        not_before=certificate.not_valid_before_utc,
        not_after=not_after,
        days_left=(not_after - datetime.now(UTC)).days,
        key_type=key_type,
        key_bits=key_bits,
        fingerprint_sha256=certificate.fingerprint(hashes.SHA256()).hex(":").upper(),
    )


def check_key_pair(cert_path: Path, key_path: Path) -> CertInfo:
    """Check that the key file is an unencrypted private key that belongs to the certificate."""
    certificate = _load_certificate(cert_path)
    try:
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except FileNotFoundError:
        raise TlsError(f"{key_path}: no such key file") from None
    except TypeError:
        raise TlsError(
            f"{key_path}: the key is encrypted with a passphrase; export it without one and protect the file "
            "with permissions (chmod 600)"
        ) from None
    except ValueError:
        raise TlsError(f"{key_path}: not a PEM private key (expected -----BEGIN PRIVATE KEY-----)") from None
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    if key.public_key().public_bytes(der, spki) != certificate.public_key().public_bytes(der, spki):
        raise TlsError(f"{key_path} is not the key of {cert_path}: pick the key generated with this certificate")
    return _info(certificate)


def server_ssl_context(cert_path: Path, key_path: Path) -> ssl.SSLContext:
    """The server context: TLS 1.2 minimum, `TLS12_CIPHERS`, no compression, server cipher preference."""
    check_key_pair(cert_path, key_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers(TLS12_CIPHERS)
    context.options |= ssl.OP_NO_COMPRESSION | ssl.OP_CIPHER_SERVER_PREFERENCE
    context.load_cert_chain(str(cert_path), str(key_path))
    return context

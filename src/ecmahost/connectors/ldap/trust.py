"""How the LDAP connector trusts the directory's certificate, and what a failed TLS set-up means.

`client_tls(settings, home)` is the ldap3 `Tls` for `security: starttls|ldaps`:

    ca_file                         the CA bundle; the certificate chain, its dates and the host name are checked
    trust_certificate: PEM of a CA  the same, with the pasted certificate(s) as the CA; a self-signed server
      or a self-signed certificate    certificate counts as its own CA
    trust_certificate: PEM of a     pinned: the handshake checks nothing and `check_pinned` then requires the
      server certificate a CA issued  server to present exactly that certificate (as the ECMA host's "trust")
    trust_certificate: sha256:...   pinned by fingerprint, likewise
    neither                         the system's CAs, with the dates and the host name checked

A pinned certificate is checked right after the handshake, before the bind: the password never goes to a server
that fails the check. `ClientTls` lets the standard library check the certificate in the handshake.
`explain(exc, settings, home)` turns a certificate or handshake failure into a
`ConfigurationError` (or `TargetUnavailable` when the network may be to blame) that says what is wrong and how
to fix it; it returns None for other errors. This module opens no connection.
"""

from __future__ import annotations

import hashlib
import re
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from ldap3 import Connection, Tls
from ldap3.core import exceptions as ldap_exc

from ecmahost.connectors.errors import ConfigurationError, ConnectorError, TargetUnavailable
from ecmahost.connectors.ldap.models import LdapConnection, Security

_VERIFY_FAILED = re.compile(r"certificate verify failed: ([^(]+?)\s*\(")
_UNTRUSTED = (
    "unable to get local issuer certificate",
    "self-signed certificate",
    "self signed certificate",
    "unable to verify the first certificate",
    "unable to get issuer certificate",
)


class ClientTls(Tls):
    """ldap3's `Tls` with an `ssl.SSLContext` made here: the standard library checks the chain, the dates and the
    host name (IP addresses included) in the handshake, and closes the socket when the check fails. (ldap3's own
    check runs after the handshake with the deprecated `ssl.match_hostname`, without IP support, and leaks the
    socket when the name does not match.)"""

    def __init__(self, context: ssl.SSLContext) -> None:
        super().__init__(validate=context.verify_mode)
        self.context = context

    def wrap_socket(self, connection: Connection, do_handshake: bool = False) -> None:
        connection.socket = self.context.wrap_socket(
            connection.socket,
            server_side=False,
            do_handshake_on_connect=do_handshake,
            server_hostname=connection.server.host,
        )


def client_tls(settings: LdapConnection, home: Path) -> Tls | None:
    if settings.security is Security.NONE:
        return None
    trust = settings.trust_certificate
    if trust is not None and pinned_certificates(trust) is not None:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # `check_pinned` compares the certificate before the bind
        return ClientTls(context)
    if trust is not None:
        return ClientTls(ssl.create_default_context(cadata=trust))
    if settings.ca_file is not None:
        path = ca_path(settings, home)
        if not path.is_file():
            raise ConfigurationError(
                f"connection.ca_file: {path} does not exist; put the PEM file of the CA that issued the directory's "
                "certificate there (a relative path is relative to the home folder)"
            )
        return ClientTls(ssl.create_default_context(cafile=str(path)))
    return ClientTls(ssl.create_default_context())


def ca_path(settings: LdapConnection, home: Path) -> Path:
    assert settings.ca_file is not None
    return settings.ca_file if settings.ca_file.is_absolute() else home / settings.ca_file


def pinned_certificates(trust: str) -> list[bytes] | None:
    """The DER certificates `trust` pins the server to, or None when it names CAs (verified the usual way).

    A fingerprint pins the one certificate it hashes (returned as an empty list: compared by hash). PEM text
    pins when none of its certificates is a CA or self-signed, i.e. it is a server certificate a CA issued."""
    if "BEGIN CERTIFICATE" not in trust:
        return []
    certificates = x509.load_pem_x509_certificates(trust.encode("ascii"))
    if any(_is_ca(c) or c.issuer == c.subject for c in certificates):
        return None
    return [c.public_bytes(Encoding.DER) for c in certificates]


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        return bool(certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def fingerprint(der: bytes) -> str:
    """`sha256:AB:CD:...`, the form `trust_certificate` takes."""
    digest = hashlib.sha256(der).hexdigest().upper()
    return "sha256:" + ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def check_pinned(conn: Connection, settings: LdapConnection) -> None:
    """After the handshake, before the bind: a pinned server must present exactly the pinned certificate."""
    trust = settings.trust_certificate
    pinned = pinned_certificates(trust) if trust is not None else None
    if trust is None or pinned is None:
        return
    sock = conn.socket
    peer = sock.getpeercert(binary_form=True) if isinstance(sock, ssl.SSLSocket) else None
    if not peer:
        raise ConfigurationError("the directory presented no certificate; connection.trust_certificate cannot match")
    if pinned and peer in pinned:
        return
    if not pinned and fingerprint(peer).lower() == _normal_fingerprint(trust):
        return
    kind = "certificate" if pinned else "fingerprint"
    raise ConfigurationError(
        f"the directory's certificate ({fingerprint(peer)}) is not the {kind} in connection.trust_certificate: "
        "the server has a new certificate or this is not the server you meant. Check the fingerprint with the "
        "directory's administrator, then paste the server's certificate (PEM) or its fingerprint into "
        "trust_certificate"
    )


def _normal_fingerprint(trust: str) -> str:
    digits = trust.strip().lower().removeprefix("sha256:").replace(":", "")
    return "sha256:" + ":".join(digits[i : i + 2] for i in range(0, len(digits), 2))


def explain(exc: BaseException, settings: LdapConnection, home: Path) -> ConnectorError | None:
    """The typed error, with its fix, for a TLS set-up failure (`exc` from open, StartTLS or the handshake)."""
    if settings.security is Security.NONE:
        return None
    text = _texts(exc)
    address = f"{settings.host}:{settings.effective_port}"
    verify = _VERIFY_FAILED.search(text)
    if verify is not None:
        return _verify_failure(verify[1].strip(), settings, home, address)
    if settings.security is Security.STARTTLS and isinstance(exc, ldap_exc.LDAPOperationResult):
        return ConfigurationError(
            f"the directory at {address} refused StartTLS ({exc.description}: {exc.message}): enable TLS on the "
            "server (OpenLDAP: TLSCertificateFile), or use `security: ldaps` on its LDAPS port"
        )
    if settings.security is Security.STARTTLS and isinstance(exc, ldap_exc.LDAPSessionTerminatedByServerError):
        return TargetUnavailable(
            f"the directory at {address} closed the connection at StartTLS: if this is an LDAPS port (636), set "
            "`security: ldaps`; StartTLS is for the plain LDAP port (389)"
        )
    if "EOF occurred" in text or "WRONG_VERSION_NUMBER" in text or "wrong version number" in text:
        return TargetUnavailable(
            f"no TLS handshake with the directory at {address}: if this is a plain LDAP port (389), set "
            "`security: starttls` (or the LDAPS port, 636, for `security: ldaps`)"
        )
    return None


def _verify_failure(reason: str, settings: LdapConnection, home: Path, address: str) -> ConfigurationError:
    lowered = reason.lower()
    if "mismatch" in lowered:
        return ConfigurationError(
            f"the directory's certificate at {address} is not issued for {settings.host!r}: set connection.host to "
            "a name the certificate has (its subject alternative names), or have it reissued with this name"
        )
    if "expired" in lowered:
        return ConfigurationError(
            f"the directory's certificate at {address} has expired: renew the server's certificate "
            "(OpenLDAP: TLSCertificateFile), or pin it with `trust_certificate` until then"
        )
    if "not yet valid" in lowered:
        return ConfigurationError(
            f"the directory's certificate at {address} is not valid yet: check the clocks of this host and the server"
        )
    if any(marker in lowered for marker in _UNTRUSTED):
        if settings.ca_file is not None:
            trusted = f"the CA in connection.ca_file ({ca_path(settings, home)})"
        elif settings.trust_certificate is not None:
            trusted = "the certificate in connection.trust_certificate"
        else:
            trusted = "the system's CAs"
        return ConfigurationError(
            f"the directory's certificate at {address} is not issued by {trusted} ({reason}): set `ca_file` to the "
            "PEM file of the CA that issued it, or `trust_certificate` to the server's certificate or fingerprint"
        )
    return ConfigurationError(f"the directory's certificate at {address} was refused: {reason}")


def _texts(exc: BaseException) -> str:
    """The messages of `exc` and its causes (ldap3 keeps the ssl error only as text)."""
    parts = []
    seen: BaseException | None = exc
    while seen is not None and len(parts) < 5:
        parts.append(str(seen))
        seen = seen.__cause__ or seen.__context__
    return " | ".join(parts)

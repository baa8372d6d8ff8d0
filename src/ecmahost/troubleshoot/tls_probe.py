"""The first steps of the connection test, below HTTP: the tenant URL's shape, the port, the TLS handshake and the
host's certificate (dates, host name, trust), each checked on its own so a failure names its own cause and fix.

The handshake is made without verification first (to read the certificate whatever is wrong with it), then again
with verification against the trusted certificates, with the host name checked separately. This module opens
sockets; it sends no HTTP.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509

from ecmahost.tls import EXPIRY_WARNING_DAYS
from ecmahost.troubleshoot.steps import Step, failed, passed, warned

URL_STEP = "Tenant URL"
PORT_STEP = "Port answers"
TLS_STEP = "TLS handshake"
DATES_STEP = "Certificate dates"
NAME_STEP = "Certificate host name"
TRUST_STEP = "Certificate trusted"

_TENANT_PATH = re.compile(r"^/ecma2host_([^/]+)/scim/?$")
URL_FIX = "use https://<host>:8585/ecma2host_<ConnectorName>/scim (the connector name is case-sensitive)"
RENEW_FIX = (
    "on the host run `ecmahost cert generate --force` (or `ecmahost cert use` with a new certificate), restart it "
    "(`systemctl restart ecmahost`), then trust the new certificate on the provisioning agent's machine"
)


@dataclass(frozen=True, slots=True)
class Endpoint:
    scheme: str
    host: str
    port: int


def check_url(url: str, connector: str) -> tuple[Step, Endpoint | None]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return failed(URL_STEP, f"{url} is not a URL: {exc}", URL_FIX), None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return failed(URL_STEP, f"{url} is not an https:// URL with a host name", URL_FIX), None
    match = _TENANT_PATH.match(parts.path)
    if match is None:
        return failed(URL_STEP, f"the path {parts.path or '/'} is not /ecma2host_<Name>/scim", URL_FIX), None
    named = match.group(1)
    if named != connector:
        hint = " (names are case-sensitive)" if named.lower() == connector.lower() else ""
        return failed(URL_STEP, f"the URL names connector {named!r}, not {connector!r}{hint}", URL_FIX), None
    endpoint = Endpoint(parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80))
    if parts.scheme == "http":
        step = failed(
            URL_STEP,
            "the URL is http://: Entra's provisioning agent only connects over HTTPS",
            "serve with TLS (`ecmahost serve` without --insecure-http) and use https://",
        )
        return step, endpoint
    return passed(URL_STEP, f"{url} has the right shape"), endpoint


def check_port(endpoint: Endpoint, timeout: float) -> Step:
    where = f"{endpoint.host}:{endpoint.port}"
    try:
        with socket.create_connection((endpoint.host, endpoint.port), timeout=timeout):
            return passed(PORT_STEP, f"{where} accepts connections")
    except socket.gaierror as exc:
        return failed(PORT_STEP, f"{endpoint.host} does not resolve: {exc.strerror}", "check the host name in the URL")
    except ConnectionRefusedError:
        return failed(
            PORT_STEP,
            f"nothing listens on {where}",
            "start the host (`ecmahost serve`, or `systemctl start ecmahost`); `ecmahost status` on the host shows "
            "whether it runs and on which port (host.yaml `port`, default 8585)",
        )
    except TimeoutError:
        return failed(
            PORT_STEP,
            f"{where} did not answer within {timeout:g} s",
            f"a firewall drops the connection: allow TCP {endpoint.port} from this machine to the host",
        )
    except OSError as exc:
        return failed(PORT_STEP, f"cannot connect to {where}: {exc.strerror or exc}", "check the host and network")


def handshake(endpoint: Endpoint, timeout: float) -> tuple[Step, x509.Certificate | None]:
    """Handshake without verification; returns the step and the server's certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with (
            socket.create_connection((endpoint.host, endpoint.port), timeout=timeout) as raw,
            context.wrap_socket(raw, server_hostname=endpoint.host) as tls,
        ):
            version = tls.version() or "?"
            der = tls.getpeercert(binary_form=True)
    except (ssl.SSLError, OSError) as exc:
        return (
            failed(
                TLS_STEP,
                f"no TLS handshake with {endpoint.host}:{endpoint.port}: {exc}",
                "is the host serving plain HTTP (--insecure-http) or is another program on this port? "
                "`ecmahost status` on the host shows its URL",
            ),
            None,
        )
    if der is None:
        return failed(TLS_STEP, "the server sent no certificate", "serve with a certificate"), None
    if version not in ("TLSv1.2", "TLSv1.3"):
        return failed(TLS_STEP, f"negotiated {version}; Entra needs TLS 1.2 or newer", "upgrade the server"), None
    return passed(TLS_STEP, f"{version} with {endpoint.host}:{endpoint.port}"), x509.load_der_x509_certificate(der)


def check_dates(certificate: x509.Certificate, now: datetime | None = None) -> Step:
    now = now or datetime.now(UTC)
    not_after = certificate.not_valid_after_utc
    not_before = certificate.not_valid_before_utc
    if not_after <= now:
        return failed(DATES_STEP, f"the certificate EXPIRED on {not_after:%Y-%m-%d %H:%M UTC}", RENEW_FIX)
    if not_before > now:
        return failed(
            DATES_STEP,
            f"the certificate is not valid before {not_before:%Y-%m-%d %H:%M UTC}",
            "check the clocks of both machines (NTP)",
        )
    days = (not_after - now).days
    if days < EXPIRY_WARNING_DAYS:
        return warned(DATES_STEP, f"valid, but expires in {days} days ({not_after:%Y-%m-%d}): renew it soon")
    return passed(DATES_STEP, f"valid until {not_after:%Y-%m-%d} ({days} days left)")


def certificate_names(certificate: x509.Certificate) -> list[str]:
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        common = certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
        return [str(attribute.value) for attribute in common]
    return [*san.get_values_for_type(x509.DNSName), *(str(ip) for ip in san.get_values_for_type(x509.IPAddress))]


def name_matches(host: str, names: list[str]) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    for name in names:
        if address is not None:
            if name == str(address):
                return True
            continue
        pattern, wanted = name.lower().rstrip("."), host.lower().rstrip(".")
        if pattern == wanted:
            return True
        if pattern.startswith("*.") and "." in wanted and wanted.split(".", 1)[1] == pattern[2:]:
            return True
    return False


def check_name(certificate: x509.Certificate, endpoint: Endpoint) -> Step:
    names = certificate_names(certificate)
    if name_matches(endpoint.host, names):
        return passed(NAME_STEP, f"{endpoint.host} is one of the certificate's names")
    return failed(
        NAME_STEP,
        f"the certificate is for {', '.join(names) or 'no name'}, not {endpoint.host}",
        f"use one of those names in the tenant URL, or on the host run "
        f"`ecmahost cert generate --force --host {endpoint.host}` and restart it",
    )


def trust_context(ca_files: list[Path], *, check_hostname: bool = True) -> ssl.SSLContext:
    """The system's trusted certificates plus `ca_files` (the host's own certificate, a private CA)."""
    context = ssl.create_default_context()
    for path in ca_files:
        context.load_verify_locations(cafile=str(path))
    context.check_hostname = check_hostname
    return context


def check_trust(endpoint: Endpoint, ca_files: list[Path], timeout: float) -> Step:
    context = trust_context(ca_files, check_hostname=False)
    try:
        with (
            socket.create_connection((endpoint.host, endpoint.port), timeout=timeout) as raw,
            context.wrap_socket(raw, server_hostname=endpoint.host),
        ):
            pass
    except ssl.SSLCertVerificationError as exc:
        trusted = ", ".join(str(path) for path in ca_files) or "the system's trusted CAs only"
        return failed(
            TRUST_STEP,
            f"the certificate is not trusted ({exc.verify_message}); trusted here: {trusted}",
            "pass --home (on the host) or --ca-file <the host's certs/host.crt or its CA>; on the provisioning "
            "agent's machine import it into Trusted Root Certification Authorities",
        )
    except (ssl.SSLError, OSError) as exc:
        return failed(TRUST_STEP, f"the verified handshake failed: {exc}", "see the TLS handshake step")
    return passed(TRUST_STEP, "the certificate chain is trusted")

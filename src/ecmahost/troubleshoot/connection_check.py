"""`ecmahost test-connection`: the TestECMA2HostConnection script, done properly.

Runs from any machine and checks, in order: the tenant URL's shape, the port, the TLS handshake, the certificate
(dates, host name, trust), the connector, the token, Entra's dummy-user query, `/Schemas`, a read from the target,
and (with `write`) a create/read/delete round trip. A failure that makes later steps meaningless (no port, a
certificate Entra would refuse, a rejected token) marks the rest as skipped. The token is used only in the
Authorization header. `--insecure` skips certificate trust and host name checks, reported as warnings.

This module composes the probes (`tls_probe`, `scim_probe`); it prints nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from ecmahost.home import Home
from ecmahost.settings import DEFAULT_PORT, load_settings
from ecmahost.troubleshoot import scim_probe, tls_probe
from ecmahost.troubleshoot.steps import Report, StepStatus, skipped, warned

DEFAULT_TIMEOUT = 10.0
HTTP_STEPS = (
    scim_probe.CONNECTOR_STEP,
    scim_probe.TOKEN_STEP,
    scim_probe.DUMMY_STEP,
    scim_probe.SCHEMAS_STEP,
    scim_probe.TARGET_STEP,
)
TLS_STEPS = (tls_probe.TLS_STEP, tls_probe.DATES_STEP, tls_probe.NAME_STEP, tls_probe.TRUST_STEP)


@dataclass(frozen=True)
class ConnectionTest:
    connector: str
    url: str
    token: str | None = field(default=None, repr=False)
    write: bool = False
    ca_files: tuple[Path, ...] = ()
    """certificates to trust besides the system's (the host's own `certs/host.crt`, a private CA)"""
    insecure: bool = False
    expected_attributes: Sequence[str] | None = None
    """the User attributes the connector file selects, when the home is readable (to name a missing one)"""
    match_attribute: str = "userName"
    timeout: float = DEFAULT_TIMEOUT


def default_url(connector: str, port: int = DEFAULT_PORT, host: str = "localhost") -> str:
    return f"https://{host}:{port}/ecma2host_{connector}/scim"


def host_certificates(home: Home) -> tuple[Path, ...]:
    """The certificate the host in `home` serves, to trust it (empty when it does not exist)."""
    cert, _ = load_settings(home).certificate_paths(home)
    return (cert,) if cert.is_file() else ()


def _skip_rest(report: Report, names: Sequence[str], why: str) -> None:
    for name in names:
        if report.step(name) is None:
            report.add(skipped(name, why))


def _http_steps(test: ConnectionTest) -> tuple[str, ...]:
    return HTTP_STEPS + ((scim_probe.WRITE_STEP,) if test.write else ())


def _check_tls(test: ConnectionTest, report: Report, endpoint: tls_probe.Endpoint) -> bool:
    """The TLS steps; whether the SCIM steps can go on."""
    step, certificate = tls_probe.handshake(endpoint, test.timeout)
    report.add(step)
    if certificate is None:
        return False
    report.add(tls_probe.check_dates(certificate))
    if test.insecure:
        report.add(warned(tls_probe.NAME_STEP, "not checked (--insecure)"))
        report.add(warned(tls_probe.TRUST_STEP, "not checked (--insecure): Entra's agent does check it"))
        return True
    report.add(tls_probe.check_name(certificate, endpoint))
    if not report.blocked:  # an out-of-date certificate is never trusted: its own step says why
        report.add(tls_probe.check_trust(endpoint, list(test.ca_files), test.timeout))
    return not report.blocked


def _client(test: ConnectionTest) -> httpx.Client:
    verify = False if test.insecure else tls_probe.trust_context(list(test.ca_files))
    headers = {"Authorization": f"Bearer {test.token}"} if test.token else {}
    return httpx.Client(base_url=test.url.split("?")[0].rstrip("/"), headers=headers, verify=verify, timeout=60)


def _check_scim(test: ConnectionTest, report: Report) -> None:
    with _client(test) as client:
        step, response = scim_probe.check_connector(client, test.connector)
        report.add(step)
        if step.status is StepStatus.FAIL:
            return
        token = report.add(scim_probe.check_token(response, test.connector, test.token is not None))
        if token.status is not StepStatus.PASS:
            return
        report.add(scim_probe.check_dummy_query(client, test.connector, test.match_attribute))
        step, attributes = scim_probe.check_schemas(client, test.connector, test.expected_attributes)
        report.add(step)
        target = report.add(scim_probe.check_target(client, test.connector))
        if test.write:
            if target.status is StepStatus.FAIL or not attributes:
                report.add(skipped(scim_probe.WRITE_STEP, "not tried: the steps above failed"))
            else:
                report.add(scim_probe.check_write(client, test.connector, attributes))


def run_connection_test(test: ConnectionTest) -> Report:
    report = Report(test.connector, test.url)
    step, endpoint = tls_probe.check_url(test.url, test.connector)
    report.add(step)
    later = (tls_probe.PORT_STEP, *TLS_STEPS, *_http_steps(test))
    if endpoint is None:
        _skip_rest(report, later, "skipped: fix the tenant URL first")
        return report
    port = report.add(tls_probe.check_port(endpoint, test.timeout))
    if port.status is StepStatus.FAIL:
        _skip_rest(report, later, "skipped: the port does not answer")
        return report
    if endpoint.scheme == "https" and not _check_tls(test, report, endpoint):
        _skip_rest(report, later, "skipped: a client that checks certificates, as Entra's agent does, stops here")
        return report
    _check_scim(test, report)
    _skip_rest(report, _http_steps(test), "skipped: an earlier step failed or no token was given")
    return report

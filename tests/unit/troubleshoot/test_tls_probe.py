"""The checks below HTTP: the tenant URL's shape, certificate dates and host names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ecmahost.troubleshoot.steps import StepStatus
from ecmahost.troubleshoot.tls_probe import check_dates, check_url, name_matches


def _certificate(not_before: datetime, not_after: datetime) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "host")])
    builder = x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
    builder = builder.serial_number(1).not_valid_before(not_before).not_valid_after(not_after)
    return builder.sign(key, hashes.SHA256())


def test_a_well_formed_tenant_url_passes_with_its_endpoint() -> None:
    step, endpoint = check_url("https://host.example.org:8585/ecma2host_HR/scim?aadOptscim062020", "HR")
    assert step.status is StepStatus.PASS
    assert (endpoint.host, endpoint.port) == ("host.example.org", 8585)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://host:8585/scim", "is not /ecma2host_<Name>/scim"),
        ("https://host:8585/ecma2host_hr/scim", "names connector 'hr', not 'HR' (names are case-sensitive)"),
        ("ftp://host/ecma2host_HR/scim", "is not an https:// URL"),
        ("https://host:99999/ecma2host_HR/scim", "is not a URL"),
    ],
)
def test_a_malformed_tenant_url_fails_with_the_shape_to_use(url: str, expected: str) -> None:
    step, _ = check_url(url, "HR")
    assert step.status is StepStatus.FAIL
    assert expected in step.detail
    assert "/ecma2host_<ConnectorName>/scim" in step.fix


def test_plain_http_fails_because_entra_needs_https() -> None:
    step, endpoint = check_url("http://localhost:8585/ecma2host_HR/scim", "HR")
    assert step.status is StepStatus.FAIL
    assert endpoint is not None


def test_an_expired_certificate_fails_with_the_renewal_command() -> None:
    now = datetime.now(UTC)
    step = check_dates(_certificate(now - timedelta(days=10), now - timedelta(days=1)))
    assert step.status is StepStatus.FAIL
    assert "EXPIRED" in step.detail
    assert "ecmahost cert generate --force" in step.fix


def test_a_certificate_expiring_soon_passes_with_a_warning() -> None:
    now = datetime.now(UTC)
    step = check_dates(_certificate(now - timedelta(days=10), now + timedelta(days=5)))
    assert step.status is StepStatus.WARN


def test_host_names_match_exactly_by_wildcard_or_ip() -> None:
    names = ["host.example.org", "*.corp.example", "127.0.0.1"]
    assert name_matches("HOST.example.org", names)
    assert name_matches("a.corp.example", names)
    assert not name_matches("a.b.corp.example", names)
    assert name_matches("127.0.0.1", names)
    assert not name_matches("10.0.0.1", names)
    assert not name_matches("other.example.org", names)

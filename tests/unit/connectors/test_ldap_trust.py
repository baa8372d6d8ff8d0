"""Which `trust_certificate` pins and which names a CA, the fingerprint format, and the connection settings'
validation of TLS keys (pure logic: no server)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from ecmahost.connectors.ldap.models import LdapConnection
from ecmahost.connectors.ldap.trust import fingerprint, pinned_certificates

from support.slapd_tls import TestPki


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestPki:
    return TestPki(tmp_path_factory.mktemp("pki"))


def test_a_server_certificate_issued_by_a_ca_is_pinned(pki: TestPki) -> None:
    pinned = pinned_certificates(pki.server.pem)
    assert pinned is not None
    assert len(pinned) == 1


def test_a_ca_certificate_is_trusted_as_a_ca_not_pinned(pki: TestPki) -> None:
    assert pinned_certificates(pki.ca.pem) is None


def test_a_bundle_with_a_ca_is_trusted_as_cas(pki: TestPki) -> None:
    assert pinned_certificates(pki.server.pem + pki.ca.pem) is None


def test_a_fingerprint_pins_by_hash(pki: TestPki) -> None:
    assert pinned_certificates(pki.server.sha256) == []


def test_fingerprint_is_upper_case_hex_pairs_with_the_sha256_prefix(pki: TestPki) -> None:
    der = pinned_certificates(pki.server.pem)
    assert der is not None
    assert fingerprint(der[0]) == pki.server.sha256
    assert len(fingerprint(der[0])) == len("sha256:") + 32 * 3 - 1


def test_a_truncated_pem_certificate_is_refused_when_the_file_is_read(pki: TestPki) -> None:
    broken = pki.server.pem.replace("\n", "", 3)[:200] + "\n-----END CERTIFICATE-----\n"
    with pytest.raises(ValidationError, match="the PEM certificate cannot be read"):
        LdapConnection(host="h", security="ldaps", trust_certificate=broken)


def test_a_fingerprint_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(ValidationError, match="SHA-256 fingerprint"):
        LdapConnection(host="h", security="ldaps", trust_certificate="sha256:AB:CD")


def test_tls_keys_need_a_tls_security_mode(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="need `security: starttls` or `security: ldaps`"):
        LdapConnection(host="h", ca_file=tmp_path / "ca.pem")


def test_ca_file_and_trust_certificate_are_exclusive(pki: TestPki) -> None:
    with pytest.raises(ValidationError, match="either `ca_file` or `trust_certificate`"):
        LdapConnection(host="h", security="starttls", ca_file=pki.ca.certificate, trust_certificate=pki.ca.pem)


def test_ldaps_defaults_to_port_636_and_starttls_to_389() -> None:
    assert LdapConnection(host="h", security="ldaps").effective_port == 636
    assert LdapConnection(host="h", security="starttls").effective_port == 389

"""The LDAP connector's connection security against a real slapd that requires TLS (`security tls=1`), with a test
CA: StartTLS and LDAPS with `ca_file`, `trust_certificate` as PEM (a server certificate, or a CA) and as a
`sha256:` fingerprint; and clear errors, without the bind password, for a wrong CA, a wrong fingerprint, an
expired certificate, a host name mismatch, plain LDAP against a server that requires TLS, and a wrong port."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ecmahost.config.validation import validate_connector
from ecmahost.connectors.errors import ConfigurationError, ConnectorError, TargetUnavailable
from ecmahost.connectors.ldap import LdapConnector
from ecmahost.home import Home

from support.slapd import PASSWORD_ENV, PEOPLE, ROOT_PASSWORD, Slapd, connector_file
from support.slapd_tls import TestPki, TlsSlapd, running_tls_slapd, tls_connector_file

pytestmark = [pytest.mark.ldap, pytest.mark.anyio]


@pytest.fixture(autouse=True)
def _bind_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, ROOT_PASSWORD)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestPki:
    return TestPki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def tls_server(pki: TestPki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsSlapd]:
    with running_tls_slapd(tmp_path_factory.mktemp("slapd-tls"), pki, pki.server) as server:
        yield server


@pytest.fixture(scope="module")
def expired_server(pki: TestPki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsSlapd]:
    with running_tls_slapd(tmp_path_factory.mktemp("slapd-expired"), pki, pki.expired) as server:
        yield server


def _connector(raw: dict[str, Any], home: Path) -> LdapConnector:
    config = validate_connector(raw, file=f"{raw['name']}.yaml", home=Home(home))
    return LdapConnector(config, home=home)


async def _round_trip(raw: dict[str, Any], home: Path) -> None:
    """Create a user, read it back and delete it: real operations over the secured connection."""
    connector = _connector(raw, home)
    try:
        await connector.check()
        uid = f"tls{time.time_ns()}"
        created = await connector.create("User", {"uid": uid, "givenName": "Tee", "sn": "Ls"})
        assert created["-dn-"] == f"uid={uid},{PEOPLE}"
        assert (await connector.get("User", created["entryUUID"]))["uid"] == uid
        await connector.delete("User", created["entryUUID"])
    finally:
        await connector.close()


async def _failure(raw: dict[str, Any], home: Path) -> ConnectorError:
    """The error `check()` raises for `raw`; never one that shows the bind password."""
    connector = _connector(raw, home)
    try:
        with pytest.raises(ConnectorError) as raised:
            await connector.check()
    finally:
        await connector.close()
    assert ROOT_PASSWORD not in str(raised.value)
    return raised.value


def _ldaps(server: TlsSlapd, **connection: object) -> dict[str, Any]:
    return tls_connector_file(server, security="ldaps", port=server.ldaps_port, **connection)


# -- what works ------------------------------------------------------------------------------------------------
async def test_starttls_with_the_ca_file_works(tls_server: TlsSlapd, pki: TestPki, tmp_path: Path) -> None:
    await _round_trip(tls_connector_file(tls_server, security="starttls", ca_file=str(pki.ca.certificate)), tmp_path)


async def test_ca_file_relative_to_the_home_folder_works(tls_server: TlsSlapd, pki: TestPki, tmp_path: Path) -> None:
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "ldap-ca.pem").write_text(pki.ca.pem)
    await _round_trip(tls_connector_file(tls_server, security="starttls", ca_file="certs/ldap-ca.pem"), tmp_path)


async def test_ldaps_with_the_ca_file_works(tls_server: TlsSlapd, pki: TestPki, tmp_path: Path) -> None:
    await _round_trip(_ldaps(tls_server, ca_file=str(pki.ca.certificate)), tmp_path)


async def test_ldaps_trusting_the_servers_pem_certificate_works(
    tls_server: TlsSlapd, pki: TestPki, tmp_path: Path
) -> None:
    await _round_trip(_ldaps(tls_server, trust_certificate=pki.server.pem), tmp_path)


async def test_ldaps_trusting_the_servers_sha256_fingerprint_works(
    tls_server: TlsSlapd, pki: TestPki, tmp_path: Path
) -> None:
    await _round_trip(_ldaps(tls_server, trust_certificate=pki.server.sha256), tmp_path)


async def test_starttls_trusting_the_servers_fingerprint_works(
    tls_server: TlsSlapd, pki: TestPki, tmp_path: Path
) -> None:
    raw = tls_connector_file(tls_server, security="starttls", trust_certificate=pki.server.sha256)
    await _round_trip(raw, tmp_path)


async def test_a_ca_pasted_into_trust_certificate_is_trusted_as_a_ca(
    tls_server: TlsSlapd, pki: TestPki, tmp_path: Path
) -> None:
    await _round_trip(_ldaps(tls_server, trust_certificate=pki.ca.pem), tmp_path)


async def test_a_pinned_certificate_skips_the_host_name_check(
    tls_server: TlsSlapd, pki: TestPki, tmp_path: Path
) -> None:
    await _round_trip(_ldaps(tls_server, host="127.0.0.1", trust_certificate=pki.server.sha256), tmp_path)


# -- what fails, and how it says so ----------------------------------------------------------------------------
@pytest.mark.parametrize("security", ["starttls", "ldaps"])
async def test_a_certificate_from_another_ca_is_a_configuration_error_naming_the_ca_file(
    tls_server: TlsSlapd, pki: TestPki, tmp_path: Path, security: str
) -> None:
    port = tls_server.ldaps_port if security == "ldaps" else tls_server.port
    raw = tls_connector_file(tls_server, security=security, port=port, ca_file=str(pki.other_ca.certificate))
    error = await _failure(raw, tmp_path)
    assert isinstance(error, ConfigurationError)
    assert "not issued by the CA in connection.ca_file" in str(error)
    assert str(pki.other_ca.certificate) in str(error)
    assert "set `ca_file` to the PEM file of the CA that issued it" in str(error)


async def test_without_a_ca_the_test_certificate_is_refused_by_the_system_cas(
    tls_server: TlsSlapd, tmp_path: Path
) -> None:
    error = await _failure(_ldaps(tls_server), tmp_path)
    assert isinstance(error, ConfigurationError)
    assert "not issued by the system's CAs" in str(error)


async def test_a_wrong_fingerprint_is_refused_before_the_bind(
    tls_server: TlsSlapd, pki: TestPki, tmp_path: Path
) -> None:
    binds_before = tls_server.monitor_counter("Bind")
    error = await _failure(_ldaps(tls_server, trust_certificate=pki.other_ca.sha256), tmp_path)
    assert isinstance(error, ConfigurationError)
    assert f"the directory's certificate ({pki.server.sha256}) is not the fingerprint" in str(error)
    assert tls_server.monitor_counter("Bind") == binds_before + 1, "the connector bound (only this count's own bind)"


async def test_a_different_pinned_pem_certificate_is_refused(
    tls_server: TlsSlapd, pki: TestPki, tmp_path: Path
) -> None:
    error = await _failure(_ldaps(tls_server, trust_certificate=pki.expired.pem), tmp_path)
    assert isinstance(error, ConfigurationError)
    assert "is not the certificate in connection.trust_certificate" in str(error)


@pytest.mark.parametrize("security", ["starttls", "ldaps"])
async def test_an_expired_server_certificate_is_a_configuration_error_saying_renew_it(
    expired_server: TlsSlapd, pki: TestPki, tmp_path: Path, security: str
) -> None:
    port = expired_server.ldaps_port if security == "ldaps" else expired_server.port
    raw = tls_connector_file(expired_server, security=security, port=port, ca_file=str(pki.ca.certificate))
    error = await _failure(raw, tmp_path)
    assert isinstance(error, ConfigurationError)
    assert "has expired: renew the server's certificate" in str(error)


@pytest.mark.parametrize("security", ["starttls", "ldaps"])
async def test_a_host_name_mismatch_is_a_configuration_error_naming_the_certificates_names(
    tls_server: TlsSlapd, pki: TestPki, tmp_path: Path, security: str
) -> None:
    port = tls_server.ldaps_port if security == "ldaps" else tls_server.port
    raw = tls_connector_file(
        tls_server, security=security, port=port, host="127.0.0.1", ca_file=str(pki.ca.certificate)
    )
    error = await _failure(raw, tmp_path)
    assert isinstance(error, ConfigurationError)
    assert "is not issued for '127.0.0.1'" in str(error)
    assert "set connection.host to a name the certificate has" in str(error)


async def test_plain_ldap_against_a_server_that_requires_tls_says_to_use_tls(
    tls_server: TlsSlapd, tmp_path: Path
) -> None:
    error = await _failure(tls_connector_file(tls_server, security="none"), tmp_path)
    assert isinstance(error, ConfigurationError)
    assert "the server requires TLS" in str(error)
    assert "set `security: starttls` or `ldaps`" in str(error)


async def test_ldaps_on_the_plain_ldap_port_says_to_use_starttls(
    tls_server: TlsSlapd, pki: TestPki, tmp_path: Path
) -> None:
    raw = tls_connector_file(tls_server, security="ldaps", port=tls_server.port, ca_file=str(pki.ca.certificate))
    error = await _failure(raw, tmp_path)
    assert isinstance(error, TargetUnavailable)
    assert "set `security: starttls`" in str(error)


async def test_starttls_on_the_ldaps_port_says_to_use_ldaps(tls_server: TlsSlapd, pki: TestPki, tmp_path: Path) -> None:
    raw = tls_connector_file(
        tls_server, security="starttls", port=tls_server.ldaps_port, ca_file=str(pki.ca.certificate)
    )
    error = await _failure(raw, tmp_path)
    assert isinstance(error, TargetUnavailable)
    assert "set `security: ldaps`" in str(error)


async def test_starttls_against_a_server_without_tls_says_to_enable_it(ldap_server: Slapd, tmp_path: Path) -> None:
    raw = connector_file(ldap_server)
    raw["connection"] = {**raw["connection"], "security": "starttls"}
    error = await _failure(raw, tmp_path)
    assert isinstance(error, ConfigurationError)
    assert "refused StartTLS" in str(error)


async def test_a_missing_ca_file_is_a_configuration_error_naming_the_path(tls_server: TlsSlapd, tmp_path: Path) -> None:
    error = await _failure(_ldaps(tls_server, ca_file="certs/missing.pem"), tmp_path)
    assert isinstance(error, ConfigurationError)
    assert f"{tmp_path / 'certs' / 'missing.pem'} does not exist" in str(error)

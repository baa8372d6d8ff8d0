from __future__ import annotations

import contextlib
import re
import ssl
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ecmahost import tls
from ecmahost.home import Home
from ecmahost.tls import (
    TlsError,
    certificate_info,
    check_key_pair,
    generate_certificate,
    server_ssl_context,
)


@pytest.fixture(scope="module")
def rsa_home(tmp_path_factory: pytest.TempPathFactory) -> Home:
    home = Home(tmp_path_factory.mktemp("rsa"))
    generate_certificate(home, hostnames=["ecma.contoso.com"], key_type="rsa")
    return home


def test_generated_certificate_names_the_host_and_loopback(rsa_home: Home) -> None:
    info = certificate_info(rsa_home.cert_file)
    assert info.subject == "CN=ecma.contoso.com"
    assert info.sans == ("ecma.contoso.com", "localhost", "127.0.0.1", "::1")
    assert (info.key_type, info.key_bits) == ("rsa", 2048)
    assert info.days_left in (729, 730)
    assert re.fullmatch(r"([0-9A-F]{2}:){31}[0-9A-F]{2}", info.fingerprint_sha256)
    assert not info.expired
    assert not info.expires_soon


def test_generated_key_is_private(rsa_home: Home) -> None:
    assert stat.S_IMODE(rsa_home.key_file.stat().st_mode) == 0o600


def test_ecdsa_certificate_uses_p256(tmp_path: Path) -> None:
    info = generate_certificate(
        (tmp_path / "c.pem", tmp_path / "k.pem"), hostnames=["a", "10.0.0.5"], key_type="ecdsa", days=10
    )
    assert (info.key_type, info.key_bits) == ("ecdsa", 256)
    assert info.sans == ("a", "localhost", "10.0.0.5", "127.0.0.1", "::1")
    assert info.days_left in (9, 10)
    assert info.expires_soon


def test_unknown_key_type_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TlsError, match="use rsa or ecdsa"):
        generate_certificate(Home(tmp_path), hostnames=["a"], key_type="dsa")  # type: ignore[arg-type]


def test_key_of_another_certificate_is_refused(rsa_home: Home, tmp_path: Path) -> None:
    other = Home(tmp_path)
    generate_certificate(other, hostnames=["b"], key_type="ecdsa")
    with pytest.raises(TlsError, match="is not the key of"):
        check_key_pair(rsa_home.cert_file, other.key_file)


def test_encrypted_key_is_refused_with_the_fix(rsa_home: Home, tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    encrypted = tmp_path / "enc.key"
    encrypted.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"pass"),
        )
    )
    with pytest.raises(TlsError, match="encrypted with a passphrase"):
        check_key_pair(rsa_home.cert_file, encrypted)


def test_not_a_certificate_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "x.pem").write_text("hello")
    with pytest.raises(TlsError, match="not a PEM certificate"):
        certificate_info(tmp_path / "x.pem")
    with pytest.raises(TlsError, match="no such certificate file"):
        certificate_info(tmp_path / "missing.pem")


def test_server_context_requires_tls12_and_strong_ciphers(rsa_home: Home) -> None:
    context = server_ssl_context(rsa_home.cert_file, rsa_home.key_file)
    assert context.minimum_version is ssl.TLSVersion.TLSv1_2
    tls12 = [cipher for cipher in context.get_ciphers() if cipher["protocol"] == "TLSv1.2"]
    assert tls12
    for cipher in tls12:
        assert cipher["kea"] == "kx-ecdhe", cipher["name"]
        assert cipher["digest"] != "sha1", cipher["name"]
        assert "CBC" not in cipher["description"] or "SHA256" in cipher["name"] or "SHA384" in cipher["name"]


def _handshake(server: ssl.SSLContext, client: ssl.SSLContext, hostname: str) -> str:
    client_in, client_out, server_in, server_out = (ssl.MemoryBIO() for _ in range(4))
    client_side = client.wrap_bio(client_in, client_out, server_hostname=hostname)
    server_side = server.wrap_bio(server_in, server_out, server_side=True)
    for _ in range(10):
        for side in (client_side, server_side):
            with contextlib.suppress(ssl.SSLWantReadError):
                side.do_handshake()
        server_in.write(client_out.read())
        client_in.write(server_out.read())
    version = client_side.version()
    assert version is not None
    return version


def test_client_trusting_the_generated_certificate_completes_a_handshake(rsa_home: Home) -> None:
    server = server_ssl_context(rsa_home.cert_file, rsa_home.key_file)
    client = ssl.create_default_context(cafile=str(rsa_home.cert_file))
    assert _handshake(server, client, "localhost") == "TLSv1.3"
    client12 = ssl.create_default_context(cafile=str(rsa_home.cert_file))
    client12.maximum_version = ssl.TLSVersion.TLSv1_2
    assert _handshake(server, client12, "ecma.contoso.com") == "TLSv1.2"


def test_client_offering_only_rsa_key_exchange_is_refused(rsa_home: Home) -> None:
    server = server_ssl_context(rsa_home.cert_file, rsa_home.key_file)
    client = ssl.create_default_context(cafile=str(rsa_home.cert_file))
    client.maximum_version = ssl.TLSVersion.TLSv1_2
    client.set_ciphers("AES128-GCM-SHA256:AES256-SHA")
    with pytest.raises(ssl.SSLError):
        _handshake(server, client, "localhost")


def test_default_hostnames_prefer_real_names_over_localhost(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tls.socket, "getfqdn", lambda: "localhost")
    monkeypatch.setattr(tls.socket, "gethostname", lambda: "ecma01")
    assert tls.default_hostnames() == ["ecma01"]
    monkeypatch.setattr(tls.socket, "getfqdn", lambda: "ecma01.contoso.com")
    assert tls.default_hostnames() == ["ecma01.contoso.com", "ecma01"]
    monkeypatch.setattr(tls.socket, "gethostname", lambda: "localhost")
    monkeypatch.setattr(tls.socket, "getfqdn", lambda: "localhost.localdomain")
    assert tls.default_hostnames() == ["localhost"]

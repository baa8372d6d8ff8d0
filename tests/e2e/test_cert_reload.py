"""A renewed certificate is served without restarting the host; a broken one is refused and the current one stays."""

from __future__ import annotations

import hashlib
import socket
import ssl
import time
from collections.abc import Iterator

import pytest

from ecmahost.demo import demo_connector
from ecmahost.home import Home
from ecmahost.tls import generate_certificate

from e2e_host import RunningHost, prepare_home, start_serve_host

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHost]:
    home = tmp_path_factory.mktemp("home-cert")
    prepare_home(home, demo_connector(url=f"sqlite:///{home / 'cert.db'}"))
    running = start_serve_host(home)
    yield running
    running.stop()


def served_fingerprint(host: RunningHost) -> str:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with (
        socket.create_connection(("127.0.0.1", host.port), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        certificate = tls.getpeercert(binary_form=True)
    assert certificate is not None
    return hashlib.sha256(certificate).hexdigest()


def wait_for_change(host: RunningHost, before: str, seconds: float = 6) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        now = served_fingerprint(host)
        if now != before:
            return now
        time.sleep(0.2)
    return before


def test_a_renewed_certificate_is_served_without_a_restart(host: RunningHost) -> None:
    before = served_fingerprint(host)
    generate_certificate(Home(host.home), hostnames=["renewed.example.org"], key_type="ecdsa")
    after = wait_for_change(host, before)
    assert after != before
    assert host.process.poll() is None, "the host kept running"


def test_a_certificate_that_does_not_match_its_key_is_not_loaded(host: RunningHost) -> None:
    before = served_fingerprint(host)
    other = host.home / "other"
    other.mkdir()
    generate_certificate((other / "c.crt", other / "c.key"), hostnames=["x"])
    (host.home / "certs" / "host.crt").write_bytes((other / "c.crt").read_bytes())
    time.sleep(3)
    assert served_fingerprint(host) == before
    assert "cannot be used" in host.log.read_text()

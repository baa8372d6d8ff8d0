"""The relay envelope: NATS headers plus the raw body, both ways."""

from __future__ import annotations

import pytest

from ecmahost.relay import envelope


def test_a_request_round_trips_with_only_the_headers_the_host_needs() -> None:
    incoming = [
        ("Authorization", "Bearer t"),
        ("Content-Type", "application/scim+json"),
        ("Host", "relay.example.org"),
        ("Connection", "keep-alive"),
        ("Ecmahost-Path", "/forged"),
        ("Accept", "a"),
        ("Accept", "b"),
    ]
    request = envelope.HttpRequest(
        "PATCH", "/ecma2host_demo/scim/Users/1?x=y", envelope.forwarded_request_headers(incoming), b"{}", 5000
    )
    decoded = envelope.decode_request(envelope.encode_request(request), b"{}")
    assert decoded == request
    assert decoded.headers == {"authorization": "Bearer t", "content-type": "application/scim+json", "accept": "a, b"}


def test_a_reply_keeps_status_headers_and_body_but_not_hop_headers() -> None:
    headers = envelope.encode_reply(201, [("Location", "/Users/1"), ("ETag", 'W/"1"'), ("Content-Length", "2")])
    reply = envelope.decode_reply(headers, b"{}")
    assert (reply.status, reply.body) == (201, b"{}")
    assert reply.headers == {"location": "/Users/1", "etag": 'W/"1"'}


@pytest.mark.parametrize("headers", [None, {}, {"Ecmahost-Status": "x"}, {"Ecmahost-Status": "999"}])
def test_a_reply_without_a_valid_status_is_malformed(headers: dict[str, str] | None) -> None:
    with pytest.raises(envelope.EnvelopeError):
        envelope.decode_reply(headers, b"")


@pytest.mark.parametrize(
    "headers", [None, {"Ecmahost-Method": "GET"}, {"Ecmahost-Method": "GET", "Ecmahost-Path": "x"}]
)
def test_a_request_without_method_or_absolute_path_is_malformed(headers: dict[str, str] | None) -> None:
    with pytest.raises(envelope.EnvelopeError):
        envelope.decode_request(headers, b"")


@pytest.mark.parametrize(
    ("name", "valid"), [("paris", True), ("a-b_1", True), ("a.b", False), ("*", False), ("", False)]
)
def test_a_site_or_connector_name_is_one_subject_token(name: str, valid: bool) -> None:
    assert envelope.valid_token(name) is valid


def test_the_client_address_travels_as_its_own_header_and_round_trips() -> None:
    request = envelope.HttpRequest("GET", "/ecma2host_demo/scim/Users", {}, b"", 5000, "192.0.2.7")
    headers = envelope.encode_request(request)
    assert headers[envelope.CLIENT] == "192.0.2.7"
    assert envelope.decode_request(headers, b"").client == "192.0.2.7"


def test_a_client_sent_client_header_or_x_forwarded_for_is_not_forwarded() -> None:
    incoming = [
        ("Authorization", "Bearer t"),
        ("Ecmahost-Client", "10.6.6.6"),
        ("ecmahost-client", "10.6.6.7"),
        ("X-Forwarded-For", "10.6.6.8"),
        ("Forwarded", "for=10.6.6.9"),
    ]
    forwarded = envelope.forwarded_request_headers(incoming)
    assert forwarded == {"authorization": "Bearer t"}
    request = envelope.HttpRequest("GET", "/ecma2host_demo/scim/Users", forwarded, b"", 5000, "192.0.2.7")
    assert envelope.decode_request(envelope.encode_request(request), b"").client == "192.0.2.7"


def test_a_request_without_a_client_address_has_none() -> None:
    request = envelope.HttpRequest("GET", "/ecma2host_demo/scim/Users", {}, b"", 5000)
    assert envelope.CLIENT not in envelope.encode_request(request)
    assert envelope.decode_request(envelope.encode_request(request), b"").client is None


@pytest.mark.parametrize("client", ["", "relay.example.org", "10.0.0.1, 10.0.0.2", "::FFFF:10.0.0.1"])
def test_a_client_address_that_is_not_one_normalized_ip_address_is_malformed(client: str) -> None:
    headers = {"Ecmahost-Method": "GET", "Ecmahost-Path": "/x", envelope.CLIENT: client}
    with pytest.raises(envelope.EnvelopeError):
        envelope.decode_request(headers, b"")


@pytest.mark.parametrize(
    ("text", "address"),
    [("192.0.2.7", "192.0.2.7"), ("::ffff:192.0.2.7", "192.0.2.7"), ("2001:DB8::1", "2001:db8::1"), ("x", None)],
)
def test_client_address_normalizes_an_ip_address_and_refuses_anything_else(text: str, address: str | None) -> None:
    assert envelope.client_address(text) == address

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

"""The relay envelope (ECMAHOST/2): a compact header block then the raw body, in one NATS payload, both ways."""

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
    decoded = envelope.decode_request(envelope.encode_request(request))
    assert decoded == request
    assert decoded.headers == {"authorization": "Bearer t", "content-type": "application/scim+json", "accept": "a, b"}


def test_a_reply_keeps_status_headers_and_body_but_not_hop_headers() -> None:
    pairs = [("Location", "/Users/1"), ("ETag", 'W/"1"'), ("Content-Length", "2")]
    reply = envelope.decode_reply(envelope.encode_reply(201, pairs, b"{}"))
    assert (reply.status, reply.body) == (201, b"{}")
    assert reply.headers == {"location": "/Users/1", "etag": 'W/"1"'}


def test_a_body_and_header_values_round_trip_byte_for_byte() -> None:
    body = b"\n\x00ECMAHOST/2 9\n\xff"
    request = envelope.HttpRequest("POST", "/ecma2host_demo/scim/Users/é?x=ü", {"authorization": "Bearer é:ü"}, body, 1)
    assert envelope.decode_request(envelope.encode_request(request)) == request
    reply = envelope.decode_reply(envelope.encode_reply(200, [("ETag", 'W/"ü"')], body))
    assert (reply.headers, reply.body) == ({"etag": 'W/"ü"'}, body)


@pytest.mark.parametrize(
    "payload",
    [b"", b"{}", b"ECMAHOST/2 x\n200", b"ECMAHOST/2 9\n200", b"ECMAHOST/2 3\nabc", b"ECMAHOST/2 3\n999",
     b"ECMAHOST/1 3\n200", b"ECMAHOST/2 2\n\xff\xfe", b"ECMAHOST/2 3\n\xd9\xa2", b"ECMAHOST/2 7\n200\netag"],
)  # fmt: skip
def test_a_reply_without_a_valid_status_or_block_is_malformed(payload: bytes) -> None:
    with pytest.raises(envelope.EnvelopeError):
        envelope.decode_reply(payload)


def test_a_reply_of_the_older_envelope_names_the_version_mismatch() -> None:
    with pytest.raises(envelope.EnvelopeError, match="older ecmahost"):
        envelope.decode_reply(b"{}", {"Ecmahost-Status": "200"})


@pytest.mark.parametrize(
    "lines",
    [[], ["GET"], ["GET", "/x"], ["GET", "x", "5000", ""], ["", "/x", "5000", ""], ["GET", "/x", "", ""],
     ["GET", "/x", "²", ""], ["GET", "/x", "5000", "", "accept"]],
)  # fmt: skip
def test_a_request_without_method_absolute_path_or_budget_is_malformed(lines: list[str]) -> None:
    block = "\n".join(lines).encode()
    with pytest.raises(envelope.EnvelopeError):
        envelope.decode_request(b"ECMAHOST/2 %d\n%s" % (len(block), block))


def test_a_line_break_in_a_path_or_header_cannot_be_sent() -> None:
    for request in (
        envelope.HttpRequest("GET", "/x\nECMAHOST", {}, b"", 5000),
        envelope.HttpRequest("GET", "/x", {"accept": "a\nb"}, b"", 5000),
    ):
        with pytest.raises(envelope.EnvelopeError):
            envelope.encode_request(request)


def test_a_header_block_that_an_agent_did_not_filter_is_filtered_on_arrival() -> None:
    lines = ["GET", "/x", "5000", "", "Authorization", "Bearer t", "host", "h", "ecmahost-client", "10.6.6.6"]
    block = "\n".join(lines).encode()
    request = envelope.decode_request(b"ECMAHOST/2 %d\n%s" % (len(block), block))
    assert (request.headers, request.client) == ({"authorization": "Bearer t"}, None)
    block = "\n".join(["200", "Content-Length", "2", "ETag", "e", "ecmahost-x", "y"]).encode()
    reply = envelope.decode_reply(b"ECMAHOST/2 %d\n%s{}" % (len(block), block))
    assert reply.headers == {"etag": "e"}


@pytest.mark.parametrize(
    ("name", "valid"), [("paris", True), ("a-b_1", True), ("a.b", False), ("*", False), ("", False)]
)
def test_a_site_or_connector_name_is_one_subject_token(name: str, valid: bool) -> None:
    assert envelope.valid_token(name) is valid


def test_the_client_address_travels_in_its_own_line_and_round_trips() -> None:
    request = envelope.HttpRequest("GET", "/ecma2host_demo/scim/Users", {}, b"", 5000, "192.0.2.7")
    payload = envelope.encode_request(request)
    assert payload.split(b"\n")[4] == b"192.0.2.7"
    assert envelope.decode_request(payload).client == "192.0.2.7"


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
    assert envelope.decode_request(envelope.encode_request(request)).client == "192.0.2.7"


def test_a_request_without_a_client_address_has_none() -> None:
    request = envelope.HttpRequest("GET", "/ecma2host_demo/scim/Users", {}, b"", 5000)
    assert envelope.encode_request(request).split(b"\n")[4] == b""
    assert envelope.decode_request(envelope.encode_request(request)).client is None


@pytest.mark.parametrize("client", ["relay.example.org", "10.0.0.1, 10.0.0.2", "::FFFF:10.0.0.1"])
def test_a_client_address_that_is_not_one_normalized_ip_address_is_malformed(client: str) -> None:
    block = "\n".join(["GET", "/x", "5000", client]).encode()
    with pytest.raises(envelope.EnvelopeError):
        envelope.decode_request(b"ECMAHOST/2 %d\n%s" % (len(block), block))


@pytest.mark.parametrize(
    ("text", "address"),
    [("192.0.2.7", "192.0.2.7"), ("::ffff:192.0.2.7", "192.0.2.7"), ("2001:DB8::1", "2001:db8::1"), ("x", None)],
)
def test_client_address_normalizes_an_ip_address_and_refuses_anything_else(text: str, address: str | None) -> None:
    assert envelope.client_address(text) == address

"""Secrets never survive redaction: tokens, connection-string passwords, password-like attributes."""

from __future__ import annotations

import pytest

from ecmahost.observability.redaction import REDACTED, redact_json, redact_text


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Authorization: Bearer abc.DEF-123_xyz", "abc.DEF-123_xyz"),
        ("connecting to postgresql://app:S3cret!@db:5432/hr failed", "S3cret!"),
        ("ldaps://cn=admin:pa55word@ldap.example.org", "pa55word"),
        ('{"userPassword": "hunter2", "userName": "bob"}', "hunter2"),
        ("bind_password=topsecret; host=x", "topsecret"),
        ("client_secret: 'abc123xyz'", "abc123xyz"),
        ("password: enc:gAAAAABmZ1234567890abcdefghij", "gAAAAABmZ1234567890abcdefghij"),
        ("token: {hash: scrypt$16384$8$1$c2FsdA$aGFzaA}", "c2FsdA$aGFzaA"),
        # upper case and Unicode case variants still match (the fragment pre-check must not skip them)
        ("BIND_PASSWORD=TopSecret", "TopSecret"),
        ("pa\u017f\u017fword=hunter2", "hunter2"),
        ("API_KEY: k-123456", "k-123456"),
        ("AUTHORIZATION: BASIC dXNlcjpwYXNz", "dXNlcjpwYXNz"),
        ("LDAPS://CN=ADMIN:Pa55@LDAP", "Pa55"),
    ],
)
def test_redact_text_removes_every_kind_of_secret(text: str, secret: str) -> None:
    redacted = redact_text(text)
    assert secret not in redacted
    assert REDACTED in redacted


def test_redact_text_keeps_ordinary_messages() -> None:
    message = 'GET /ecma2host_demo/scim/Users?filter=userName eq "alice" -> 200 in 3.1 ms'
    assert redact_text(message) == message


def test_redact_json_masks_password_like_attributes_at_any_depth_and_urn() -> None:
    body = {
        "userName": "bob",
        "password": "p1",
        "urn:ietf:params:scim:schemas:extension:ECMA2Host:2.0:User": {"unicodePwd": "p2", "Title": "Boss"},
        "Operations": [
            {"op": "replace", "path": "password", "value": "p3"},
            {"op": "Replace", "path": "title", "value": "CEO"},
            {
                "op": "replace",
                "value": {"urn:ietf:params:scim:schemas:extension:ECMA2Host:2.0:User:userPassword": "p4"},
            },
        ],
    }
    redacted = redact_json(body)
    text = repr(redacted)
    for secret in ("p1", "p2", "p3", "p4"):
        assert f"'{secret}'" not in text
    assert redacted["userName"] == "bob"
    assert redacted["Operations"][1]["value"] == "CEO"
    assert body["password"] == "p1", "the original body is not modified"

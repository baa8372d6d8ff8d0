"""The token check and the failed-token limit together: wrong guesses are counted and throttled, a token that has
verified never is, and a throttled address costs no scrypt work."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from starlette.requests import Request

from ecmahost.config import tokens
from ecmahost.config.tokens import hash_token
from ecmahost.errors import TooManyRequests, Unauthorized
from ecmahost.http import auth
from ecmahost.http.limits import FailedAuthLimiter

TOKEN = "the-right-token-0123456789"
STORED = hash_token(TOKEN)


def _request(token: str | None, client: str = "10.0.0.7") -> Request:
    headers = [] if token is None else [(b"authorization", f"Bearer {token}".encode())]
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers, "client": (client, 5000)})


@pytest.fixture
def item() -> Any:
    return SimpleNamespace(token_hash=STORED, config=SimpleNamespace(name="hr"))


@pytest.fixture
def scrypt_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = tokens.verify_token
    monkeypatch.setattr(tokens, "verify_token", lambda token, stored: calls.append(token) or real(token, stored))
    monkeypatch.setattr(auth, "verifier", tokens.TokenVerifier())
    return calls


def _throttle(item: Any, limiter: FailedAuthLimiter, client: str = "10.0.0.7") -> None:
    for index in range(limiter.max_failures):
        with pytest.raises(Unauthorized):
            auth.authenticate(_request(f"wrong-guess-{index:04}", client), item, limiter)


def test_a_token_that_verified_passes_while_its_address_is_throttled(item: Any, scrypt_calls: list[str]) -> None:
    limiter = FailedAuthLimiter(max_failures=3, window_seconds=60)
    auth.authenticate(_request(TOKEN), item, limiter)
    _throttle(item, limiter)
    assert limiter.retry_after("10.0.0.7") is not None
    for _ in range(5):
        auth.authenticate(_request(TOKEN), item, limiter)
    assert scrypt_calls.count(TOKEN) == 1, "the remembered token is checked by its MAC, not by scrypt"


def test_a_throttled_address_gets_429_for_wrong_tokens_without_scrypt(item: Any, scrypt_calls: list[str]) -> None:
    limiter = FailedAuthLimiter(max_failures=3, window_seconds=60)
    _throttle(item, limiter)
    spent = len(scrypt_calls)
    for index in range(20):
        with pytest.raises(TooManyRequests) as refused:
            auth.authenticate(_request(f"another-guess-{index:04}"), item, limiter)
        assert refused.value.retry_after is not None
        assert refused.value.retry_after > 0
    assert len(scrypt_calls) == spent, "no scrypt check is spent on a throttled address"


def test_only_failed_checks_are_counted(item: Any, scrypt_calls: list[str]) -> None:
    limiter = FailedAuthLimiter(max_failures=2, window_seconds=60)
    for _ in range(10):
        auth.authenticate(_request(TOKEN), item, limiter)
    with pytest.raises(Unauthorized):
        auth.authenticate(_request(None), item, limiter)
    assert limiter.retry_after("10.0.0.7") is None
    with pytest.raises(Unauthorized):
        auth.authenticate(_request("wrong-guess-0000"), item, limiter)
    assert limiter.retry_after("10.0.0.7") is None, "one failure of two allowed"


def test_other_addresses_are_not_throttled(item: Any, scrypt_calls: list[str]) -> None:
    limiter = FailedAuthLimiter(max_failures=2, window_seconds=60)
    _throttle(item, limiter, client="10.0.0.8")
    with pytest.raises(Unauthorized):
        auth.authenticate(_request("wrong-guess-0000", "10.0.0.9"), item, limiter)
    auth.authenticate(_request(TOKEN, "10.0.0.9"), item, limiter)

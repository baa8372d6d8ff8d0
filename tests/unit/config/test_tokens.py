from __future__ import annotations

import re
import threading

import pytest

from ecmahost.config import tokens
from ecmahost.config.tokens import (
    InvalidToken,
    TokenVerifier,
    generate_token,
    hash_token,
    parse_hash,
    validate_token,
    verify_token,
)

TOKEN = "correct-horse-battery"


def test_hash_has_the_documented_format() -> None:
    stored = hash_token(TOKEN)
    assert re.fullmatch(r"scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}", stored)
    assert TOKEN not in stored


def test_same_token_hashes_differently_each_time() -> None:
    assert hash_token(TOKEN) != hash_token(TOKEN)


def test_verify_accepts_the_token_and_rejects_others() -> None:
    stored = hash_token(TOKEN)
    assert verify_token(TOKEN, stored)
    assert not verify_token(TOKEN + "x", stored)
    assert not verify_token("", stored)


@pytest.mark.parametrize("stored", ["", "plain-token", "bcrypt$1$2$3$4$5", "scrypt$16384$8$1$!!$!!"])
def test_malformed_stored_hash_matches_nothing(stored: str) -> None:
    assert not verify_token(TOKEN, stored)


def test_scrypt_parameters_out_of_range_are_refused() -> None:
    salt, digest = hash_token(TOKEN).split("$")[4:]
    with pytest.raises(ValueError, match="out of range"):
        parse_hash(f"scrypt${2**30}$8$1${salt}${digest}")
    with pytest.raises(ValueError, match="out of range"):
        parse_hash(f"scrypt$1000$8$1${salt}${digest}")


def test_generated_token_is_32_url_safe_characters_and_valid() -> None:
    token = generate_token()
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", token)
    assert validate_token(token) == token
    assert generate_token() != token


@pytest.mark.parametrize(
    ("token", "rule"),
    [
        ("short", "at least 12 characters"),
        ("has a space in it", "spaces"),
        ("tab\there-123456", "spaces"),
        ("naïve-token-12345", "printable ASCII"),
        ("x" * 2000, "at most"),
    ],
)
def test_token_rules_are_stated_in_the_error(token: str, rule: str) -> None:
    with pytest.raises(InvalidToken, match=rule) as caught:
        validate_token(token)
    assert token not in str(caught.value)


def test_verifier_pays_scrypt_once_per_good_token(monkeypatch: pytest.MonkeyPatch) -> None:
    stored = hash_token(TOKEN)
    calls: list[str] = []
    real = tokens.verify_token
    monkeypatch.setattr(tokens, "verify_token", lambda t, s: calls.append(t) or real(t, s))
    verifier = TokenVerifier()
    assert all(verifier.verify(TOKEN, stored) for _ in range(5))
    assert calls == [TOKEN]


def test_verifier_always_checks_failed_tokens_with_scrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    stored = hash_token(TOKEN)
    calls: list[str] = []
    real = tokens.verify_token
    monkeypatch.setattr(tokens, "verify_token", lambda t, s: calls.append(t) or real(t, s))
    verifier = TokenVerifier()
    assert verifier.verify(TOKEN, stored)
    assert not verifier.verify("wrong-token-123", stored)
    assert not verifier.verify("wrong-token-123", stored)
    assert calls == [TOKEN, "wrong-token-123", "wrong-token-123"]


def test_verifier_does_not_accept_an_old_token_after_the_hash_changes() -> None:
    verifier = TokenVerifier()
    old = hash_token(TOKEN)
    assert verifier.verify(TOKEN, old)
    new = hash_token("a-new-token-5678")
    assert not verifier.verify(TOKEN, new)
    assert verifier.verify("a-new-token-5678", new)


def test_verifier_is_bounded() -> None:
    verifier = TokenVerifier(max_entries=2)
    hashes = [hash_token(f"{TOKEN}-{index}") for index in range(3)]
    for index, stored in enumerate(hashes):
        assert verifier.verify(f"{TOKEN}-{index}", stored)
    assert len(verifier._known) == 2


def test_verifier_is_thread_safe() -> None:
    stored = hash_token(TOKEN)
    verifier = TokenVerifier()
    results: list[bool] = []

    def worker() -> None:
        results.extend(verifier.verify(TOKEN, stored) for _ in range(20))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [True] * 160

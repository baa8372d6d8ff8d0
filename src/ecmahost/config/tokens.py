"""Connector tokens: generating, checking the rules, hashing for storage, verifying a request's bearer token.

A connector file stores only `scrypt$<n>$<r>$<p>$<salt b64>$<hash b64>`; the token itself is shown once (when
generated) and never stored. scrypt costs ~50 ms by design, so the request path uses a `TokenVerifier`, which
pays it once per token and process. `verify_token` and `TokenVerifier.verify` are CPU-bound: call them from a
worker thread in async code. This module does not read files or HTTP headers.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import string
import threading
from collections import OrderedDict
from dataclasses import dataclass

SCHEME = "scrypt"
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
HASH_BYTES = 32
MIN_LENGTH = 12
MAX_LENGTH = 1024
_MAX_N = 2**20
_PRINTABLE = frozenset(string.ascii_letters + string.digits + string.punctuation)


class InvalidToken(ValueError):
    """A token that breaks the rules; the message states the rule."""


def generate_token() -> str:
    """32 random URL-safe characters (192 bits)."""
    return secrets.token_urlsafe(24)


def validate_token(token: str) -> str:
    """Return `token` if it follows the rules (at least 12 characters, printable ASCII, no whitespace), else
    raise `InvalidToken` naming the rule broken. The message never contains the token."""
    if len(token) < MIN_LENGTH:
        raise InvalidToken(f"a token needs at least {MIN_LENGTH} characters (got {len(token)})")
    if len(token) > MAX_LENGTH:
        raise InvalidToken(f"a token may have at most {MAX_LENGTH} characters")
    if any(char.isspace() for char in token):
        raise InvalidToken("a token may not contain spaces, tabs or line breaks")
    if not set(token) <= _PRINTABLE:
        raise InvalidToken("a token may only contain printable ASCII characters (letters, digits, punctuation)")
    return token


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _scrypt(token: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    return hashlib.scrypt(
        token.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=length, maxmem=256 * r * n + 1024 * 1024
    )


def hash_token(token: str) -> str:
    """The storable form of `token`: `scrypt$16384$8$1$<salt>$<hash>` with a random 16-byte salt."""
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _scrypt(token, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, HASH_BYTES)
    return f"{SCHEME}${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


@dataclass(frozen=True, slots=True)
class ParsedHash:
    n: int
    r: int
    p: int
    salt: bytes
    digest: bytes


def parse_hash(stored: str) -> ParsedHash:
    """Split a stored hash; `ValueError` saying what is wrong (unknown scheme, bad numbers, bad base64)."""
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != SCHEME:
        raise ValueError("expected scrypt$<n>$<r>$<p>$<salt>$<hash>")
    try:
        n, r, p = (int(part) for part in parts[1:4])
        salt = base64.b64decode(parts[4], validate=True)
        digest = base64.b64decode(parts[5], validate=True)
    except (ValueError, binascii.Error) as exc:
        raise ValueError("the numbers or base64 parts are malformed") from exc
    if not (2 <= n <= _MAX_N and n & (n - 1) == 0 and 1 <= r <= 32 and 1 <= p <= 16):
        raise ValueError(f"scrypt parameters out of range (n a power of two up to {_MAX_N}, r 1-32, p 1-16)")
    if len(salt) < 8 or len(digest) < 16:
        raise ValueError("salt or hash too short")
    return ParsedHash(n, r, p, salt, digest)


def verify_token(token: str, stored: str) -> bool:
    """Whether `token` matches the stored hash (constant-time comparison). A malformed stored hash matches
    nothing; the store refuses such files when it loads them."""
    try:
        parsed = parse_hash(stored)
    except ValueError:
        return False
    candidate = _scrypt(token, parsed.salt, parsed.n, parsed.r, parsed.p, len(parsed.digest))
    return hmac.compare_digest(candidate, parsed.digest)


class TokenVerifier:
    """Verifies bearer tokens against stored hashes, paying scrypt once per (token, hash) and process.

    After a successful scrypt check, it keeps a keyed BLAKE2b MAC of the token under a random per-process key,
    keyed by the stored hash; later requests with the same token compare MACs with `compare_digest`. A token
    that does not match the remembered MAC always goes through scrypt, which also slows brute force.
    Changing the token changes the stored hash, so the old entry is simply never used again (and ages out).
    Thread-safe.
    """

    def __init__(self, *, max_entries: int = 1024) -> None:
        self._key = secrets.token_bytes(32)
        self._max_entries = max_entries
        self._known: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def _mac(self, token: str) -> bytes:
        # keyed BLAKE2b is a MAC by design (RFC 7693); 1.1 us against 2.6 us for OpenSSL 3's HMAC-SHA256
        return hashlib.blake2b(token.encode("utf-8"), key=self._key, digest_size=32).digest()

    def remembered(self, token: str, stored: str) -> bool:
        """Whether `token` already passed scrypt against `stored` in this process (a MAC compare, no scrypt)."""
        with self._lock:
            known = self._known.get(stored)
        return known is not None and hmac.compare_digest(known, self._mac(token))

    def verify(self, token: str, stored: str) -> bool:
        if self.remembered(token, stored):
            return True
        mac = self._mac(token)
        if not verify_token(token, stored):
            return False
        with self._lock:
            self._known[stored] = mac
            self._known.move_to_end(stored)
            while len(self._known) > self._max_entries:
                self._known.popitem(last=False)
        return True

"""The message between relay and agent: one NATS payload, a compact header block then the raw HTTP body (no NATS
headers, no JSON wrapping, no base64).

Payload:  `ECMAHOST/2 <n>\n`, then n bytes of UTF-8 text: lines joined by `\n`, then the body byte for byte.
Request:  subject `ecmahost.req.<site>.<connector>`; lines: method, path (path and query as the host serves them),
          budget in ms, the SCIM client's IP address as the relay saw it (empty: none), then the forwarded HTTP
          headers as name line, value line.
Reply:    lines: status, then the host's answer headers as name line, value line.

Why not NATS headers (envelope 1): nats-py builds a header block with four calls per header and parses one with a
Python loop over every character of every name (about 80 calls per message each way); this block is one `join` and
one `split` whatever the number of headers. The method, path, budget and client are lines at fixed places, not
headers, so no header a client sends can pose as one; the forwarded headers are a fixed list all the same. A
line break inside a value cannot be sent (HTTP forbids it; `encode_*` refuse it). The version is the first word: a
relay and an agent of different envelopes answer a clear error (`EnvelopeError`, `OLD_ENVELOPE`) instead of a
misread request. This module does no I/O.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

VERSION = b"ECMAHOST/2"
OLD_ENVELOPE = ("Ecmahost-Method", "Ecmahost-Status")
"""The NATS headers of envelope 1 (ecmahost before ECMAHOST/2): a message carrying one comes from an older peer."""
PREFIX = "ecmahost-"

# What the host needs from the client's request; hop-by-hop and transport headers stay at the relay.
FORWARDED_REQUEST = frozenset(
    {"authorization", "content-type", "accept", "if-match", "if-none-match", "x-request-id", "user-agent"}
)
# What the client may see from the host's answer; content-length is recomputed, the rest belongs to the hop.
DROPPED_REPLY = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive", "date", "server"})

TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class EnvelopeError(ValueError):
    """A message that is not a well-formed request or reply envelope."""


def valid_token(name: str) -> bool:
    """A site or connector name usable as one NATS subject token (no dots, wildcards or spaces)."""
    return bool(TOKEN.match(name))


def request_subject(site: str, connector: str) -> str:
    return f"ecmahost.req.{site}.{connector}"


def site_subjects(site: str) -> str:
    """Every request subject of a site (what its agents subscribe to)."""
    return f"ecmahost.req.{site}.>"


def queue_group(site: str) -> str:
    return f"ecmahost.{site}"


def heartbeat_subject(site: str) -> str:
    return f"ecmahost.hb.{site}"


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    budget_ms: int
    client: str | None = None
    """the SCIM client's IP address as the relay saw it (None from a relay that does not send it)"""


@dataclass(frozen=True)
class HttpReply:
    status: int
    headers: dict[str, str]
    body: bytes


def _joined(pairs: Iterable[tuple[str, str]], keep: frozenset[str] | None, drop: frozenset[str]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in pairs:
        lower = name.lower()
        if (keep is not None and lower not in keep) or lower in drop or lower.startswith(PREFIX):
            continue
        headers[lower] = f"{headers[lower]}, {value}" if lower in headers else value
    return headers


@functools.lru_cache(maxsize=4096)
def client_address(text: str | None) -> str | None:
    """`text` as a normalized IP address (`::ffff:` mapped IPv4 as IPv4), or None when it is not one. Cached: a
    site's clients are few, and `ipaddress` parsing was about 20 Python calls per request on each of the relay and
    the agent."""
    try:
        address = ipaddress.ip_address(text or "")
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return str(mapped or address)


def forwarded_request_headers(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    return _joined(pairs, FORWARDED_REQUEST, frozenset())


FORWARDED_RAW = frozenset(name.encode() for name in FORWARDED_REQUEST)


def forwarded_raw_headers(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """`forwarded_request_headers` of an ASGI scope's headers (lower-case names, as ASGI servers give them): only
    the kept ones are decoded."""
    headers: dict[str, str] = {}
    for name, value in raw:
        if name in FORWARDED_RAW:
            text, value_text = name.decode("latin-1"), value.decode("latin-1")
            headers[text] = f"{headers[text]}, {value_text}" if text in headers else value_text
    return headers


def _pack(lines: list[str], body: bytes) -> bytes:
    text = "\n".join(lines)
    if text.count("\n") != len(lines) - 1:
        raise EnvelopeError("a line break inside a method, path or header")
    block = text.encode()
    return b"%s %d\n%s%s" % (VERSION, len(block), block, body)


def _unpack(payload: bytes, headers: Mapping[str, str] | None) -> tuple[list[str], bytes]:
    """The lines and the body of a payload; an envelope-1 message (NATS headers) says which side is older."""
    if headers and any(name in headers for name in OLD_ENVELOPE):
        raise EnvelopeError(f"an envelope of an older ecmahost (NATS headers); this side speaks {VERSION.decode()}")
    start = payload.find(b"\n", 0, 32)
    version, _, size = payload[:start].partition(b" ")
    if start < 0 or version != VERSION or not (size.isascii() and size.isdigit()):
        raise EnvelopeError(f"not an {VERSION.decode()} envelope (a relay and an agent of different versions?)")
    end = start + 1 + int(size)
    if end > len(payload):
        raise EnvelopeError("a header block longer than the message")
    try:
        lines = payload[start + 1 : end].decode().split("\n")
    except UnicodeDecodeError as exc:
        raise EnvelopeError("a header block that is not UTF-8") from exc
    return lines, payload[end:]


def _headers(lines: list[str], keep: frozenset[str] | None, drop: frozenset[str]) -> dict[str, str]:
    """The name, value lines as headers: taken as they are when already lower-case, unique and allowed (what the
    other side's `encode_*` sends), otherwise through the same filter as an HTTP request's."""
    if len(lines) % 2:
        raise EnvelopeError("a header name without its value")
    if not lines:
        return {}
    names = lines[::2]
    headers = dict(zip(names, lines[1::2], strict=True))
    text = "\n".join(names)
    plain = len(headers) == len(names) and text.islower() and PREFIX not in text and drop.isdisjoint(headers)
    if plain and (keep is None or headers.keys() <= keep):
        return headers
    return _joined(zip(names, lines[1::2], strict=True), keep, drop)


def encode_request(request: HttpRequest) -> bytes:
    """The payload of a request: its lines, then the body as is."""
    lines = [request.method, request.path, str(request.budget_ms), request.client or ""]
    for pair in request.headers.items():
        lines += pair
    return _pack(lines, request.body)


def decode_request(payload: bytes, headers: Mapping[str, str] | None = None) -> HttpRequest:
    """`headers`: the NATS headers of the message, only to recognize an older relay's envelope."""
    lines, body = _unpack(payload, headers)
    if len(lines) < 4:
        raise EnvelopeError("a request without method, path, budget and client")
    method, path, budget, client = lines[:4]
    if not method or not path.startswith("/"):
        raise EnvelopeError("a request without a method or an absolute path")
    if not (budget.isascii() and budget.isdigit()):
        raise EnvelopeError("a budget that is not a number of milliseconds")
    if client and client_address(client) != client:
        raise EnvelopeError("a client address that is not one normalized IP address")
    forwarded = _headers(lines[4:], FORWARDED_REQUEST, frozenset())
    return HttpRequest(method, path, forwarded, body, int(budget), client or None)


def encode_reply(status: int, pairs: Iterable[tuple[str, str]], body: bytes) -> bytes:
    """The payload of a reply: status, the answer headers less those of the hop, then the body as is."""
    lines = [str(status)]
    for pair in _joined(pairs, None, DROPPED_REPLY).items():
        lines += pair
    return _pack(lines, body)


def decode_reply(payload: bytes, headers: Mapping[str, str] | None = None) -> HttpReply:
    """`headers`: the NATS headers of the message, only to recognize an older agent's envelope."""
    lines, body = _unpack(payload, headers)
    if not (lines[0].isascii() and lines[0].isdigit() and 100 <= int(lines[0]) <= 599):
        raise EnvelopeError(f"a reply with status {lines[0][:8]!r}")
    return HttpReply(int(lines[0]), _headers(lines[1:], None, DROPPED_REPLY), body)

"""The message between relay and agent: NATS headers plus the raw HTTP body (no JSON wrapping, no base64).

Request:  subject `ecmahost.req.<site>.<connector>`; headers `Ecmahost-Method`, `Ecmahost-Path` (path and query
          as the host serves them), `Ecmahost-Budget-Ms`, `Ecmahost-Client` (the SCIM client's IP address as the
          relay saw it), and the forwarded HTTP headers; payload = request body.
Reply:    headers `Ecmahost-Status` and the host's answer headers; payload = the answer's body.

Why headers and raw body: a SCIM body is carried byte for byte, nothing is parsed or re-encoded on either side, and
the header block is a few hundred bytes (docs/agent.md has the measurement against JSON + base64 and msgpack).
No header a client sends can pose as an `Ecmahost-*` one: forwarded headers are a fixed list, and any `Ecmahost-*`
name among them is dropped (so the relay alone sets `Ecmahost-Client`). This module does no I/O.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

METHOD = "Ecmahost-Method"
PATH = "Ecmahost-Path"
BUDGET = "Ecmahost-Budget-Ms"
STATUS = "Ecmahost-Status"
CLIENT = "Ecmahost-Client"
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


def encode_request(request: HttpRequest) -> dict[str, str]:
    """The NATS headers of a request (the body is the payload as is)."""
    headers = {METHOD: request.method, PATH: request.path, BUDGET: str(request.budget_ms), **request.headers}
    if request.client is not None:
        headers[CLIENT] = request.client
    return headers


def client_address(text: str | None) -> str | None:
    """`text` as a normalized IP address (`::ffff:` mapped IPv4 as IPv4), or None when it is not one."""
    try:
        address = ipaddress.ip_address(text or "")
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return str(mapped or address)


def forwarded_request_headers(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    return _joined(pairs, FORWARDED_REQUEST, frozenset())


def decode_request(headers: Mapping[str, str] | None, body: bytes) -> HttpRequest:
    headers = headers or {}
    method, path = headers.get(METHOD), headers.get(PATH)
    if not method or not path or not path.startswith("/"):
        raise EnvelopeError("a request without Ecmahost-Method or Ecmahost-Path")
    try:
        budget = int(headers.get(BUDGET, "30000"))
    except ValueError as exc:
        raise EnvelopeError("Ecmahost-Budget-Ms is not a number") from exc
    client = headers.get(CLIENT)
    if client is not None and client_address(client) != client:
        raise EnvelopeError("Ecmahost-Client is not an IP address")
    forwarded = _joined(headers.items(), FORWARDED_REQUEST, frozenset())
    return HttpRequest(method, path, forwarded, body, budget, client)


def encode_reply(status: int, pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    return {STATUS: str(status), **_joined(pairs, None, DROPPED_REPLY)}


def decode_reply(headers: Mapping[str, str] | None, body: bytes) -> HttpReply:
    headers = headers or {}
    try:
        status = int(headers.get(STATUS, ""))
    except ValueError as exc:
        raise EnvelopeError("a reply without a numeric Ecmahost-Status") from exc
    if not 100 <= status <= 599:
        raise EnvelopeError(f"a reply with status {status}")
    return HttpReply(status, _joined(headers.items(), None, DROPPED_REPLY), body)

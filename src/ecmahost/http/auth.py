"""Bearer-token authentication: the token of the connector named in the URL, and only that one.

Tokens are stored as salted scrypt hashes; `config.tokens.TokenVerifier` keeps the hot path cheap and compares in
constant time. The token value is never logged.
"""

from __future__ import annotations

import logging

from starlette.requests import Request

from ecmahost.config.tokens import TokenVerifier
from ecmahost.errors import TooManyRequests, Unauthorized
from ecmahost.http.limits import FailedAuthLimiter
from ecmahost.runtime import ConnectorRuntime

logger = logging.getLogger(__name__)
verifier = TokenVerifier()


def authenticate(request: Request, item: ConnectorRuntime, failed: FailedAuthLimiter) -> None:
    """Accept the connector's token; refuse anything else with 401, or 429 while the client is throttled.

    A token that already verified in this process is accepted with a MAC compare before the limiter is asked, so
    wrong guesses from an address (behind the provisioning agent, every request comes from one) never lock out the
    right token. Only a token that is not remembered reaches the limiter, and only a failing scrypt check counts:
    a throttled address gets 429 without any scrypt work, so brute force cannot buy CPU or guesses.
    """
    token = _bearer(request)
    stored = item.token_hash
    if stored is None:
        raise Unauthorized(
            f"connector {item.config.name} has no secret token yet; set one with "
            f"`ecmahost connector set-token {item.config.name}`"
        )
    if verifier.remembered(token, stored):
        return
    client = request.client.host if request.client else "?"
    wait = failed.retry_after(client)
    if wait is not None:
        raise TooManyRequests(f"too many failed token checks from {client}; try again in {wait} s", retry_after=wait)
    if not verifier.verify(token, stored):
        failed.failed(client)
        logger.warning("rejected token for connector %s from %s", item.config.name, client)
        raise Unauthorized(f"the token is not the secret token of connector {item.config.name}")


def _bearer(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("send the connector's secret token as Authorization: Bearer <token>")
    return token


def metrics_token_accepted(request: Request, token_hash: str) -> bool:
    """Whether the request carries the metrics token (`metrics.token_hash` in host.yaml) as a bearer token."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    return scheme.lower() == "bearer" and bool(token) and verifier.verify(token, token_hash)

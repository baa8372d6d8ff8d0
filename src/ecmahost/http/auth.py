"""Bearer-token authentication: the token of the connector named in the URL, and only that one.

Tokens are stored as salted scrypt hashes; `config.tokens.TokenVerifier` keeps the hot path cheap and compares in
constant time. The token value is never logged.
"""

from __future__ import annotations

import logging

from starlette.requests import Request

from ecmahost.config.tokens import TokenVerifier
from ecmahost.errors import Unauthorized
from ecmahost.runtime import ConnectorRuntime

logger = logging.getLogger(__name__)
verifier = TokenVerifier()


def authenticate(request: Request, item: ConnectorRuntime) -> None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("send the connector's secret token as Authorization: Bearer <token>")
    stored = item.token_hash
    if stored is None:
        raise Unauthorized(
            f"connector {item.config.name} has no secret token yet; set one with "
            f"`ecmahost connector set-token {item.config.name}`"
        )
    if not verifier.verify(token, stored):
        client = request.client.host if request.client else "?"
        logger.warning("rejected token for connector %s from %s", item.config.name, client)
        raise Unauthorized(f"the token is not the secret token of connector {item.config.name}")


def metrics_token_accepted(request: Request, token_hash: str) -> bool:
    """Whether the request carries the metrics token (`metrics.token_hash` in host.yaml) as a bearer token."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    return scheme.lower() == "bearer" and bool(token) and verifier.verify(token, token_hash)

"""`RestClient`: one request to the API with authentication, retries and errors translated at this edge.

Every connector operation gets a time budget (`timeout_seconds`); within it, statuses of `retry.statuses` (429
and 503 by default) are retried with exponential backoff, waiting what `Retry-After` asks; when the wait would pass
the budget, `TargetUnavailable` carries the target's `Retry-After` up to the SCIM client. OAuth 2 client
credentials tokens are fetched on first use, cached until shortly before they expire, and fetched again once on a
401. Credentials never reach a log or an error. It knows nothing of records or object types.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import ssl
import time
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx

from ecmahost.connectors.errors import (
    ConfigurationError,
    ConstraintViolation,
    ObjectExists,
    ObjectNotFound,
    TargetUnavailable,
)
from ecmahost.connectors.rest.models import (
    ApiKeyAuth,
    BasicAuth,
    BearerAuth,
    Method,
    OAuth2ClientCredentials,
    RestConnection,
)

logger = logging.getLogger(__name__)
_DETAIL_LIMIT = 200


class Budget:
    """The deadline of one connector operation."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds

    def left(self) -> float:
        return self.deadline - time.monotonic()


class RestClient:
    def __init__(self, settings: RestConnection, home: Path) -> None:
        self.settings = settings
        self.home = home
        self._http: httpx.AsyncClient | None = None
        self._token: tuple[str, float] | None = None
        self._token_lock = asyncio.Lock()

    async def close(self) -> None:
        http, self._http = self._http, None
        if http is not None:
            await http.aclose()

    async def request(
        self, method: Method, url: str, budget: Budget, *, json: Any = None, params: dict[str, Any] | None = None
    ) -> httpx.Response:
        """The 2xx response of `method url`, or the typed error its status means."""
        retry = self.settings.retry
        for attempt in range(1, retry.max_attempts + 1):
            response = await self._send(method, url, budget, json=json, params=params)
            if response.status_code == 401 and isinstance(self.settings.auth, OAuth2ClientCredentials):
                self._token = None
                response = await self._send(method, url, budget, json=json, params=params)
            if response.status_code not in retry.statuses:
                return self._checked(response, method, url)
            wait = _retry_after(response) or min(retry.max_backoff_seconds, retry.backoff_seconds * 2 ** (attempt - 1))
            if attempt == retry.max_attempts or wait >= budget.left():
                break
            logger.info("%s %s: %s, retrying in %.1f s", method.value, url, response.status_code, wait)
            await asyncio.sleep(wait)
        raise TargetUnavailable(
            f"the API answered {response.status_code} to {method.value} {url} (retried {attempt} times)",
            retry_after=max(1, int(_retry_after(response) or retry.backoff_seconds)),
        )

    # -- internals ---------------------------------------------------------------------------------------
    async def _send(
        self, method: Method, url: str, budget: Budget, *, json: Any, params: dict[str, Any] | None
    ) -> httpx.Response:
        left = budget.left()
        if left <= 0:
            raise TargetUnavailable(f"the API did not answer within {budget.seconds:g} s")
        headers = {**self.settings.headers, **await self._auth_headers(budget)}
        try:
            return await self._client().request(
                method.value, url, json=json, params=params, headers=headers, timeout=left
            )
        except httpx.TimeoutException as exc:
            raise TargetUnavailable(f"the API did not answer within {budget.seconds:g} s") from exc
        except httpx.TransportError as exc:
            raise TargetUnavailable(f"cannot reach the API at {self.settings.base_url}: {type(exc).__name__}") from exc

    def _checked(self, response: httpx.Response, method: Method, url: str) -> httpx.Response:
        status, meaning = response.status_code, self.settings.statuses
        if 200 <= status < 300:
            return response
        what = f"{method.value} {url}: {status}"
        if status in meaning.not_found:
            raise ObjectNotFound(what)
        if status in meaning.conflict:
            raise ObjectExists(f"the API reports a conflict ({what}): {_message(response)}")
        if status in (401, 403):
            raise ConfigurationError(f"the API refused the connector's credentials ({what})")
        if status in meaning.invalid or 400 <= status < 500:
            raise ConstraintViolation(f"the API refused the value ({what}): {_message(response)}")
        raise TargetUnavailable(f"the API failed ({what})")

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(base_url=self.settings.base_url, verify=self._verify())
        return self._http

    def _verify(self) -> ssl.SSLContext | bool:
        tls = self.settings.tls
        if not tls.verify:
            return False
        context = ssl.create_default_context(cafile=str(self.home / tls.ca_file) if tls.ca_file else None)
        if tls.client_cert:
            key = str(self.home / tls.client_key) if tls.client_key else None
            context.load_cert_chain(str(self.home / tls.client_cert), key)
        return context

    async def _auth_headers(self, budget: Budget) -> dict[str, str]:
        auth = self.settings.auth
        if isinstance(auth, BasicAuth):
            pair = f"{auth.username}:{auth.password.reveal()}".encode()
            return {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}
        if isinstance(auth, BearerAuth):
            return {"Authorization": f"Bearer {auth.token.reveal()}"}
        if isinstance(auth, ApiKeyAuth):
            return {auth.header: auth.api_key.reveal()}
        if isinstance(auth, OAuth2ClientCredentials):
            return {"Authorization": f"Bearer {await self._oauth_token(auth, budget)}"}
        return {}

    async def _oauth_token(self, auth: OAuth2ClientCredentials, budget: Budget) -> str:
        async with self._token_lock:
            if self._token is not None and self._token[1] > time.monotonic():
                return self._token[0]
            form = {"grant_type": "client_credentials", "client_id": auth.client_id}
            form["client_secret"] = auth.client_secret.reveal()
            if auth.scope:
                form["scope"] = auth.scope
            try:
                response = await self._client().post(auth.token_url, data=form, timeout=max(budget.left(), 0.1))
            except httpx.HTTPError as exc:
                raise TargetUnavailable(f"cannot reach the token endpoint: {type(exc).__name__}") from exc
            if response.status_code != 200:
                raise ConfigurationError(f"the token endpoint refused the client credentials ({response.status_code})")
            body = response.json()
            token = body.get("access_token") if isinstance(body, dict) else None
            if not isinstance(token, str):
                raise ConfigurationError("the token endpoint answered without an access_token")
            lifetime = float(body.get("expires_in") or 300)
            self._token = (token, time.monotonic() + max(lifetime - 30, lifetime / 2))
            return token


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _message(response: httpx.Response) -> str:
    text = response.text.strip().replace("\n", " ")
    return text[:_DETAIL_LIMIT] or response.reason_phrase

"""The admin UI's protection: the admin password (`<home>/admin.yaml`), sessions and their CSRF tokens.

The password is stored only as a salted scrypt hash (the same helper as connector tokens). A login creates a
server-side session (its id travels in a signed, HttpOnly, SameSite=Strict cookie); each session has a random
CSRF token that every POST must echo (form field `csrf` or header `X-CSRF-Token`). Sessions live in memory:
restarting the UI logs everyone out. Wizard drafts hang off the session, so a typed secret never travels back
to the browser.

This module does not render pages or read forms; `admin.app` does.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from itsdangerous import BadSignature, TimestampSigner
from pydantic import BaseModel, ConfigDict, Field

from ecmahost.config import tokens, yaml_io
from ecmahost.home import Home, write_private

ADMIN_FILE = "admin.yaml"
DEFAULT_ADMIN_PORT = 8586
SESSION_COOKIE = "ecmahost_admin"
SESSION_SECONDS = 8 * 3600
MIN_PASSWORD_LENGTH = 12


class AdminSettings(BaseModel):
    """`<home>/admin.yaml`: where the admin UI listens and the hash of its password."""

    model_config = ConfigDict(extra="forbid")
    port: int = Field(default=DEFAULT_ADMIN_PORT, ge=1, le=65535)
    bind: str = "127.0.0.1"
    password_hash: str | None = None


def load_admin_settings(home: Home) -> AdminSettings:
    path = home.root / ADMIN_FILE
    if not path.exists():
        return AdminSettings()
    raw = yaml_io.parse_mapping(path.read_text(encoding="utf-8"), file=ADMIN_FILE)
    return AdminSettings.model_validate(yaml_io.to_plain(raw))


def save_admin_settings(home: Home, settings: AdminSettings) -> None:
    home.ensure()
    data = settings.model_dump(mode="json", exclude_none=True)
    write_private(home.root / ADMIN_FILE, yaml_io.dump(yaml_io.CommentedMap(data)))


def set_admin_password(home: Home, password: str) -> None:
    """Check the password rule (at least 12 characters) and store its hash."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"the admin password needs at least {MIN_PASSWORD_LENGTH} characters")
    settings = load_admin_settings(home)
    save_admin_settings(home, settings.model_copy(update={"password_hash": tokens.hash_token(password)}))


def check_admin_password(home: Home, password: str) -> bool:
    stored = load_admin_settings(home).password_hash
    return bool(stored) and tokens.verify_token(password, stored or "")


@dataclass(slots=True)
class AdminSession:
    id: str
    csrf: str
    created: float
    drafts: dict[str, Any] = field(default_factory=dict)
    """draft id -> `admin.wizard_pages.DraftState`"""

    def csrf_matches(self, candidate: str | None) -> bool:
        return bool(candidate) and hmac.compare_digest(self.csrf, str(candidate))


class SessionStore:
    """Sessions in memory, their ids signed into the cookie with a per-process key."""

    def __init__(self, lifetime_seconds: int = SESSION_SECONDS) -> None:
        self._signer = TimestampSigner(secrets.token_bytes(32), salt="ecmahost-admin-session")
        self._sessions: dict[str, AdminSession] = {}
        self._lifetime = lifetime_seconds

    def create(self) -> tuple[AdminSession, str]:
        """A new session and the cookie value that names it."""
        self._expire()
        session = AdminSession(secrets.token_urlsafe(24), secrets.token_urlsafe(24), time.time())
        self._sessions[session.id] = session
        return session, self._signer.sign(session.id).decode("ascii")

    def get(self, cookie: str | None) -> AdminSession | None:
        if not cookie:
            return None
        try:
            session_id = self._signer.unsign(cookie, max_age=self._lifetime).decode("ascii")
        except BadSignature:
            return None
        return self._sessions.get(session_id)

    def end(self, session: AdminSession) -> None:
        self._sessions.pop(session.id, None)

    def _expire(self) -> None:
        limit = time.time() - self._lifetime
        for session_id in [key for key, item in self._sessions.items() if item.created < limit]:
            del self._sessions[session_id]

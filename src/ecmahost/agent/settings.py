"""The agent's settings file, `<home>/agent.json`, and its nkey seed, `<home>/agent.nk` (0600).

`agent register` writes both; `agent run` reads them. The seed never leaves the machine: only its public key was
sent to the relay. `nats_urls` are all tls:// (NATS's protocol over TLS) or all wss:// (NATS over WebSocket over
TLS, e.g. on 443): the NATS client dials one transport.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

NATS_SCHEMES = ("tls", "nats", "wss")


class AgentSettingsError(ValueError):
    """Settings that are missing or wrong; the message names the file and the fix."""


@dataclass
class AgentSettings:
    site: str
    nats_urls: list[str]
    host_url: str = "https://localhost:8585"
    nats_ca: str | None = None
    host_ca: str | None = None
    relay_url: str | None = None
    relay_ca: str | None = None
    proxy: str | None = None
    heartbeat_seconds: float = 10.0
    reconnect_seconds: float = 2.0
    max_in_flight: int = 64
    extra: dict[str, object] = field(default_factory=dict)


def settings_file(home: Path) -> Path:
    return home / "agent.json"


def seed_file(home: Path) -> Path:
    return home / "agent.nk"


def load(home: Path) -> AgentSettings:
    path = settings_file(home)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise AgentSettingsError(f"{path} is missing: run `ecmahost agent register --relay URL --code CODE`") from exc
    except ValueError as exc:
        raise AgentSettingsError(f"{path} is not valid JSON: {exc}") from exc
    known = set(AgentSettings.__dataclass_fields__)
    unknown = sorted(set(data) - known)
    if unknown:
        raise AgentSettingsError(f"{path}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    try:
        settings = AgentSettings(**data)
    except TypeError as exc:
        raise AgentSettingsError(f"{path}: {exc}") from exc
    problem = nats_urls_problem(settings.nats_urls)
    if problem:
        raise AgentSettingsError(f"{path}: nats_urls: {problem}")
    return settings


def nats_urls_problem(urls: list[str]) -> str | None:
    """Why the agent cannot dial these NATS URLs together, with the fix; None when it can."""
    if not urls:
        return "no URL: list tls://host:4222 or wss://host:443 URLs"
    schemes = set()
    for url in urls:
        parts = urlsplit(url if "://" in url else f"nats://{url}")
        if parts.scheme not in NATS_SCHEMES or not parts.hostname:
            return f"{url!r} is not a NATS URL: use tls://host:4222, or wss://host[:443][/path] for NATS over WebSocket"
        schemes.add("wss" if parts.scheme == "wss" else "tls")
    if len(schemes) > 1:
        return "wss:// and tls:// URLs cannot be mixed (the NATS client dials one transport): keep one kind"
    return None


def save(home: Path, settings: AgentSettings) -> None:
    home.mkdir(parents=True, exist_ok=True)
    settings_file(home).write_text(json.dumps(asdict(settings), indent=2))

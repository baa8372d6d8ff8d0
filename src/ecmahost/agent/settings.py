"""The agent's settings file, `<home>/agent.json`, and its nkey seed, `<home>/agent.nk` (0600).

`agent register` writes both; `agent run` reads them. The seed never leaves the machine: only its public key was
sent to the relay.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path


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
        return AgentSettings(**data)
    except TypeError as exc:
        raise AgentSettingsError(f"{path}: {exc}") from exc


def save(home: Path, settings: AgentSettings) -> None:
    home.mkdir(parents=True, exist_ok=True)
    settings_file(home).write_text(json.dumps(asdict(settings), indent=2))

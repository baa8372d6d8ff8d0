"""The relay's own files: its NATS identity, the sites with their one-time registration codes, the registered
agents, and the NATS authorization file built from them.

    <home>/relay.nk           the relay's nkey seed (0600): it publishes requests, reads heartbeats
    <home>/sites.json         {site: {"codes": {sha256(code): expiry}}}; a code is shown once and kept as a hash
    <home>/agents.json        {public key: {"site", "registered_at"}}
    <home>/agents-seen.json   the last heartbeat of each agent, written by the running relay
    <home>/nats-auth.conf     `authorization { users = [...] }`: the NATS server's config includes it

Each agent is one nkey user whose permissions name its site's subjects only: subscribe to `ecmahost.req.<site>.>`,
publish its heartbeats on `ecmahost.hb.<site>`, and answer the requests it received (`allow_responses`). Changing
the file reloads the NATS server (SIGHUP to the pid in its pid file, what `nats-server --signal reload` sends), which
also closes the connection of a revoked agent. This module does no networking.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import os
import secrets
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nkeys
import portalocker

from ecmahost.relay.envelope import heartbeat_subject, site_subjects, valid_token

CODE_SECONDS = 3600


class RegistryError(ValueError):
    """A refused registry change; the message says why and what to do."""


def new_seed() -> bytes:
    """A fresh user nkey seed (the `SU...` form)."""
    raw = secrets.token_bytes(32)
    return nkeys.encode_seed(raw, nkeys.PREFIX_BYTE_USER)


def public_key(seed: bytes) -> str:
    return nkeys.from_seed(seed).public_key.decode()


def _write(path: Path, text: str, mode: int = 0o600) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text)
    temporary.chmod(mode)
    temporary.replace(path)


@dataclass
class RelayHome:
    root: Path
    nats_pid_file: Path | None = None

    @property
    def seed_file(self) -> Path:
        return self.root / "relay.nk"

    @property
    def auth_file(self) -> Path:
        return self.root / "nats-auth.conf"

    @property
    def sites_file(self) -> Path:
        return self.root / "sites.json"

    @property
    def seen_file(self) -> Path:
        return self.root / "agents-seen.json"

    def _json(self, name: str) -> dict[str, Any]:
        path = self.root / name
        return json.loads(path.read_text()) if path.exists() else {}

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """One writer at a time: `relay site add`, `agents revoke` and the running relay share these files."""
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / ".lock").open("a") as lock:
            portalocker.lock(lock, portalocker.LockFlags.EXCLUSIVE)  # flock on POSIX, msvcrt on Windows
            try:
                yield
            finally:
                portalocker.unlock(lock)

    def _save(self, name: str, data: dict[str, Any]) -> None:
        _write(self.root / name, json.dumps(data, indent=2, sort_keys=True))

    def init(self) -> str:
        """Create the relay's seed and the authorization file when missing; returns the relay's public key."""
        self.root.mkdir(parents=True, exist_ok=True)
        if not self.seed_file.exists():
            _write(self.seed_file, new_seed().decode())
        self.write_auth_file(reload=False)
        return public_key(self.seed())

    def seed(self) -> bytes:
        return self.seed_file.read_bytes().strip()

    # --- sites and codes ------------------------------------------------------------------------------------
    def sites(self) -> dict[str, Any]:
        return self._json("sites.json")

    def add_site(self, site: str, seconds: int = CODE_SECONDS) -> str:
        """Register a site (or a new code for it); returns a one-time code valid for `seconds`."""
        with self._locked():
            if not valid_token(site):
                raise RegistryError(f"site name {site!r}: use 1 to 64 letters, digits, '-' or '_'")
            sites = self.sites()
            code = secrets.token_urlsafe(18)
            entry = sites.setdefault(site, {"codes": {}})
            now = time.time()
            entry["codes"] = {h: t for h, t in entry["codes"].items() if t > now}
            entry["codes"][_hash(code)] = now + seconds
            self._save("sites.json", sites)
            return code

    def redeem(self, code: str) -> str:
        """The site a valid, unexpired code belongs to; the code is spent."""
        with self._locked():
            sites, digest, now = self.sites(), _hash(code), time.time()
            for site, entry in sites.items():
                expiry = entry["codes"].pop(digest, None)
                if expiry is not None:
                    self._save("sites.json", sites)
                    if expiry < now:
                        raise RegistryError("this registration code has expired: run `ecmahost relay site add` again")
                    return site
            raise RegistryError("unknown registration code: run `ecmahost relay site add SITE` for a new one")

    # --- agents ---------------------------------------------------------------------------------------------
    def agents(self) -> dict[str, Any]:
        return self._json("agents.json")

    def add_agent(self, site: str, key: str) -> None:
        with self._locked():
            if site not in self.sites():
                raise RegistryError(f"no site {site!r}: run `ecmahost relay site add {site}` first")
            if not (key.startswith("U") and _valid_public_key(key)):
                raise RegistryError("not a NATS user public key (U...)")
            agents = self.agents()
            agents[key] = {"site": site, "registered_at": time.time()}
            self._save("agents.json", agents)
            self.write_auth_file()

    def revoke(self, key: str) -> dict[str, Any]:
        with self._locked():
            agents = self.agents()
            matches = [k for k in agents if k == key or k.startswith(key)]
            if len(matches) != 1:
                raise RegistryError(
                    f"{key!r} matches {len(matches)} agents: give more of the id (`ecmahost relay agents`)"
                )
            removed = agents.pop(matches[0])
            self._save("agents.json", agents)
            self.write_auth_file()
            return {"id": matches[0], **removed}

    def write_seen(self, seen: dict[str, Any]) -> None:
        """Replace the heartbeat file atomically, so `relay agents` never reads half of it."""
        _write(self.seen_file, json.dumps(seen, indent=2), mode=0o644)

    def seen(self) -> dict[str, Any]:
        try:
            return json.loads(self.seen_file.read_text())
        except (OSError, ValueError):
            return {}

    # --- the NATS authorization file ------------------------------------------------------------------------
    def write_auth_file(self, reload: bool = True) -> None:
        users = [_user(public_key(self.seed()), ["ecmahost.req.>"], ["_INBOX.>", "ecmahost.hb.>"], False)]
        users += [
            _user(key, [heartbeat_subject(a["site"])], [site_subjects(a["site"])], True)
            for key, a in sorted(self.agents().items())
        ]
        _write(self.auth_file, "authorization {\n  users = [\n" + "".join(users) + "  ]\n}\n")
        if reload:
            self.reload_nats()

    def reload_nats(self) -> None:
        if self.nats_pid_file is None or not self.nats_pid_file.exists():
            return
        os.kill(int(self.nats_pid_file.read_text().strip()), signal.SIGHUP)


def _user(key: str, publish: list[str], subscribe: list[str], responses: bool) -> str:
    permissions = {"publish": {"allow": publish}, "subscribe": {"allow": subscribe}}
    if responses:
        permissions["allow_responses"] = True  # type: ignore[assignment]
    return f"    {{nkey: {json.dumps(key)}, permissions: {json.dumps(permissions)}}}\n"


def _hash(code: str) -> str:
    return hashlib.sha256(code.strip().encode()).hexdigest()


def _valid_public_key(key: str) -> bool:
    """A user public key: base32, the user prefix, 32 key bytes and a matching CRC16."""
    try:
        raw = base64.b32decode(key)
    except (ValueError, binascii.Error):
        return False
    if len(raw) != 35 or raw[0] != nkeys.PREFIX_BYTE_USER:
        return False
    return nkeys.crc16_checksum(raw[:-2]) == raw[-2:]

"""The relay path for end-to-end tests: a private nats-server, `ecmahost relay serve` and `ecmahost agent run`
processes, all on loopback, each started through the real CLI.

    stack = RelayStack(folder, budget=3)       # relay init + private NATS + relay serve
    code = stack.add_site("paris")             # `ecmahost relay site add`
    agent = stack.register_agent("a1", code, host)   # `ecmahost agent register` (key pair made by the agent)
    agent.start()                              # `ecmahost agent run`; returns once it takes requests
    stack.client("paris") -> httpx.Client at https://localhost:<relay>/sites/paris/ecma2host_demo/scim

`RelayStack(folder, websocket=True)`: NATS also listens for WebSocket over TLS, and the relay hands the agents its
wss:// URL only (`relay init --agent-nats`), so they never dial the TCP listener; the certificate names localhost
only (not 127.0.0.1), so an agent that checked a loopback tunnel's address instead of the real name would fail.
"""

from __future__ import annotations

import json
import signal
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from support.nats import PrivateNats
from support.private_servers import free_port

TOKEN = "e2e-secret-token-0123456789"


def ecmahost(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ecmahost", *arguments], capture_output=True, text=True, timeout=60, check=False
    )


def wait_for_line(log: Path, text: str, process: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if log.exists() and text in log.read_text(errors="replace"):
            return
        if process.poll() is not None:
            break
        time.sleep(0.05)
    raise RuntimeError(f"{text!r} not seen in {log}:\n{log.read_text(errors='replace')[-3000:]}")


@dataclass
class AgentProcess:
    home: Path
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def id(self) -> str:
        from ecmahost.relay.registry import public_key

        return public_key((self.home / "agent.nk").read_bytes().strip())

    def settings_data(self) -> dict[str, Any]:
        return json.loads((self.home / "agent.json").read_text())

    def settings(self, **changes: Any) -> None:
        (self.home / "agent.json").write_text(json.dumps({**self.settings_data(), **changes}))

    def start(self, wait: bool = True) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "ecmahost", "agent", "run", "--home", str(self.home)],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        if wait:
            wait_for_line(self.log, "taking requests", self.process)

    def signal(self, sig: signal.Signals) -> None:
        assert self.process is not None
        self.process.send_signal(sig)

    def wait(self, seconds: float = 60) -> int:
        assert self.process is not None
        return self.process.wait(timeout=seconds)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@dataclass
class RelayStack:
    folder: Path
    budget: float = 30.0
    max_body: int = 1048576
    websocket: bool = False
    trusted_proxies: tuple[str, ...] = ()
    """`relay init --trusted-proxy` for each: front proxies whose X-Forwarded-For names the client"""
    home: Path = field(init=False)
    nats: PrivateNats = field(init=False)
    port: int = field(init=False)
    process: subprocess.Popen[bytes] | None = None
    agents: list[AgentProcess] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.home = self.folder / "relay"
        self.home.mkdir(parents=True)
        if self.websocket:
            self.nats = PrivateNats(self.home, websocket=True, names=("localhost",))
        else:
            self.nats = PrivateNats(self.home)
        agent_nats = ["--agent-nats", self.nats.ws_url] if self.websocket else []
        done = ecmahost(
            "relay", "init", "--home", str(self.home), "--nats", self.nats.url, "--nats-ca", str(self.nats.ca),
            "--nats-pid-file", str(self.nats.pid_file), "--budget", str(self.budget), "--max-body", str(self.max_body),
            *agent_nats,
            *(part for proxy in self.trusted_proxies for part in ("--trusted-proxy", proxy)),
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        self.nats.start()
        self.port = free_port()
        self.log = self.folder / "relay.log"
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "ecmahost", "relay", "serve", "--home", str(self.home),
                 "--bind", "127.0.0.1", "--port", str(self.port)],
                stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/health", verify=self.tls(), timeout=2).status_code == 200:
                    return
            except (httpx.HTTPError, OSError):
                pass
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"the relay did not start:\n{self.log.read_text()[-3000:]}")

    @property
    def url(self) -> str:
        return f"https://localhost:{self.port}"

    @property
    def cert(self) -> Path:
        return self.home / "relay.crt"

    def tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert))

    def add_site(self, site: str) -> str:
        done = ecmahost("relay", "site", "add", site, "--home", str(self.home))
        assert done.returncode == 0, done.stderr
        return done.stdout.strip().splitlines()[-1]

    def register_agent(self, name: str, code: str, host_url: str, host_ca: Path) -> AgentProcess:
        home = self.folder / f"agent-{name}"
        done = ecmahost(
            "agent", "register", "--relay", self.url, "--code", code, "--home", str(home), "--host-url", host_url,
            "--host-ca", str(host_ca), "--relay-ca", str(self.cert), "--nats-ca", str(self.nats.ca),
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        agent = AgentProcess(home, self.folder / f"agent-{name}.log")
        agent.settings(heartbeat_seconds=0.5, reconnect_seconds=0.5)
        self.agents.append(agent)
        return agent

    def client(self, site: str, connector: str = "demo", token: str | None = TOKEN) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        base = f"{self.url}/sites/{site}/ecma2host_{connector}/scim"
        return httpx.Client(base_url=base, headers=headers, verify=self.tls(), timeout=60)

    def stop(self) -> None:
        for agent in self.agents:
            agent.stop()
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.nats.stop()

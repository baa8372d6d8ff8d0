"""The relay path for `make bench`: GET filter and POST through relay + NATS + agent(s) to the same running host,
so the table shows them beside the direct host of the same run.

It starts a private nats-server (TLS, nkey users from the relay's authorization file) on a free port,
`ecmahost relay serve` (one process) and AGENTS `ecmahost agent run` processes feeding the host, all on
loopback, and stops them at the end. It does not seed data or start the host.

With `in_process=True` there are no agent processes: a second host on the same home, `ecmahost serve --workers W
--agent DIR`, takes the site's requests itself (one agent subscription per worker, each handing requests to its
own app: no second HTTP hop). `make bench` measures both paths, interleaved, beside the direct host.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
from benchmarks.hostbench.servers import CONNECTOR, PROBE, RunningServer, ServerSpec

from ecmahost.agent import settings as agent_settings
from ecmahost.home import Home
from ecmahost.relay.registry import RelayHome, new_seed, public_key
from ecmahost.tls import generate_certificate

SITE = "bench"
SERVER_NAME = "via relay"
IN_PROCESS_NAME = "via relay, serve --agent"
PREFIX = f"/sites/{SITE}/ecma2host_{CONNECTOR}/scim"
AGENTS = 2
LIMIT = 60.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + LIMIT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"exited with {process.returncode}; see {log}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}; see {log}")


def start_relay_path(
    folder: Path,
    host: RunningServer,
    host_home: Home,
    token: str,
    logs: Path,
    cleanup: ExitStack,
    in_process: bool = False,
) -> RunningServer:
    """Everything between wrk and the running host (or, `in_process`, a `serve --agent` host of the same home with
    as many workers); returns the relay as a server to measure."""
    nats_server = shutil.which("nats-server") or "/usr/sbin/nats-server"
    relay_home = folder / "relay"
    nats_port, relay_port = _free_port(), _free_port()
    cert, key = relay_home / "relay.crt", relay_home / "relay.key"
    relay_home.mkdir(parents=True)
    generate_certificate((cert, key), hostnames=["localhost"])
    (relay_home / "relay.json").write_text(
        json.dumps({"nats_urls": [f"tls://localhost:{nats_port}"], "nats_ca": str(cert), "budget_seconds": 60})
    )
    registry = RelayHome(relay_home)
    registry.init()
    registry.add_site(SITE)
    (relay_home / "nats.conf").write_text(
        f'listen: 127.0.0.1:{nats_port}\ntls {{ cert_file: "{cert}", key_file: "{key}" }}\ninclude nats-auth.conf\n'
    )
    agent_homes = []
    for number in range(1 if in_process else AGENTS):
        home = folder / f"agent-{number}"
        seed = new_seed()
        home.mkdir()
        agent_settings.seed_file(home).write_bytes(seed)
        agent_settings.save(
            home,
            agent_settings.AgentSettings(
                site=SITE,
                nats_urls=[f"tls://localhost:{nats_port}"],
                nats_ca=str(cert),
                host_url=host.url,
                host_ca=str(host_home.cert_file),
                max_in_flight=256,
            ),
        )
        registry.add_agent(SITE, public_key(seed))
        agent_homes.append(home)
    nats_log = logs / "nats-server.log"
    with nats_log.open("ab") as out:
        nats = subprocess.Popen([nats_server, "-c", str(relay_home / "nats.conf")], stdout=out, stderr=out)
    cleanup.callback(_stop, nats)
    _wait_port(nats_port, nats, nats_log)
    env = {**os.environ}
    relay_log = logs / "relay.log"
    started = time.perf_counter()
    with relay_log.open("ab") as out:
        relay = subprocess.Popen(
            [sys.executable, "-m", "ecmahost", "relay", "serve", "--home", str(relay_home), "--bind", "127.0.0.1",
             "--port", str(relay_port), "--cert", str(cert), "--key", str(key)],
            stdout=out, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip
    cleanup.callback(_stop, relay)
    if in_process:
        with (logs / "host-serve-agent.log").open("ab") as out:
            served = subprocess.Popen(
                [sys.executable, "-m", "ecmahost", "serve", "--home", str(host_home.root), "--bind", "127.0.0.1",
                 "--port", str(_free_port()), "--workers", str(host.spec.workers), "--agent", str(agent_homes[0])],
                stdout=out, stderr=subprocess.STDOUT, env=env,
            )  # fmt: skip
        cleanup.callback(_stop, served)
    for number, home in enumerate([] if in_process else agent_homes):
        with (logs / f"agent-{number}.log").open("ab") as out:
            agent = subprocess.Popen(
                [sys.executable, "-m", "ecmahost", "agent", "run", "--home", str(home)],
                stdout=out, stderr=subprocess.STDOUT, env=env,
            )  # fmt: skip
        cleanup.callback(_stop, agent)
    probe = f"https://localhost:{relay_port}{PREFIX}{PROBE}"
    with httpx.Client(verify=ssl.create_default_context(cafile=str(cert)), timeout=5) as client:
        while time.perf_counter() - started < LIMIT:
            try:
                if client.get(probe, headers={"Authorization": f"Bearer {token}"}).status_code == 200:
                    spec = ServerSpec(IN_PROCESS_NAME if in_process else SERVER_NAME, "ecmahost relay serve", 1, PREFIX)
                    time.sleep(1 if in_process else 0)  # the other workers' subscriptions: no probe can see them
                    return RunningServer(spec, relay, relay_port, time.perf_counter() - started, relay_log)
            except httpx.TransportError:
                pass
            time.sleep(0.05)
    raise RuntimeError(f"the relay path did not answer 200 within {LIMIT:.0f} s; see {relay_log}")

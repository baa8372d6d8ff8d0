"""The servers under test, each started as a user would run it: uvicorn over TLS with uvloop and httptools,
the production log level (warning, no access log) and N worker processes.

- the host: `ecmahost serve --workers N` on a home folder holding the benchmark connector, exactly as in
  production (its own TLS context, logging from `host.yaml`, uvicorn's supervisor for the workers);
- or (`--server granian`, issue 15) the same home, certificate and worker count under granian: its ASGI
  interface, its own worker supervisor, each worker building the app with `ecmahost.asgi`'s factory (the `ASGI`
  role: the lifespan starts the runtime, the activity journal and the housekeeping), the metrics shared between
  the workers as `serve --workers N` shares them;
- the bare ASGI app (`benchmarks.hostbench.bare_app`): the ceiling of this TLS server on this machine;
- scim2-server (`benchmarks.hostbench.scim2_app`), in memory, one worker (its data lives in the process).

Start-up time is measured from process start to the first 200 of a real SCIM request. This module does not
generate load.
"""

from __future__ import annotations

import compileall
import os
import signal
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

import ecmahost
from ecmahost.config.store import ConnectorStore
from ecmahost.demo import demo_connector
from ecmahost.home import Home
from ecmahost.observability.run_files import MULTIPROCESS_ENV, reset_metrics_dir
from ecmahost.settings import load_settings
from ecmahost.tls import generate_certificate

CONNECTOR = "bench"
HOST_PREFIX = f"/ecma2host_{CONNECTOR}/scim"
PROBE = "/Users?filter=userName%20eq%20%22startup-probe%22"
STARTUP_LIMIT = 120.0


@dataclass(frozen=True, slots=True)
class ServerSpec:
    name: str
    app: str
    workers: int
    prefix: str
    factory: bool = True
    env: tuple[tuple[str, str], ...] = ()
    ecmahost_serve: bool = False
    """started with `python -m ecmahost serve` (the app field is then unused)"""
    granian: bool = False
    """served by granian instead of uvicorn"""


@dataclass
class RunningServer:
    spec: ServerSpec
    process: subprocess.Popen[bytes]
    port: int
    startup_seconds: float
    log: Path

    @property
    def url(self) -> str:
        return f"https://localhost:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)  # the group we created for this server only
                self.process.wait()


def prepare_home(root: Path, url: str, token: str) -> Home:
    """A home folder with the benchmark connector (the demo connector over `url`), its token and a cert."""
    home = Home(root.resolve())
    home.ensure()
    store = ConnectorStore(home)
    store.save(demo_connector(CONNECTOR, url))
    store.set_token(CONNECTOR, token)
    if not home.cert_file.exists():
        generate_certificate(home, hostnames=["localhost"])
    return home


def host_spec(home: Home, workers: int, server: str = "uvicorn") -> ServerSpec:
    """The host under test, named `ecmahost` whichever server runs it (the run's options say which)."""
    if server == "uvicorn":
        return ServerSpec("ecmahost", "ecmahost serve", workers, HOST_PREFIX, ecmahost_serve=True)
    env = [("ECMAHOST_HOME", str(home.root))]
    if workers > 1 and load_settings(home).metrics.enabled:  # as `serve --workers N`: one registry for all workers
        env.append((MULTIPROCESS_ENV, str(reset_metrics_dir(home))))
    return ServerSpec(
        "ecmahost", "ecmahost.asgi:create_app_from_home", workers, HOST_PREFIX, env=tuple(env), granian=True
    )


def _command(spec: ServerSpec, home: Home, port: int) -> list[str]:
    if spec.ecmahost_serve:
        command = [sys.executable, "-m", "ecmahost", "serve", "--home", str(home.root), "--bind", "127.0.0.1"]
        return [*command, "--port", str(port), "--workers", str(spec.workers)]
    if spec.granian:
        return _granian_command(spec, home, port)
    command = [sys.executable, "-m", "uvicorn", spec.app, "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", str(spec.workers), "--loop", "uvloop", "--http", "httptools"]
    command += ["--ssl-certfile", str(home.cert_file), "--ssl-keyfile", str(home.key_file)]
    command += ["--log-level", "warning", "--no-access-log", "--no-server-header"]
    return [*command, "--factory"] if spec.factory else command


def _granian_command(spec: ServerSpec, home: Home, port: int) -> list[str]:
    """granian as uvicorn is run above: TLS 1.2 minimum like the host's context (granian's default is 1.3),
    HTTP/1.1 only and no WebSocket like uvicorn here, uvloop, warnings only, no access log; workers that die are
    replaced, as the host's supervisor replaces them."""
    command = [sys.executable, "-m", "granian", "--interface", "asgi", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", str(spec.workers), "--loop", "uvloop", "--http", "1", "--no-ws"]
    command += ["--ssl-certificate", str(home.cert_file), "--ssl-keyfile", str(home.key_file)]
    command += ["--ssl-protocol-min", "tls1.2", "--log-level", "warning", "--no-access-log"]
    return [*command, "--respawn-failed-workers", "--factory", spec.app]


def _compile_bytecode() -> None:
    """Write ecmahost's bytecode first, as pip does when it installs the host: with an editable install and
    PYTHONDONTWRITEBYTECODE set (as on the benchmark machine), every start would otherwise compile its ~85
    modules again (100-125 ms), which no installed host pays."""
    compileall.compile_dir(Path(ecmahost.__file__).parent, quiet=1)


def start_server(spec: ServerSpec, home: Home, port: int, token: str, log_dir: Path) -> RunningServer:
    """Start `spec` and wait for the first 200 of a SCIM filter query; raise if it does not come."""
    log = log_dir / f"{spec.name}.log"
    env = {**os.environ, **dict(spec.env)}
    _compile_bytecode()
    started = time.perf_counter()
    with log.open("ab") as out:
        process = subprocess.Popen(
            _command(spec, home, port), stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    tls = ssl.create_default_context(cafile=str(home.cert_file))
    probe = f"https://localhost:{port}{spec.prefix}{PROBE}"
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(verify=tls, timeout=5) as client:
        while time.perf_counter() - started < STARTUP_LIMIT:
            if process.poll() is not None:
                raise RuntimeError(f"{spec.name} exited with {process.returncode}; see {log}")
            try:
                if client.get(probe, headers=headers).status_code == 200:
                    return RunningServer(spec, process, port, time.perf_counter() - started, log)
            except httpx.TransportError:
                pass
            time.sleep(0.02)
    server = RunningServer(spec, process, port, float("nan"), log)
    server.stop()
    raise RuntimeError(f"{spec.name} did not answer 200 within {STARTUP_LIMIT:.0f} s; see {log}")

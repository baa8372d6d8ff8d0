"""A private haproxy in front of several `ecmahost serve` hosts, on a free loopback port, never the system service.
Installed by scripts/ensure-haproxy.sh when missing.

The configuration is what docs/operations.md ("Several hosts behind a load balancer") recommends, with shorter
check intervals: TLS ends at haproxy with the public certificate and is opened again to each host (`ssl verify
required` against the hosts' certificates), `GET /health` is the health check, a connection a host refused is
tried again on another host (`retries`, `option redispatch`; haproxy never resends a request a host received),
the client's address goes to the host in `X-Forwarded-For` (loopback is in the hosts' `trusted_proxies`), and
each answer names the host that gave it (`X-Ecmahost-Host`). The admin socket answers `show stat`, from which
`state()` reads what haproxy thinks of each host.
"""

from __future__ import annotations

import csv
import shutil
import socket
import subprocess
import time
from pathlib import Path

from support.listening import wait_listening
from support.private_servers import free_port, missing

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
BACKEND = "ecmahost"
SERVED_BY = "X-Ecmahost-Host"
CHECK_INTERVAL = "300ms"
STATE_SECONDS = 30


def haproxy_config(port: int, front_pem: Path, hosts_ca: Path, hosts: dict[str, int], socket_path: Path) -> str:
    servers = "".join(
        f"    server {name} 127.0.0.1:{host_port} ssl verify required ca-file {hosts_ca} verifyhost localhost "
        f"check inter {CHECK_INTERVAL} fall 2 rise 2\n"
        for name, host_port in hosts.items()
    )
    return (
        "global\n"
        f"    stats socket {socket_path} mode 600 level admin\n"
        "    log stderr format raw local0 info\n"
        "defaults\n"
        "    mode http\n"
        "    log global\n"
        "    option httplog\n"
        "    timeout connect 2s\n"
        "    timeout client 60s\n"
        "    timeout server 60s\n"
        "    timeout check 2s\n"
        "    retries 3\n"
        "    option redispatch 1\n"
        "    option forwardfor\n"
        f"frontend scim\n    bind 127.0.0.1:{port} ssl crt {front_pem}\n"
        "    http-request set-header X-Forwarded-Proto https\n"
        f"    default_backend {BACKEND}\n"
        f"backend {BACKEND}\n"
        "    balance roundrobin\n"
        "    option httpchk GET /health\n"
        "    http-check expect status 200\n"
        f"    http-response set-header {SERVED_BY} %[srv_name]\n"
        f"{servers}"
    )


class PrivateHaproxy:
    """haproxy on `self.port` (TLS with `front_pem`, certificate then key) balancing `hosts` (name -> port)."""

    def __init__(self, folder: Path, front_pem: Path, hosts_ca: Path, hosts: dict[str, int]) -> None:
        if not Path(HAPROXY).exists():
            missing("haproxy is not installed: run scripts/ensure-haproxy.sh")
        folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.socket = folder / "admin.sock"
        self.config = folder / "haproxy.cfg"
        self.log = folder / "haproxy.log"
        self.config.write_text(haproxy_config(self.port, front_pem, hosts_ca, hosts, self.socket))
        checked = subprocess.run([HAPROXY, "-c", "-f", str(self.config)], capture_output=True, text=True, check=False)
        if checked.returncode != 0:
            raise RuntimeError(f"haproxy refused its configuration:\n{checked.stdout}{checked.stderr}")
        with self.log.open("wb") as out:
            self.process = subprocess.Popen([HAPROXY, "-db", "-f", str(self.config)], stdout=out, stderr=out)
        try:
            wait_listening(self.process, self.port, "haproxy", seconds=10, log_tail=self.log.read_text)
        except RuntimeError:
            self.stop()
            raise

    def command(self, line: str) -> str:
        """One command on the admin socket (`show stat`, `show servers state`, ...), its whole answer."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as admin:
            admin.connect(str(self.socket))
            admin.sendall(line.encode() + b"\n")
            chunks = []
            while chunk := admin.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def state(self) -> dict[str, str]:
        """Host name -> haproxy's view of it: `UP`, `DOWN`, or a transition such as `UP 1/2`."""
        rows = csv.DictReader(self.command("show stat").lstrip("# ").splitlines())
        return {
            row["svname"]: row["status"]
            for row in rows
            if row["pxname"] == BACKEND and row["svname"] not in ("FRONTEND", "BACKEND")
        }

    def wait_state(self, host: str, wanted: str, seconds: float = STATE_SECONDS) -> None:
        """Return once haproxy holds `host` in state `wanted` (`UP` or `DOWN`); fail after `seconds`."""
        deadline = time.monotonic() + seconds
        while (seen := self.state().get(host)) != wanted:
            assert time.monotonic() < deadline, f"haproxy still sees {host} as {seen!r}, not {wanted}"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

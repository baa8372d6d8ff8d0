"""A private tinyproxy (HTTP CONNECT proxy) on a free loopback port, allowing CONNECT to the given ports only.
Installed by scripts/ensure-tinyproxy.sh when missing."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from support.listening import wait_listening
from support.private_servers import free_port, missing

TINYPROXY = shutil.which("tinyproxy") or "/usr/bin/tinyproxy"


class PrivateProxy:
    def __init__(self, folder: Path, connect_ports: list[int]) -> None:
        if not Path(TINYPROXY).exists():
            missing("tinyproxy is not installed: run scripts/ensure-tinyproxy.sh")
        folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.log = folder / "tinyproxy.log"
        self.config = folder / "tinyproxy.conf"
        allowed = "".join(f"ConnectPort {port}\n" for port in connect_ports)
        self.config.write_text(
            f'Port {self.port}\nListen 127.0.0.1\nTimeout 600\nLogFile "{self.log}"\nLogLevel Connect\n'
            f"MaxClients 100\nAllow 127.0.0.1\n{allowed}"
        )
        self.process = subprocess.Popen([TINYPROXY, "-d", "-c", str(self.config)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)  # fmt: skip
        wait_listening(self.process, self.port, "tinyproxy", seconds=10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def connects(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

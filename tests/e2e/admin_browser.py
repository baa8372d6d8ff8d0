"""What the browser tests of the admin UI share: starting `ecmahost` subprocesses (the admin UI, the host),
waiting for them, and a headless Chromium page (Debian's /usr/bin/chromium driven by Playwright)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from e2e_host import free_port

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def start_ecmahost(command: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, "-m", "ecmahost", *command], stdout=out, stderr=subprocess.STDOUT)


def stop_process(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_for(url: str, process: subprocess.Popen[bytes], log: Path, **kwargs: Any) -> httpx.Response:
    """The first answer of `url` that is neither a 404 nor a 5xx, within 30 s; the log when the process died."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"exited with {process.returncode}:\n{log.read_text()}")
        try:
            answer = httpx.get(url, timeout=2, **kwargs)
            if answer.status_code < 500 and answer.status_code != 404:
                return answer
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer:\n{log.read_text()}")


@contextmanager
def running_admin(home: Path, log: Path) -> Iterator[str]:
    """`ecmahost admin` for `home` on a free port; yields its URL."""
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed: run scripts/ensure-browser.sh")
    port = free_port()
    process = start_ecmahost(["admin", "--home", str(home), "--port", str(port)], log)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for(f"{url}/login", process, log)
        yield url
    finally:
        stop_process(process)


@contextmanager
def open_browser_page(screenshots: Path, **page_options: Any) -> Iterator[Any]:
    """A page of a fresh headless Chromium, 1366x850, 20 s timeouts; `screenshots` is created."""
    from playwright.sync_api import sync_playwright

    screenshots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1366, "height": 850}, **page_options)
        page.set_default_timeout(20_000)
        try:
            yield page
        finally:
            browser.close()

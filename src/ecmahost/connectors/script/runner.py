"""Running a connector's scripts: one process per request, or long-lived workers answering one JSON line each.

Both runners enforce the timeout and the output size limit, pass the configuration parameters as environment
variables, and copy each stderr line into the log of `ecmahost.connectors.script` with every secret parameter's
value masked. A timeout, a crash, a non-zero exit without an error answer, output that is too large or not JSON
become `TargetUnavailable` naming the program (the output itself is never put into an error: it may hold data).
A worker that failed is killed and replaced on the next request. This module knows nothing of records.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ecmahost.config.secrets import MASK, Secret
from ecmahost.connectors.errors import TargetUnavailable
from ecmahost.connectors.script import protocol

logger = logging.getLogger("ecmahost.connectors.script")
_CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class ProcessSettings:
    connector: str
    cwd: Path
    timeout: float
    max_output: int
    parameters: Mapping[str, Any] = field(default_factory=dict)
    inherit: tuple[str, ...] = ()

    def environment(self) -> dict[str, str]:
        env = {name: os.environ[name] for name in self.inherit if name in os.environ}
        for name, value in self.parameters.items():
            env[name] = value.reveal() if isinstance(value, Secret) else _text(value)
        return env

    def redact(self, line: str) -> str:
        for value in self.parameters.values():
            if isinstance(value, Secret) and len(value.reveal()) >= 3:
                line = line.replace(value.reveal(), MASK)
        return line

    def label(self, argv: list[str]) -> str:
        return " ".join(Path(part).name if index < 2 else part for index, part in enumerate(argv[:2]))


def _text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


async def run_once(settings: ProcessSettings, argv: list[str], request: bytes) -> dict[str, Any]:
    """Start `argv`, write `request` to its stdin, and decode what it prints before it exits."""
    label = settings.label(argv)
    process = await _start(settings, argv, label)
    assert process.stdin is not None
    assert process.stdout is not None
    assert process.stderr is not None
    try:
        async with asyncio.timeout(settings.timeout):
            _, output, _ = await asyncio.gather(
                _feed(process.stdin, request),
                _read_limited(process.stdout, settings.max_output, label),
                _log_lines(process.stderr, settings, label),
            )
            status = await process.wait()
    except TimeoutError:
        raise TargetUnavailable(f"script {label} did not answer within {settings.timeout:g} s") from None
    finally:
        await _kill(process)
    if status != 0:
        logger.warning("connector %s: script %s exited with status %s", settings.connector, label, status)
    try:
        answer = protocol.decode(output)
    except protocol.BadAnswer as exc:
        if status != 0:
            raise TargetUnavailable(f"script {label} exited with status {status}; see the host log") from None
        raise TargetUnavailable(f"script {label} answered with something other than the protocol: {exc}") from None
    if status != 0:
        raise TargetUnavailable(f"script {label} exited with status {status}; see the host log")
    return answer


class Worker:
    """One long-lived process: a request line in, an answer line out, one request at a time."""

    def __init__(self, settings: ProcessSettings, argv: list[str]) -> None:
        self.settings = settings
        self.argv = argv
        self.label = settings.label(argv)
        self._process: asyncio.subprocess.Process | None = None
        self._stderr_task: asyncio.Task[None] | None = None

    async def ask(self, request: bytes) -> dict[str, Any]:
        process = await self._running()
        assert process.stdin is not None
        assert process.stdout is not None
        try:
            async with asyncio.timeout(self.settings.timeout):
                process.stdin.write(request + b"\n")
                await process.stdin.drain()
                line = await process.stdout.readline()
        except TimeoutError:
            await self.stop()
            raise TargetUnavailable(f"script {self.label} did not answer within {self.settings.timeout:g} s") from None
        except ValueError:  # the line is longer than the stream's limit
            await self.stop()
            raise TargetUnavailable(
                f"script {self.label} answered more than {self.settings.max_output} bytes (max_output_bytes)"
            ) from None
        except (BrokenPipeError, ConnectionResetError):
            line = b""
        if not line:
            status = await self.stop()
            raise TargetUnavailable(f"script worker {self.label} exited (status {status}); see the host log")
        try:
            return protocol.decode(line)
        except protocol.BadAnswer as exc:
            await self.stop()
            raise TargetUnavailable(
                f"script {self.label} answered with something other than the protocol: {exc}"
            ) from None

    async def stop(self) -> int | None:
        process, self._process = self._process, None
        if process is None:
            return None
        status = await _kill(process)
        if self._stderr_task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._stderr_task, 2)
            self._stderr_task = None
        return status

    async def _running(self) -> asyncio.subprocess.Process:
        if self._process is None or self._process.returncode is not None:
            self._process = await _start(self.settings, self.argv, self.label, line_limit=self.settings.max_output)
            assert self._process.stderr is not None
            self._stderr_task = asyncio.create_task(_log_lines(self._process.stderr, self.settings, self.label))
        return self._process


class WorkerPool:
    """`size` workers running the same program; a request waits for a free one."""

    def __init__(self, settings: ProcessSettings, argv: list[str], size: int) -> None:
        self._workers = [Worker(settings, argv) for _ in range(size)]
        self._free: asyncio.Queue[Worker] | None = None

    async def ask(self, request: bytes) -> dict[str, Any]:
        if self._free is None:
            self._free = asyncio.Queue()
            for worker in self._workers:
                self._free.put_nowait(worker)
        worker = await self._free.get()
        try:
            return await worker.ask(request)
        finally:
            self._free.put_nowait(worker)

    async def stop(self) -> None:
        for worker in self._workers:
            await worker.stop()


async def _start(
    settings: ProcessSettings, argv: list[str], label: str, line_limit: int = _CHUNK
) -> asyncio.subprocess.Process:
    try:
        return await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=settings.cwd,
            env=settings.environment(),
            limit=max(line_limit, _CHUNK),
            start_new_session=True,
        )
    except OSError as exc:
        raise TargetUnavailable(f"cannot start script {label}: {exc.strerror or exc}") from exc


async def _feed(stdin: asyncio.StreamWriter, data: bytes) -> None:
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        stdin.write(data)
        await stdin.drain()
    stdin.close()


async def _read_limited(stream: asyncio.StreamReader, limit: int, label: str) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := await stream.read(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise TargetUnavailable(f"script {label} answered more than {limit} bytes (max_output_bytes)")
        chunks.append(chunk)
    return b"".join(chunks)


async def _log_lines(stream: asyncio.StreamReader, settings: ProcessSettings, label: str) -> None:
    while True:
        try:
            line = await stream.readline()
        except ValueError:  # a line longer than the limit: skip what is buffered
            continue
        if not line:
            return
        text = line.decode("utf-8", "replace").rstrip()
        if text:
            logger.info("connector %s: script %s: %s", settings.connector, label, settings.redact(text))


async def _kill(process: asyncio.subprocess.Process) -> int | None:
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
    with contextlib.suppress(Exception):
        return await asyncio.wait_for(process.wait(), 5)
    return process.returncode

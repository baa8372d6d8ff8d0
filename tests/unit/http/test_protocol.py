"""`http.protocol`: a response leaves in one write of the transport, and nothing written is held past the event
loop's iteration (an interim `100 Continue` must reach the client before it sends the body). The transport here is
a recording fake: these tests are about what the protocol hands it, not about sockets (the end-to-end suite runs
every request through the real server with this protocol)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import uvicorn
from uvicorn.server import ServerState

from ecmahost.http.protocol import CoalescingHttpToolsProtocol, CoalescingTransport

pytestmark = pytest.mark.anyio


class RecordingTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False
        self.aborted = False

    def write(self, data: Any) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = self.closed = True

    def get_write_buffer_size(self) -> int:
        return 0

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 8585)}.get(name, default)

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def test_writes_of_one_iteration_leave_as_one() -> None:
    inner = RecordingTransport()
    transport = CoalescingTransport(inner, asyncio.get_running_loop())
    transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
    transport.write(b"{}")
    assert inner.writes == []
    await asyncio.sleep(0)
    assert inner.writes == [b"HTTP/1.1 200 OK\r\n\r\n{}"]


async def test_a_write_of_a_later_iteration_leaves_on_its_own() -> None:
    inner = RecordingTransport()
    transport = CoalescingTransport(inner, asyncio.get_running_loop())
    transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    await asyncio.sleep(0)
    transport.write(b"HTTP/1.1 201 Created\r\n\r\n")
    await asyncio.sleep(0)
    assert inner.writes == [b"HTTP/1.1 100 Continue\r\n\r\n", b"HTTP/1.1 201 Created\r\n\r\n"]


async def test_flush_and_close_write_what_is_held_and_abort_drops_it() -> None:
    inner = RecordingTransport()
    transport = CoalescingTransport(inner, asyncio.get_running_loop())
    transport.write(b"a")
    transport.flush()
    assert inner.writes == [b"a"]
    transport.write(b"b")
    transport.close()
    assert (inner.writes, inner.closed) == ([b"a", b"b"], True)
    await asyncio.sleep(0)  # the scheduled flush finds nothing more
    assert inner.writes == [b"a", b"b"]

    other = RecordingTransport()
    dropped = CoalescingTransport(other, asyncio.get_running_loop())
    dropped.write(b"c")
    dropped.abort()
    await asyncio.sleep(0)
    assert (other.writes, other.aborted) == ([], True)


async def test_nothing_is_written_to_a_closing_transport() -> None:
    inner = RecordingTransport()
    transport = CoalescingTransport(inner, asyncio.get_running_loop())
    transport.write(b"late")
    inner.closed = True
    await asyncio.sleep(0)
    assert inner.writes == []


def _protocol(app: Any) -> tuple[CoalescingHttpToolsProtocol, RecordingTransport]:
    config = uvicorn.Config(app, lifespan="off", log_config=None)
    protocol = CoalescingHttpToolsProtocol(config, ServerState(), {}, _loop=asyncio.get_running_loop())
    transport = RecordingTransport()
    protocol.connection_made(transport)
    return protocol, transport


async def test_a_response_is_one_write_and_the_connection_serves_the_next_request() -> None:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        body = scope["path"].encode()
        headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    protocol, transport = _protocol(app)
    for path in ("/first", "/second"):
        protocol.data_received(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        for _ in range(5):
            await asyncio.sleep(0)
        response = transport.writes[-1]
        assert response.startswith(b"HTTP/1.1 200 OK\r\n")
        assert response.endswith(b"\r\n\r\n" + path.encode())
    assert len(transport.writes) == 2
    protocol.connection_lost(None)


async def test_100_continue_leaves_before_the_app_has_its_body() -> None:
    body_read = asyncio.Event()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        message = await receive()
        body_read.set()
        await send({"type": "http.response.start", "status": 201, "headers": [(b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": message["body"]})

    protocol, transport = _protocol(app)
    head = b"POST /Users HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n"
    protocol.data_received(head)
    for _ in range(5):
        await asyncio.sleep(0)
    assert transport.writes == [b"HTTP/1.1 100 Continue\r\n\r\n"]  # the client may now send the body
    assert not body_read.is_set()
    protocol.data_received(b"{}")
    await asyncio.wait_for(body_read.wait(), 5)
    for _ in range(5):
        await asyncio.sleep(0)
    assert transport.writes[-1].startswith(b"HTTP/1.1 201 Created\r\n")
    assert transport.writes[-1].endswith(b"{}")
    protocol.connection_lost(None)

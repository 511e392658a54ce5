"""Slowloris: a request head that trickles in, or a connection that idles, is closed in time.

Raw sockets against the router served as the supervisor serves it, with small bounds
(header 0.5 s, idle 1.5 s, or 30 s where only the header deadline is under test); every wait below is bounded by ``asyncio.wait_for``.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from greentic_iac.local.router import RouterOptions

from .conftest import HOST, running_router

pytestmark = [pytest.mark.reliability, pytest.mark.integration, pytest.mark.timeout(60)]

HEADER_TIMEOUT, IDLE_TIMEOUT = 0.5, 1.5
OPTIONS = RouterOptions(header_timeout_seconds=HEADER_TIMEOUT, idle_timeout_seconds=IDLE_TIMEOUT)
# For the header tests the idle bound is far away, so only the header deadline can close.
HEADER_ONLY = RouterOptions(header_timeout_seconds=HEADER_TIMEOUT, idle_timeout_seconds=30.0)
REQUEST = f"GET /x HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode()


async def closed_after(reader: asyncio.StreamReader, limit: float) -> float:
    """Seconds until the router closes the connection (reading and discarding what it sends)."""
    started = time.monotonic()
    try:
        while await asyncio.wait_for(reader.read(65536), timeout=limit):
            pass
    except ConnectionResetError:
        pass
    return time.monotonic() - started


async def read_response(reader: asyncio.StreamReader) -> bytes:
    """One whole response (the router answers with a Content-Length); returns its status line."""
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    lines = head.decode().split("\r\n")
    length = next(
        int(v) for k, _, v in (h.partition(": ") for h in lines) if k.lower() == "content-length"
    )
    await asyncio.wait_for(reader.readexactly(length), 5)
    return lines[0].encode()


async def trickle_head(port: int, results: list[float]) -> None:
    """Sends a request head one byte every 0.1 s, for as long as the router allows."""
    # Timed from before the connect: the router's deadline starts when it accepts.
    started = time.monotonic()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for byte in REQUEST[:-2]:  # never completes the head
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(0.1)
            if reader.at_eof():
                break
        await closed_after(reader, 5.0)
    except (ConnectionResetError, BrokenPipeError):
        pass
    finally:
        writer.close()
    results.append(time.monotonic() - started)


def test_a_trickled_request_head_is_closed_at_the_header_timeout() -> None:
    async def scenario() -> None:
        async with running_router(HEADER_ONLY) as running:
            results: list[float] = []
            await asyncio.wait_for(
                asyncio.gather(*(trickle_head(running.port, results) for _ in range(100))), 20
            )
            assert len(results) == 100
            # Closed at the deadline, although each one kept sending bytes.
            assert max(results) < HEADER_TIMEOUT + 1.5, max(results)
            assert min(results) >= HEADER_TIMEOUT * 0.8, min(results)
            # The router still serves a well-behaved client.
            reader, writer = await asyncio.open_connection("127.0.0.1", running.port)
            writer.write(REQUEST)
            status = await asyncio.wait_for(reader.readline(), 5)
            writer.close()
            assert status.startswith(b"HTTP/1.1 200"), status

    asyncio.run(scenario())


def test_a_silent_connection_is_closed_at_the_header_timeout() -> None:
    async def scenario() -> None:
        async with running_router(HEADER_ONLY) as running:
            started = time.monotonic()
            reader, writer = await asyncio.open_connection("127.0.0.1", running.port)
            await closed_after(reader, 5.0)
            writer.close()
            elapsed = time.monotonic() - started
            assert HEADER_TIMEOUT * 0.8 <= elapsed < HEADER_TIMEOUT + 1.0, elapsed

    asyncio.run(scenario())


def test_an_idle_keep_alive_connection_is_closed_at_the_idle_timeout() -> None:
    async def scenario() -> None:
        async with running_router(OPTIONS) as running:
            reader, writer = await asyncio.open_connection("127.0.0.1", running.port)
            writer.write(REQUEST)
            assert (await read_response(reader)).startswith(b"HTTP/1.1 200")
            # Idle after a response: the header deadline does not apply, the idle bound does.
            elapsed = await closed_after(reader, 5.0)
            writer.close()
            # (Timed from after the response was read, so it may look a little short; still
            # well past the header deadline.)
            assert HEADER_TIMEOUT + 0.4 <= elapsed < IDLE_TIMEOUT + 1.0, elapsed

    asyncio.run(scenario())


def test_a_next_request_head_gets_its_own_deadline() -> None:
    async def scenario() -> None:
        async with running_router(HEADER_ONLY) as running:
            reader, writer = await asyncio.open_connection("127.0.0.1", running.port)
            for _ in range(3):  # keep-alive requests well within the bounds are served
                writer.write(REQUEST)
                assert (await read_response(reader)).startswith(b"HTTP/1.1 200")
            writer.write(REQUEST[:10])  # then a head that never completes
            elapsed = await closed_after(reader, 5.0)
            writer.close()
            # The header deadline, not the (longer) idle bound, closes it.
            assert HEADER_TIMEOUT * 0.8 <= elapsed < HEADER_TIMEOUT + 1.5, elapsed

    asyncio.run(scenario())


def test_a_slow_app_is_not_cut_off_by_the_header_deadline() -> None:
    async def scenario() -> None:
        async with running_router(HEADER_ONLY) as running:
            reader, writer = await asyncio.open_connection("127.0.0.1", running.port)
            for _ in range(2):  # the deadline is cleared for each request once its head is in
                writer.write(f"GET /slow HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode())
                assert (await read_response(reader)).startswith(b"HTTP/1.1 200")
            writer.close()

    asyncio.run(scenario())


def test_a_stalled_request_body_is_answered_408_at_the_idle_timeout() -> None:
    async def scenario() -> None:
        async with running_router(OPTIONS) as running:
            started = time.monotonic()
            reader, writer = await asyncio.open_connection("127.0.0.1", running.port)
            head = f"POST /up HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: 100\r\n\r\n"
            writer.write(head.encode() + b"x" * 10)  # then nothing more
            status = await asyncio.wait_for(reader.readline(), 10)
            elapsed = time.monotonic() - started
            writer.close()
            assert status.startswith(b"HTTP/1.1 408"), status
            assert IDLE_TIMEOUT * 0.8 <= elapsed < IDLE_TIMEOUT + 2.0, elapsed

    asyncio.run(scenario())

"""Slowloris: a request head that trickles in, or a connection that idles, is closed in time.

Raw sockets against the router served as the supervisor serves it, with small bounds
(header 0.5 s, idle 1.5 s, or 30 s where only the header deadline is under test); every wait
below is bounded by ``asyncio.wait_for``.

The router, its backends and these clients share one event loop on a loaded machine, so a
stall of the loop is as long as the machine makes it. The tests are built so a stall can't
fail them: a wall-clock bound is only ever a lower one (the router's timers can't fire early,
and a stall only makes things later); what closed a connection is read from the router's
own count (``closed_slow_heads``) rather than from how long it took; and a connection that
must be *served* is never raced against the 0.5 s deadline (which counts from accept, and
which a loaded loop can miss between accept and the handler): where a test needs one served
on the same router, it raises the router's header bound first (``ConnectionLimits`` reads
it each time it arms a connection).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import pytest

from greentic_iac.local.router import RouterOptions

from .conftest import HOST, RunningRouter, running_router

pytestmark = [pytest.mark.reliability, pytest.mark.integration, pytest.mark.timeout(60)]

HEADER_TIMEOUT, IDLE_TIMEOUT = 0.5, 1.5
OPTIONS = RouterOptions(header_timeout_seconds=HEADER_TIMEOUT, idle_timeout_seconds=IDLE_TIMEOUT)
# For the header tests the idle bound is far away, so only the header deadline can close.
HEADER_ONLY = RouterOptions(header_timeout_seconds=HEADER_TIMEOUT, idle_timeout_seconds=30.0)
# For the body test the header deadline is far away: the head is not what is under test.
IDLE_ONLY = RouterOptions(header_timeout_seconds=30.0, idle_timeout_seconds=IDLE_TIMEOUT)
# A bound no loop stall reaches, for connections that must be served.
GENEROUS = 30.0
REQUEST = f"GET /x HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode()
TRICKLE_INTERVAL = 0.1


def closed_slow_heads(running: RunningRouter) -> int:
    """Connections the router itself closed at the header deadline."""
    return running.server.limits.closed_slow_heads


def set_header_deadline(running: RunningRouter, seconds: float) -> None:
    """The header bound of connections armed from now on (one already armed keeps its own)."""
    running.server.limits.header_timeout_seconds = seconds


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


@dataclass(frozen=True)
class Trickled:
    seconds: float  # from before the connect to the close
    bytes_sent: int  # head bytes the router took before it closed


async def trickle_head(port: int) -> Trickled:
    """Sends a request head one byte every ``TRICKLE_INTERVAL``, for as long as the router allows."""
    # Timed from before the connect: the router's deadline starts when it accepts.
    started = time.monotonic()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    sent = 0
    try:
        for byte in REQUEST[:-2]:  # never completes the head
            writer.write(bytes([byte]))
            await writer.drain()
            sent += 1
            await asyncio.sleep(TRICKLE_INTERVAL)
            if reader.at_eof():
                break
        await closed_after(reader, 5.0)
    except (ConnectionResetError, BrokenPipeError):
        pass
    finally:
        writer.close()
    return Trickled(time.monotonic() - started, sent)


def test_a_trickled_request_head_is_closed_at_the_header_timeout() -> None:
    async def scenario() -> None:
        async with running_router(HEADER_ONLY) as running:
            results = await asyncio.wait_for(
                asyncio.gather(*(trickle_head(running.port) for _ in range(100))), 20
            )
            assert len(results) == 100
            # The header deadline closed every one (the idle bound is 30 s away) ...
            assert closed_slow_heads(running) == 100
            # ... not before it was due ...
            earliest = min(r.seconds for r in results)
            assert earliest >= HEADER_TIMEOUT * 0.8, earliest
            # ... and although each kept sending bytes, at the deadline, not later. Counted in
            # bytes, which pace on the router's own loop: about HEADER_TIMEOUT/TRICKLE_INTERVAL
            # got in (a stalled loop sends fewer, never more); a deadline that each byte pushed
            # back would have let all of the head in.
            allowed = round(HEADER_TIMEOUT / TRICKLE_INTERVAL) * 2
            assert max(r.bytes_sent for r in results) <= allowed, results
            # The flood holds nothing: every connection and per-client count is released ...
            assert running.server.limits.open == {}
            assert running.server.limits.per_source == {}
            # ... and the router still serves a well-behaved client (under a bound no loop
            # stall reaches: the 0.5 s one, counted from accept, is not what is tested here).
            set_header_deadline(running, GENEROUS)
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
            # Closed by the header deadline (the idle bound is 30 s), not before it was due.
            assert closed_slow_heads(running) == 1
            assert elapsed >= HEADER_TIMEOUT * 0.8, elapsed

    asyncio.run(scenario())


def test_an_idle_keep_alive_connection_is_closed_at_the_idle_timeout() -> None:
    async def scenario() -> None:
        async with running_router(OPTIONS) as running:
            reader, writer = await asyncio.open_connection("127.0.0.1", running.port)
            # Timed from before the request: the idle bound starts after the response.
            started = time.monotonic()
            writer.write(REQUEST)
            assert (await read_response(reader)).startswith(b"HTTP/1.1 200")
            # Idle after a response: the header deadline does not apply, the idle bound does.
            await closed_after(reader, 5.0)
            elapsed = time.monotonic() - started
            writer.close()
            assert closed_slow_heads(running) == 0
            assert elapsed >= IDLE_TIMEOUT * 0.8, elapsed

    asyncio.run(scenario())


def test_a_next_request_head_gets_its_own_deadline() -> None:
    async def scenario() -> None:
        async with running_router(HEADER_ONLY) as running:
            # Keep-alive requests are served (under a bound no loop stall reaches) ...
            set_header_deadline(running, GENEROUS)
            reader, writer = await asyncio.open_connection("127.0.0.1", running.port)
            for _ in range(3):
                writer.write(REQUEST)
                assert (await read_response(reader)).startswith(b"HTTP/1.1 200")
            # ... then a head that never completes gets a deadline of its own, armed at its
            # first byte with the bound in force then.
            set_header_deadline(running, HEADER_TIMEOUT)
            started = time.monotonic()
            writer.write(REQUEST[:10])
            await closed_after(reader, 5.0)
            elapsed = time.monotonic() - started
            writer.close()
            # The header deadline, not the (longer) idle bound, closes it.
            assert closed_slow_heads(running) == 1
            assert elapsed >= HEADER_TIMEOUT * 0.8, elapsed

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
        async with running_router(IDLE_ONLY) as running:
            started = time.monotonic()
            reader, writer = await asyncio.open_connection("127.0.0.1", running.port)
            head = f"POST /up HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: 100\r\n\r\n"
            writer.write(head.encode() + b"x" * 10)  # then nothing more
            status = await asyncio.wait_for(reader.readline(), 10)
            elapsed = time.monotonic() - started
            writer.close()
            # The body's idle bound answered (the backend's read bound is 30 s).
            assert status.startswith(b"HTTP/1.1 408"), status
            assert elapsed >= IDLE_TIMEOUT * 0.8, elapsed

    asyncio.run(scenario())

"""One client cannot take every connection the router has (issue 17, slowloris at scale).

Idle connections from 127.0.0.2 beyond its per-client bound are closed as soon as they are
accepted, while 127.0.0.1 is still served; the total bound holds across clients too.
"""

from __future__ import annotations

import asyncio

import pytest

from greentic_iac.local.router import RouterOptions

from .conftest import HOST, running_router

pytestmark = [pytest.mark.reliability, pytest.mark.integration, pytest.mark.timeout(60)]

OPTIONS = RouterOptions(
    header_timeout_seconds=30.0,
    idle_timeout_seconds=30.0,
    max_connections=25,
    max_connections_per_client=10,
)
REQUEST = f"GET /x HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode()


async def open_from(
    port: int, local_address: str, count: int
) -> list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    return [
        await asyncio.open_connection("127.0.0.1", port, local_addr=(local_address, 0))
        for _ in range(count)
    ]


async def refused(reader: asyncio.StreamReader) -> bool:
    """True when the router closed the connection at once (EOF or reset within 1 s)."""
    try:
        return await asyncio.wait_for(reader.read(1), 1.0) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


async def served(port: int, local_address: str) -> bool:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(local_address, 0))
    try:
        writer.write(REQUEST)
        return (await asyncio.wait_for(reader.readline(), 5)).startswith(b"HTTP/1.1 200")
    except ConnectionResetError:
        return False
    finally:
        writer.close()


def test_connections_are_bounded_per_client_and_in_total() -> None:
    async def scenario() -> None:
        async with running_router(OPTIONS) as running:
            port = running.port
            hog = await open_from(port, "127.0.0.2", 15)
            results = await asyncio.gather(*(refused(reader) for reader, _ in hog))
            assert results.count(True) == 5, results  # the 5 over its bound of 10
            assert await served(port, "127.0.0.1")
            more = await open_from(port, "127.0.0.3", 10)
            more += await open_from(port, "127.0.0.4", 4)  # 10 + 10 + 4 = 24 of 25 held
            late = await open_from(port, "127.0.0.5", 2)  # the 25th, and one too many
            results = await asyncio.gather(*(refused(reader) for reader, _ in [*more, *late]))
            assert results == [False] * 15 + [True], results
            assert running.server.limits.refused == 6
            for _, writer in [*hog, *more, *late]:
                writer.close()

    asyncio.run(scenario())

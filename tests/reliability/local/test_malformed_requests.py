"""Malformed requests get a 400 and cannot flood the supervisor log with tracebacks."""

from __future__ import annotations

import asyncio
import logging

import pytest

from greentic_iac.local.connection_limits import CLIENT_ERROR_LOGGER, ClientErrorBudget
from greentic_iac.local.router import RouterOptions

from .conftest import HOST, running_router

pytestmark = [pytest.mark.reliability, pytest.mark.integration, pytest.mark.timeout(60)]

TOO_MANY_HEADERS = (
    f"GET / HTTP/1.1\r\nHost: {HOST}\r\n" + "".join(f"X-H{i}: v\r\n" for i in range(200)) + "\r\n"
).encode()


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def bad_request(port: int) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(TOO_MANY_HEADERS)
        return await asyncio.wait_for(reader.readline(), 5)
    finally:
        writer.close()


def test_a_malformed_request_flood_logs_a_bounded_number_of_lines() -> None:
    budget = ClientErrorBudget(per_window=5, window_seconds=1.0)
    handler = Records()
    log = logging.getLogger(CLIENT_ERROR_LOGGER)
    log.addHandler(handler)

    async def scenario() -> None:
        # 300 at once from one address: above the default per-client connection bound.
        options = RouterOptions(max_connections_per_client=1000)
        async with running_router(options, client_errors=budget) as running:
            statuses = await asyncio.gather(*(bad_request(running.port) for _ in range(300)))
            assert all(b" 400 " in status for status in statuses), set(statuses)
            assert len(handler.records) <= 5 and budget.suppressed >= 295
            assert all(r.exc_info is None for r in handler.records)
            assert "Too many headers" in handler.records[0].getMessage()
            # The next window reports how many were dropped, in one line.
            await asyncio.sleep(1.1)
            await bad_request(running.port)
            assert "similar records dropped" in handler.records[-1].getMessage()

    try:
        asyncio.run(scenario())
    finally:
        log.removeHandler(handler)
    assert budget not in log.filters  # the server removed its filter at cleanup

"""Hop-by-hop headers stop at the router; X-Forwarded-For is only extended for trusted proxies.

Requests are written on raw sockets so the test, not a client library, decides every header.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json

import pytest

from greentic_iac.local.clients import client_source, source_key
from greentic_iac.local.router import RouterOptions

from .conftest import HOST, running_router

pytestmark = [pytest.mark.reliability, pytest.mark.integration, pytest.mark.timeout(30)]

HOSTILE_REQUEST = (
    "GET /echo HTTP/1.1\r\n"
    f"Host: {HOST}\r\n"
    "Connection: close, X-Secret-Hop, x-other-hop, Host\r\n"
    "X-Secret-Hop: must not reach the app\r\n"
    "X-Other-Hop: nor this\r\n"
    "Keep-Alive: timeout=5\r\n"
    "TE: trailers\r\n"
    "Proxy-Authorization: Basic dXNlcjpwYXNz\r\n"
    "X-Forwarded-For: 203.0.113.66\r\n"
    "Forwarded: for=203.0.113.66\r\n"
    "X-End-To-End: kept\r\n"
    "\r\n"
)


async def raw_exchange(port: int, request: str) -> tuple[dict[str, str], dict[str, object]]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request.encode())
        await writer.drain()
        raw = await asyncio.wait_for(reader.read(), timeout=10)
    finally:
        writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0].startswith("HTTP/1.1 200"), lines[0]
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return headers, json.loads(body)


def received(body: dict[str, object]) -> dict[str, str]:
    pairs = body["headers"]
    assert isinstance(pairs, list)
    return {str(k).lower(): str(v) for k, v in pairs}


def test_hop_by_hop_and_connection_named_headers_are_dropped_both_ways() -> None:
    async def scenario() -> None:
        async with running_router(RouterOptions()) as running:
            headers, body = await raw_exchange(running.port, HOSTILE_REQUEST)
        seen = received(body)
        for name in ("x-secret-hop", "x-other-hop", "keep-alive", "te", "proxy-authorization"):
            assert name not in seen, f"{name} was forwarded to the app"
        assert seen["x-end-to-end"] == "kept"
        assert seen["host"] == HOST  # naming Host in Connection cannot strip it
        # A client that is not a trusted proxy cannot write the forwarding chain.
        assert seen["x-forwarded-for"] == "127.0.0.1"
        assert "forwarded" not in seen
        assert "x-backend-hop" not in headers and headers["x-backend-kept"] == "end to end"

    asyncio.run(scenario())


def test_a_trusted_proxy_extends_the_forwarding_chain() -> None:
    trusted = (ipaddress.ip_network("127.0.0.1/32"),)

    async def scenario() -> None:
        async with running_router(RouterOptions(trusted_proxies=trusted)) as running:
            _, body = await raw_exchange(running.port, HOSTILE_REQUEST)
        seen = received(body)
        assert seen["x-forwarded-for"] == "203.0.113.66, 127.0.0.1"
        assert seen["forwarded"] == "for=203.0.113.66"
        assert "x-secret-hop" not in seen

    asyncio.run(scenario())


def test_client_source_believes_only_trusted_hops() -> None:
    proxies = (ipaddress.ip_network("10.0.0.0/8"),)
    assert client_source("192.0.2.1", "198.51.100.7", proxies) == "192.0.2.1"
    assert client_source("10.0.0.5", "198.51.100.7", proxies) == "198.51.100.7"
    # A client behind the proxy cannot hide behind a forged left-most entry.
    assert client_source("10.0.0.5", "1.1.1.1, 198.51.100.7, 10.0.0.9", proxies) == ("198.51.100.7")
    assert client_source("10.0.0.5", None, proxies) == "10.0.0.5"
    assert client_source("10.0.0.5", "not-an-ip", proxies) == "not-an-ip"


def test_ipv6_clients_count_per_64() -> None:
    assert source_key("2001:db8:1:2:aaaa::1") == source_key("2001:db8:1:2:bbbb::9")
    assert source_key("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert source_key("2001:db8:1:3::1") != source_key("2001:db8:1:2::1")
    assert source_key("127.0.0.2") == "127.0.0.2"
    assert source_key("::ffff:127.0.0.2") == "127.0.0.2"
    assert source_key("") == ""

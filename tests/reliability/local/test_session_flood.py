"""A flood of invented session keys cannot move established sessions (issue 17).

Twelve real sessions pin through the router from 127.0.0.1 and come back once. Then a
second client on another loopback address (127.0.0.2: the peer address is what counts,
X-Forwarded-For is not trusted) sends thousands of random keys, and many clients with a
few keys each (127.0.1.x) overflow the total bound. Every original session must still land
on the revision it was pinned to. The bounds are small so the flood is quick; the logic is
the one the defaults use.
"""

from __future__ import annotations

import asyncio
import secrets

import aiohttp
import pytest

from greentic_iac.local.pins import SessionPins
from greentic_iac.local.router import RouterOptions

from .conftest import HOST, running_router

pytestmark = [pytest.mark.reliability, pytest.mark.integration, pytest.mark.timeout(60)]

SESSIONS = 12
FLOOD_KEYS = 2000
MAX_PINS, MAX_PER_CLIENT = 64, 16


async def revision_for(session: aiohttp.ClientSession, url: str, key: str) -> str:
    headers = {"Host": HOST, "x-greentic-session": key, "X-Forwarded-For": "127.0.0.1"}
    async with session.get(url + "/s", headers=headers) as response:
        assert response.status == 200
        body = await response.json()
        return str(body["revision_id"])


def client(local_address: str) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(local_addr=(local_address, 0), limit=16)
    return aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar())


async def flood(url: str, local_address: str, keys: int) -> None:
    async with client(local_address) as attacker:
        gate = asyncio.Semaphore(16)

        async def one() -> None:
            async with gate:
                await revision_for(attacker, url, secrets.token_hex(8))

        await asyncio.gather(*(one() for _ in range(keys)))


def test_random_session_keys_do_not_evict_established_pins() -> None:
    pins = SessionPins(MAX_PINS, max_per_source=MAX_PER_CLIENT)

    async def scenario() -> None:
        async with running_router(RouterOptions(), pins) as running:
            url = running.url
            async with client("127.0.0.1") as legit:
                keys = [f"session-{i}" for i in range(SESSIONS)]
                pinned = {key: await revision_for(legit, url, key) for key in keys}
                assert len(set(pinned.values())) == 2, "the 50/50 split used one revision only"
                for key in keys:  # the sessions come back: they are real
                    assert await revision_for(legit, url, key) == pinned[key]

                await flood(url, "127.0.0.2", FLOOD_KEYS)
                assert pins.count_for("127.0.0.2") == MAX_PER_CLIENT
                moved = [k for k in keys if await revision_for(legit, url, k) != pinned[k]]
                assert moved == [], f"{len(moved)} sessions moved after a one-client flood"

                # Many clients, a few keys each: the total bound fills with never-reused pins.
                await asyncio.gather(*(flood(url, f"127.0.1.{i}", 4) for i in range(1, 41)))
                assert len(pins) == MAX_PINS
                moved = [k for k in keys if await revision_for(legit, url, k) != pinned[k]]
                assert moved == [], f"{len(moved)} sessions moved after a many-client flood"

    asyncio.run(scenario())

"""The router in-process against real backends on 127.0.0.1: failover, 502, streaming."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from random import Random

import pytest
from aiohttp import ClientSession, DummyCookieJar, web
from aiohttp.test_utils import TestServer

from greentic_iac.local.cookie import CookieClaims, CookieSigner
from greentic_iac.local.dispatcher import Dispatcher
from greentic_iac.local.router import Backend, Router
from greentic_iac.local.routes import RouteTable

from .conftest import config, deployment, rev

pytestmark = [pytest.mark.integration, pytest.mark.timeout(30)]

DEP = "01J0000000000000000000D020"
LIVE, DEAD = "01J0000000000000000000R021", "01J0000000000000000000R022"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def backend_app() -> web.Application:
    async def echo(request: web.Request) -> web.StreamResponse:
        if request.path == "/big":
            response = web.StreamResponse()
            await response.prepare(request)
            for _ in range(64):
                await response.write(b"x" * 65536)
            await response.write_eof()
            return response
        size = 0
        async for chunk in request.content.iter_chunked(65536):
            size += len(chunk)
        return web.json_response({"revision_id": LIVE, "received": size})

    app = web.Application(client_max_size=0)
    app.router.add_route("*", "/{tail:.*}", echo)
    return app


async def run_router(router: Router) -> AsyncIterator[str]:
    server = TestServer(router.application(), host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("/"))
    finally:
        await server.close()


def test_failover_502_and_streaming() -> None:
    asyncio.run(_scenario())


async def _scenario() -> None:
    backend = TestServer(await backend_app(), host="127.0.0.1")
    await backend.start_server()
    signer = CookieSigner(b"k" * 32)
    router = Router(Dispatcher(signer, rng=Random(5)))
    router.swap_table(
        RouteTable.from_config(
            config(1, [deployment(DEP, "app.local", "/", 1, [rev(LIVE, 5000), rev(DEAD, 5000)])])
        )
    )
    router.backends[LIVE] = Backend(LIVE, str(backend.make_url("")).rstrip("/"), alive=True)
    # Marked alive but nothing listens: the connect fails, as for a process that just died.
    router.backends[DEAD] = Backend(DEAD, f"http://127.0.0.1:{closed_port()}", alive=True)
    gen = run_router(router)
    url = await gen.__anext__()
    try:
        async with ClientSession(cookie_jar=DummyCookieJar()) as session:
            cookies = {}
            for _ in range(40):  # unpinned requests fail over to the live revision
                async with session.get(url + "x", headers={"Host": "app.local"}) as response:
                    assert response.status == 200
                    assert (await response.json())["revision_id"] == LIVE
                    cookies[response.headers["Set-Cookie"].split(";")[0]] = True
            # A request pinned (by cookie) to the dead revision is a 502 with a reason.
            dead_cookie = signer.issue(
                CookieClaims("local", "local-dev", DEP, DEAD, 1, 4_000_000_000)
            )
            async with session.get(
                url + "x", headers={"Host": "app.local", "Cookie": f"greentic-rev={dead_cookie}"}
            ) as response:
                assert response.status == 502
                body = await response.json()
                assert body["error"] == "backend_unavailable" and body["revision_id"] == DEAD
                assert body["selected_by"] == "cookie"

            # Streamed both ways: a 4 MiB upload and a 4 MiB chunked download.
            async def upload() -> AsyncIterator[bytes]:
                for _ in range(64):
                    yield b"y" * 65536

            async with session.post(
                url + "up", data=upload(), headers={"Host": "app.local"}
            ) as response:
                assert response.status == 200 and (await response.json())["received"] == 4 << 20
            async with session.get(url + "big", headers={"Host": "app.local"}) as response:
                assert response.status == 200 and len(await response.read()) == 4 << 20
    finally:
        await gen.aclose()
        await backend.close()
    assert router.requests[LIVE] == 42 and router.requests.get(DEAD, 0) == 0
    assert router.in_flight[LIVE] == 0

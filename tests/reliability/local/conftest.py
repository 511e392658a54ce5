"""The router served exactly as the supervisor serves it, in-process, against real backends.

Each backend is an aiohttp server on 127.0.0.1 that answers with its revision id and the
request headers it received, so a test sees what reached the app through the proxy.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from random import Random

from aiohttp import web
from aiohttp.test_utils import TestServer

from greentic_iac.local.connection_limits import ClientErrorBudget
from greentic_iac.local.cookie import CookieSigner
from greentic_iac.local.dispatcher import Dispatcher
from greentic_iac.local.pins import SessionPins
from greentic_iac.local.router import Backend, Router, RouterOptions, RouterServer
from greentic_iac.local.routes import RouteTable
from greentic_iac.spec import RouteBinding, RuntimeConfig, RuntimeDeployment, RuntimeRevision

HOST = "app.local"
DEP = "01J0000000000000000000D070"
REVISIONS = ("01J0000000000000000000R071", "01J0000000000000000000R072")


def echo_backend(revision_id: str) -> web.Application:
    async def echo(request: web.Request) -> web.Response:
        if request.path == "/slow":  # an app slower than the router's header deadline
            await asyncio.sleep(1.0)
        if request.can_read_body:  # an app that needs the whole body first
            await request.read()
        response = web.json_response(
            {"revision_id": revision_id, "headers": [[k, v] for k, v in request.headers.items()]}
        )
        # Hop-by-hop headers of the backend's own, which the client must not see.
        response.headers["Connection"] = "X-Backend-Hop"
        response.headers["X-Backend-Hop"] = "for the proxy only"
        response.headers["X-Backend-Kept"] = "end to end"
        return response

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", echo)
    return app


def split_config() -> RuntimeConfig:
    revisions = [
        RuntimeRevision(
            revision_id=rid,
            bundle_digest="sha256:" + "ab" * 8,
            sequence=i + 1,
            lifecycle="ready",
            weight_bps=5000,
        )
        for i, rid in enumerate(REVISIONS)
    ]
    deployment = RuntimeDeployment(
        deployment_id=DEP,
        bundle_id="demo",
        tenant="local-dev",
        route_binding=RouteBinding(host=HOST, path_prefix="/"),
        split_generation=1,
        revisions=revisions,
    )
    return RuntimeConfig(environment_id="local", generation=1, deployments=[deployment])


@dataclass
class RunningRouter:
    router: Router
    server: RouterServer
    url: str
    port: int


@asynccontextmanager
async def running_router(
    options: RouterOptions,
    pins: SessionPins | None = None,
    client_errors: ClientErrorBudget | None = None,
) -> AsyncIterator[RunningRouter]:
    backends = [TestServer(echo_backend(rid), host="127.0.0.1") for rid in REVISIONS]
    for backend in backends:
        await backend.start_server()
    router = Router(Dispatcher(CookieSigner(b"k" * 32), rng=Random(7), pins=pins), options)
    router.swap_table(RouteTable.from_config(split_config()))
    for rid, backend in zip(REVISIONS, backends, strict=True):
        router.backends[rid] = Backend(rid, str(backend.make_url("")).rstrip("/"), alive=True)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    sock.setblocking(False)
    port = int(sock.getsockname()[1])
    server = RouterServer(router, shutdown_timeout=2.0, client_errors=client_errors)
    await server.setup()
    await server.listen(sock)
    try:
        yield RunningRouter(router, server, f"http://127.0.0.1:{port}", port)
    finally:
        await server.cleanup()
        sock.close()
        for backend in backends:
            await backend.close()

"""The weighted router (seeds B1 + B3): an aiohttp reverse proxy on 127.0.0.1.

It faces clients it does not trust: hop-by-hop headers (and those a Connection header
names) stop here, a client's forwarding headers are replaced unless its peer is a trusted
proxy, session pins are bounded per client source, and ``RouterServer`` serves it with a
header deadline and an idle bound (connection_limits.py).

A request is matched to a deployment by host and longest path prefix, the dispatcher picks
the revision, and the request is streamed to that revision's process. The supervisor
swaps the route table as a whole when the split changes (in-flight requests keep the
backend they were given) and tells the router which backends are alive. A dead backend is
a 502 with a JSON reason for a pinned request (override, cookie, session pin), and is
failed over to another weighted revision for an unpinned one, as long as no byte of the
request body has been sent. Upstream connect and read timeouts are bounded.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any, Final

import aiohttp
from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from greentic_iac.local.clients import Network, client_source, is_trusted, source_key
from greentic_iac.local.connection_limits import (
    CLIENT_ERROR_LOGGER,
    ClientErrorBudget,
    ConnectionLimits,
    LimitedSockSite,
)
from greentic_iac.local.cookie import COOKIE_NAME
from greentic_iac.local.dispatcher import Dispatcher, RequestKeys, Selection
from greentic_iac.local.metrics import RouterMetrics
from greentic_iac.local.routes import DeploymentRoute, RouteTable, normalise_host

OVERRIDE_HEADER: Final = "x-greentic-revision"
SESSION_HEADER: Final = "x-greentic-session"
# RFC 9110 section 7.6.1: these, and every header a Connection header names, are for one
# hop only. (Proxy-Authorization is the client's credential for this proxy, never the app's.)
_HOP_BY_HOP: Final = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
# Client claims about the path a request took; believed only from a trusted proxy.
_FORWARDING: Final = frozenset({"x-forwarded-for", "forwarded"})
_BUFFER_LIMIT: Final = 1024 * 1024
_SKIP_AUTO: Final = ("User-Agent", "Accept-Encoding", "Accept", "Content-Type")


@dataclass
class Backend:
    revision_id: str
    url: str
    alive: bool = False


@dataclass(frozen=True)
class RouterOptions:
    trust_override_header: bool = False
    connect_timeout_seconds: float = 2.0
    read_timeout_seconds: float = 30.0
    cookie_ttl_seconds: int = 3600
    # Peers whose X-Forwarded-For / Forwarded headers are kept and extended.
    trusted_proxies: tuple[Network, ...] = ()
    # Slowloris bounds (see connection_limits.py); the supervisor passes the settings.
    header_timeout_seconds: float = 10.0
    idle_timeout_seconds: float = 60.0
    max_connections: int = 4096
    max_connections_per_client: int = 256


def hop_by_hop_names(headers: CIMultiDictProxy[str] | CIMultiDict[str]) -> frozenset[str]:
    """The fixed hop-by-hop set plus every name the Connection headers list (lower case).

    ``Host`` is never one: it is what the request was routed by, and the app must see it.
    """
    named = {
        token.strip().lower()
        for value in headers.getall("Connection", [])
        for token in value.split(",")
        if token.strip()
    }
    return _HOP_BY_HOP | (named - {"host"})


class _BodyStalled(Exception):
    """The client stopped sending its request body."""


class _PacedBody:
    """A request body streamed as it arrives, given up when no byte comes for ``idle_seconds``
    (a slowloris body would otherwise hold a router and an app connection indefinitely)."""

    def __init__(self, stream: aiohttp.StreamReader, idle_seconds: float) -> None:
        self.stream = stream
        self.idle_seconds = idle_seconds
        self.stalled = False

    async def chunks(self) -> AsyncIterator[bytes]:
        while True:
            try:
                async with asyncio.timeout(self.idle_seconds):
                    chunk = await self.stream.readany()
            except TimeoutError:
                self.stalled = True
                raise _BodyStalled from None
            if not chunk:
                return
            yield chunk


class _ConnectFailed(Exception):
    """The backend refused or dropped the connection before any request byte mattered."""


def cookie_values(headers: Iterable[str]) -> tuple[str, ...]:
    """Every ``greentic-rev`` value in the Cookie headers (one per matching path)."""
    values: list[str] = []
    for header in headers:
        for part in header.split(";"):
            name, sep, value = part.strip().partition("=")
            if sep and name == COOKIE_NAME and value:
                values.append(value.strip('"'))
    return tuple(values)


def _json(status: int, error: str, **fields: Any) -> web.Response:
    return web.json_response({"error": error, **fields}, status=status)


class Router:
    def __init__(self, dispatcher: Dispatcher, options: RouterOptions | None = None) -> None:
        self.dispatcher = dispatcher
        self.options = options or RouterOptions()
        self.table = RouteTable.empty()
        self.backends: dict[str, Backend] = {}
        self.requests: dict[str, int] = {}
        self.in_flight: dict[str, int] = {}
        self.started_at = time.time()
        self.metrics = RouterMetrics()
        self._session: aiohttp.ClientSession | None = None

    def swap_table(self, table: RouteTable) -> None:
        """Replace the route table in one assignment (requests see old or new, not a mix)."""
        self.table = table

    def application(self, limits: ConnectionLimits | None = None) -> web.Application:
        """The proxy app; with ``limits`` its connections carry the header deadline
        (serve it with ``LimitedSockSite`` and ``keepalive_timeout`` = the idle bound)."""
        app = web.Application(
            client_max_size=0, middlewares=[limits.middleware] if limits is not None else []
        )
        app.cleanup_ctx.append(self._client_session)
        app.router.add_route("*", "/{tail:.*}", self.handle)
        return app

    async def _client_session(self, _: web.Application) -> AsyncIterator[None]:
        connector = aiohttp.TCPConnector(limit=1024, limit_per_host=0, keepalive_timeout=30)
        self._session = aiohttp.ClientSession(
            connector=connector,
            auto_decompress=False,
            cookie_jar=aiohttp.DummyCookieJar(),
            timeout=aiohttp.ClientTimeout(
                total=None,
                sock_connect=self.options.connect_timeout_seconds,
                sock_read=self.options.read_timeout_seconds,
            ),
        )
        yield
        await self._session.close()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        host = normalise_host(request.headers.get("Host", ""))
        route = self.table.match(host, request.path)
        if route is None:
            return _json(404, "no_route", host=host, path=request.path)
        keys = RequestKeys(
            override=request.headers.get(OVERRIDE_HEADER),
            cookies=cookie_values(request.headers.getall("Cookie", [])),
            session_key=request.headers.get(SESSION_HEADER),
            client=source_key(
                client_source(
                    request.remote,
                    ", ".join(request.headers.getall("X-Forwarded-For", [])) or None,
                    self.options.trusted_proxies,
                )
            ),
        )
        now = time.time()
        exclude: frozenset[str] = frozenset()
        while True:
            selection = self.dispatcher.select(route.split, keys, now, exclude)
            if selection is None:
                return _json(
                    503,
                    "no_live_revision",
                    deployment_id=route.deployment_id,
                    reason="no revision with weight has a live process",
                )
            backend = self.backends.get(selection.revision_id)
            if backend is None or not backend.alive:
                if selection.pinned:
                    return self._bad_gateway(route, selection, "revision process is not running")
                exclude = exclude | {selection.revision_id}
                continue
            started = time.monotonic()
            try:
                response = await self._forward(request, route, selection, backend)
            except _ConnectFailed as exc:
                if not selection.pinned:
                    exclude = exclude | {selection.revision_id}
                    continue
                # A pinned client's 502 is the revision's failure, so analysis counts it.
                response = self._bad_gateway(route, selection, str(exc))
            self.metrics.observe(
                route.deployment_id,
                selection.revision_id,
                response.status,
                time.monotonic() - started,
            )
            return response

    @staticmethod
    def _bad_gateway(route: DeploymentRoute, selection: Selection, reason: str) -> web.Response:
        return _json(
            502,
            "backend_unavailable",
            deployment_id=route.deployment_id,
            revision_id=selection.revision_id,
            selected_by=selection.source.value,
            reason=reason,
        )

    def _upstream_headers(self, request: web.Request) -> CIMultiDict[str]:
        peer = request.remote or ""
        trusted = is_trusted(peer, self.options.trusted_proxies)
        dropped = hop_by_hop_names(request.headers)
        if not trusted:
            dropped = dropped | _FORWARDING
        headers: CIMultiDict[str] = CIMultiDict()
        for name, value in request.headers.items():
            if name.lower() not in dropped:
                headers.add(name, value)
        previous = ", ".join(request.headers.getall("X-Forwarded-For", [])) if trusted else ""
        headers["X-Forwarded-For"] = f"{previous}, {peer}" if previous else peer
        headers["X-Forwarded-Host"] = request.headers.get("Host", "")
        headers["X-Forwarded-Proto"] = request.scheme
        return headers

    async def _forward(
        self,
        request: web.Request,
        route: DeploymentRoute,
        selection: Selection,
        backend: Backend,
    ) -> web.StreamResponse:
        assert self._session is not None
        revision_id = selection.revision_id
        has_body = request.body_exists
        body = _PacedBody(request.content, self.options.idle_timeout_seconds) if has_body else None
        url = URL(backend.url + request.raw_path, encoded=True)
        self.in_flight[revision_id] = self.in_flight.get(revision_id, 0) + 1
        try:
            try:
                upstream = await self._session.request(
                    request.method,
                    url,
                    headers=self._upstream_headers(request),
                    data=body.chunks() if body is not None else None,
                    allow_redirects=False,
                    skip_auto_headers=_SKIP_AUTO,
                )
            except aiohttp.ClientConnectorError as exc:
                raise _ConnectFailed(f"connect to {backend.url} failed: {exc.strerror}") from exc
            except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as exc:
                if not has_body:
                    raise _ConnectFailed(f"{backend.url} dropped the connection") from exc
                return self._bad_gateway(route, selection, f"{backend.url} dropped the connection")
            except TimeoutError:
                return _json(
                    504,
                    "upstream_timeout",
                    deployment_id=route.deployment_id,
                    revision_id=revision_id,
                )
            except aiohttp.ClientError as exc:
                if body is not None and body.stalled:
                    return _json(
                        408,
                        "request_body_timeout",
                        deployment_id=route.deployment_id,
                        reason=f"no request body byte for {self.options.idle_timeout_seconds:g}s",
                    )
                return self._bad_gateway(route, selection, type(exc).__name__)
            async with upstream:
                self.requests[revision_id] = self.requests.get(revision_id, 0) + 1
                return await self._relay(request, route, selection, upstream)
        finally:
            self.in_flight[revision_id] -= 1

    async def _relay(
        self,
        request: web.Request,
        route: DeploymentRoute,
        selection: Selection,
        upstream: aiohttp.ClientResponse,
    ) -> web.StreamResponse:
        headers: CIMultiDict[str] = CIMultiDict()
        dropped = hop_by_hop_names(upstream.headers) | {"content-length"}
        for name, value in upstream.headers.items():
            if name.lower() not in dropped:
                headers.add(name, value)
        if selection.cookie is not None:
            headers.add("Set-Cookie", self._set_cookie(route, selection.cookie))
        length = upstream.content_length
        if length is not None and length <= _BUFFER_LIMIT:
            try:
                body = await upstream.read()
            except TimeoutError:
                return _json(
                    504,
                    "upstream_timeout",
                    deployment_id=route.deployment_id,
                    revision_id=selection.revision_id,
                )
            return web.Response(
                status=upstream.status, reason=upstream.reason, body=body, headers=headers
            )
        response = web.StreamResponse(
            status=upstream.status, reason=upstream.reason, headers=headers
        )
        if length is not None:
            response.content_length = length
        await response.prepare(request)
        # A timeout or reset mid-body propagates: aiohttp aborts the client connection,
        # which is the only honest signal once the status line has gone out.
        async for chunk in upstream.content.iter_chunked(65536):
            await response.write(chunk)
        await response.write_eof()
        return response

    def _set_cookie(self, route: DeploymentRoute, value: str) -> str:
        # The value is base64url + "." and the path passed RouteBinding's checks, so the
        # header is assembled directly (SimpleCookie costs more than the HMAC on this path).
        return (
            f"{COOKIE_NAME}={value}; Path={route.path_prefix}; "
            f"Max-Age={self.dispatcher.cookie_ttl_seconds}; HttpOnly; SameSite=Lax"
        )

    def status(self) -> dict[str, Any]:
        return {
            "generation": self.table.generation,
            "requests": dict(sorted(self.requests.items())),
            "in_flight": {k: v for k, v in sorted(self.in_flight.items()) if v},
        }


class RouterServer:
    """The router served as the supervisor serves it: header deadline and idle bound on.

    ``setup()`` runs the app's start-up, ``listen(sock)`` starts accepting (the supervisor
    waits for the first health checks in between), ``cleanup()`` stops accepting and lets
    in-flight requests finish within ``shutdown_timeout``.
    """

    def __init__(
        self,
        router: Router,
        shutdown_timeout: float = 30.0,
        client_errors: ClientErrorBudget | None = None,
    ) -> None:
        options = router.options
        self.limits = ConnectionLimits(
            options.header_timeout_seconds,
            max_connections=options.max_connections,
            max_connections_per_client=options.max_connections_per_client,
            trusted_proxies=options.trusted_proxies,
        )
        self.client_errors = client_errors or ClientErrorBudget()
        self._error_log = logging.getLogger(CLIENT_ERROR_LOGGER)
        self.runner = web.AppRunner(
            router.application(self.limits),
            access_log=None,
            handle_signals=False,
            shutdown_timeout=shutdown_timeout,
            keepalive_timeout=router.options.idle_timeout_seconds,
            logger=self._error_log,
        )

    async def setup(self) -> None:
        self._error_log.addFilter(self.client_errors)
        await self.runner.setup()

    async def listen(self, sock: socket.socket) -> None:
        await LimitedSockSite(self.runner, sock, self.limits).start()

    async def cleanup(self) -> None:
        try:
            await self.runner.cleanup()
        finally:
            self._error_log.removeFilter(self.client_errors)


async def drain_wait(router: Router, revision_id: str, timeout: float) -> bool:
    """True once ``revision_id`` has no in-flight request (bounded by ``timeout``)."""
    deadline = time.monotonic() + timeout
    while router.in_flight.get(revision_id, 0) > 0:
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(0.05)
    return True

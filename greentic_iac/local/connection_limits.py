"""Slowloris bounds for the router: a request head must arrive in time, an idle connection ends.

aiohttp closes a keep-alive connection that idles (``keepalive_timeout``, passed to the
runner as the idle timeout), but it has no deadline for the request head itself: a client
that trickles header bytes holds its connection until that idle bound, and many such
clients hold the router. So every accepted connection is wrapped: a header deadline is
armed when the connection opens and again at the first byte after a response, and cleared
when the router's handler starts (the head is complete then). A connection still reading
its head at the deadline is closed. Time spent in a handler (a request body, a slow
upstream) is not counted here; the upstream timeouts bound that.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class _HeadDeadline(asyncio.Protocol):
    """aiohttp's protocol for one connection, plus the header deadline around it."""

    def __init__(self, inner: RequestHandler, limits: ConnectionLimits) -> None:
        self._inner = inner
        self._limits = limits
        self._transport: asyncio.Transport | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._busy = False

    # -- the router's view ------------------------------------------------------------

    def request_started(self) -> None:
        self._busy = True
        self._disarm()

    def request_finished(self) -> None:
        self._busy = False

    # -- the event loop's view --------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._limits.open[transport] = self
        self._arm()
        self._inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if not self._busy and self._timer is None:
            self._arm()
        self._inner.data_received(data)

    def eof_received(self) -> None:
        # RequestHandler keeps nothing half-open: returning None lets asyncio close it.
        self._inner.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if self._transport is not None:
            self._limits.open.pop(self._transport, None)
        self._inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._inner.resume_writing()

    # -- the deadline -----------------------------------------------------------------

    def _arm(self) -> None:
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(self._limits.header_timeout_seconds, self._expired)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expired(self) -> None:
        self._timer = None
        if not self._busy and self._transport is not None:
            self._limits.closed_slow_heads += 1
            self._transport.abort()


class ConnectionLimits:
    """The header deadline for one server: its site wraps connections, its middleware
    tells each connection when a request head is complete."""

    def __init__(self, header_timeout_seconds: float) -> None:
        self.header_timeout_seconds = header_timeout_seconds
        self.open: dict[asyncio.BaseTransport, _HeadDeadline] = {}
        self.closed_slow_heads = 0

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        guard = self.open.get(request.transport) if request.transport is not None else None
        if guard is not None:
            guard.request_started()
        try:
            return await handler(request)
        finally:
            if guard is not None:
                guard.request_finished()

    def protocol_factory(self, server: web.Server) -> Callable[[], asyncio.Protocol]:
        def factory() -> asyncio.Protocol:
            return _HeadDeadline(server(), self)

        return factory


class LimitedSockSite(web.BaseSite):
    """``web.SockSite`` whose connections carry the header deadline of ``limits``."""

    def __init__(
        self, runner: web.BaseRunner, sock: Any, limits: ConnectionLimits, backlog: int = 1024
    ) -> None:
        super().__init__(runner, backlog=backlog)
        self._listening = sock
        self._limits = limits
        host, port = sock.getsockname()[:2]
        self._site_name = f"http://{host}:{port}"

    @property
    def name(self) -> str:
        return self._site_name

    async def start(self) -> None:
        await super().start()
        server = self._runner.server
        assert server is not None
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            self._limits.protocol_factory(server), sock=self._listening, backlog=self._backlog
        )

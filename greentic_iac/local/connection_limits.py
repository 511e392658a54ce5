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
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Final

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestHandler

from greentic_iac.local.clients import Network, is_trusted, source_key

# aiohttp's per-connection logger for the router: malformed requests land here.
CLIENT_ERROR_LOGGER: Final = "greentic_iac.local.router.http"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class _HeadDeadline(asyncio.Protocol):
    """aiohttp's protocol for one connection, plus the header deadline around it."""

    def __init__(self, inner: RequestHandler, limits: ConnectionLimits) -> None:
        self._inner = inner
        self._limits = limits
        self._transport: asyncio.Transport | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._busy = False
        self._source: str | None = None  # None: refused, aiohttp never saw it

    # -- the router's view ------------------------------------------------------------

    def request_started(self) -> None:
        self._busy = True
        self._disarm()

    def request_finished(self) -> None:
        self._busy = False

    # -- the event loop's view --------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        peer = transport.get_extra_info("peername")
        source = self._limits.admit(str(peer[0]) if peer else "")
        if source is None:
            transport.abort()
            return
        self._source = source
        self._transport = transport
        self._limits.open[transport] = self
        self._arm()
        self._inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self._source is None:
            return
        if not self._busy and self._timer is None:
            self._arm()
        self._inner.data_received(data)

    def eof_received(self) -> None:
        # RequestHandler keeps nothing half-open: returning None lets asyncio close it.
        if self._source is not None:
            self._inner.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._source is None:
            return
        self._disarm()
        if self._transport is not None:
            self._limits.open.pop(self._transport, None)
        self._limits.release(self._source)
        self._inner.connection_lost(exc)

    def pause_writing(self) -> None:
        if self._source is not None:
            self._inner.pause_writing()

    def resume_writing(self) -> None:
        if self._source is not None:
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
    """The bounds of one server: its site wraps connections (header deadline, connection
    counts), its middleware tells each connection when a request head is complete.

    A connection over ``max_connections`` in all, or over ``max_connections_per_client``
    from one client source (an IPv6 client by its /64; a trusted proxy is not bounded per
    client, it speaks for many), is closed as soon as it is accepted.
    """

    def __init__(
        self,
        header_timeout_seconds: float,
        *,
        max_connections: int = 4096,
        max_connections_per_client: int = 256,
        trusted_proxies: tuple[Network, ...] = (),
    ) -> None:
        self.header_timeout_seconds = header_timeout_seconds
        self.max_connections = max_connections
        self.max_connections_per_client = max_connections_per_client
        self.trusted_proxies = trusted_proxies
        self.open: dict[asyncio.BaseTransport, _HeadDeadline] = {}
        self.per_source: dict[str, int] = {}
        self.closed_slow_heads = 0
        self.refused = 0

    def admit(self, peer: str) -> str | None:
        """The source a new connection from ``peer`` counts against, or None to refuse it."""
        source = source_key(peer)
        count = self.per_source.get(source, 0)
        if len(self.open) >= self.max_connections or (
            count >= self.max_connections_per_client and not is_trusted(peer, self.trusted_proxies)
        ):
            self.refused += 1
            return None
        self.per_source[source] = count + 1
        return source

    def release(self, source: str) -> None:
        count = self.per_source.get(source, 0) - 1
        if count > 0:
            self.per_source[source] = count
        else:
            self.per_source.pop(source, None)

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


class ClientErrorBudget(logging.Filter):
    """At most ``per_window`` records per ``window_seconds`` from aiohttp's request errors.

    Every malformed request is logged by aiohttp with a traceback; a hostile client sending
    thousands would fill ``supervisor.log``. Parse errors become one line without the
    traceback, records over the budget are dropped, and the first record of the next
    window says how many were.
    """

    def __init__(self, per_window: int = 30, window_seconds: float = 60.0) -> None:
        super().__init__()
        self.per_window = per_window
        self.window_seconds = window_seconds
        self._window_start = time.monotonic()
        self._in_window = 0
        self.suppressed = 0
        self._unreported = 0

    def filter(self, record: logging.LogRecord) -> bool:
        now = time.monotonic()
        if now - self._window_start >= self.window_seconds:
            self._window_start, self._in_window = now, 0
        if self._in_window >= self.per_window:
            self.suppressed += 1
            self._unreported += 1
            return False
        self._in_window += 1
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, HttpProcessingError):
            record.msg = f"{record.getMessage()}: {exc.code} {exc.message}"
            record.args, record.exc_info, record.exc_text = (), None, None
        if self._unreported:
            record.msg = f"{record.getMessage()} ({self._unreported} similar records dropped)"
            record.args, self._unreported = (), 0
        return True


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

"""The Prometheus HTTP API client over real HTTP on 127.0.0.1 (the fake server): a single
value, no series, NaN, a query Prometheus refuses (its own message), too many series, and
a server that is not there (bounded)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from greentic_iac.errors import GreenticError
from greentic_iac.prometheus_api import PrometheusQuerySource
from tests.integration.rollouts.fake_prometheus import FakePrometheus, serving

pytestmark = pytest.mark.integration


@pytest.fixture
def prometheus() -> Iterator[FakePrometheus]:
    table: dict[str, float | None] = {"sum(up)": 3.0, "absent_series": None, "nan": float("nan")}
    with serving(FakePrometheus(table=table)) as fake:
        yield fake


def test_a_single_value_is_read_at_the_time_asked(prometheus: FakePrometheus) -> None:
    client = PrometheusQuerySource(prometheus.url, timeout=5)
    at = datetime(2026, 12, 1, 12, 0, 30, tzinfo=UTC)
    assert client.query("sum(up)", at) == 3.0
    assert prometheus.asked == [("sum(up)", f"{at.timestamp():.3f}")]
    assert client.query("sum(up)") == 3.0 and prometheus.asked[-1] == ("sum(up)", None)


def test_no_series_and_nan_are_no_value(prometheus: FakePrometheus) -> None:
    client = PrometheusQuerySource(prometheus.url, timeout=5)
    assert client.query("absent_series") is None
    assert client.query("nan") is None


def test_a_refused_query_reports_prometheus_own_message(prometheus: FakePrometheus) -> None:
    client = PrometheusQuerySource(prometheus.url, timeout=5)
    with pytest.raises(GreenticError, match="not recorded: rate\\(x"):
        client.query("rate(x")


def _serve(body: dict[str, Any]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            del format, args

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_more_than_one_series_asks_for_an_aggregation() -> None:
    series = [{"metric": {"pod": p}, "value": [0, "1"]} for p in ("a", "b")]
    server = _serve({"status": "success", "data": {"resultType": "vector", "result": series}})
    try:
        client = PrometheusQuerySource(f"http://127.0.0.1:{server.server_address[1]}", timeout=5)
        with pytest.raises(GreenticError, match="returned 2 series; aggregate it"):
            client.query("up")
    finally:
        server.shutdown()
        server.server_close()


def test_a_server_that_is_not_there_fails_fast() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    started = time.monotonic()
    with pytest.raises(GreenticError, match="query failed"):
        PrometheusQuerySource(f"http://127.0.0.1:{closed}", timeout=2).query("up")
    assert time.monotonic() - started < 10

"""A stand-in Prometheus HTTP API on 127.0.0.1: ``GET /api/v1/query`` answered from a
recorded table.

The table maps a PromQL expression to its value, with ``$canary`` (or any ``$name``)
standing for an object name the test knows only at run time (a Service named after a
revision id); ``names`` maps the real name to its placeholder. A query the table lacks is
answered as Prometheus answers a bad query (400, ``status: error``), so a changed query
fails the test instead of reading zero. Every query and its ``time`` parameter is kept.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class FakePrometheus:
    table: dict[str, float | None] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    asked: list[tuple[str, str | None]] = field(default_factory=list)
    url: str = ""

    def recorded(self, expression: str) -> str:
        for name, placeholder in self.names.items():
            expression = expression.replace(name, placeholder)
        return expression

    def answer(self, expression: str, at: str | None) -> tuple[int, dict[str, Any]]:
        self.asked.append((self.recorded(expression), at))
        key = self.recorded(expression)
        if key not in self.table:
            return 400, {
                "status": "error",
                "errorType": "bad_data",
                "error": f"not recorded: {key}",
            }
        value = self.table[key]
        result = [] if value is None else [{"metric": {}, "value": [at or "0", repr(value)]}]
        return 200, {"status": "success", "data": {"resultType": "vector", "result": result}}


@contextmanager
def serving(fake: FakePrometheus) -> Iterator[FakePrometheus]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parsed = urllib.parse.urlsplit(self.path)
            if parsed.path != "/api/v1/query":
                self.send_error(404)
                return
            parameters = urllib.parse.parse_qs(parsed.query)
            status, body = fake.answer(
                parameters.get("query", [""])[0], parameters.get("time", [None])[0]
            )
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            del format, args

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)

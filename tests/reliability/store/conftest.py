"""Fixtures for the store's reliability tests: a real moto S3 server on 127.0.0.1."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest

from tests.support.servers import free_port, http_server

# moto's own WSGI app, served one request at a time. The stock `moto_server` serves requests
# on threads and checks If-Match/If-None-Match before it stores the object without a lock,
# so two racing conditional writes can both "succeed" there; S3 itself decides them
# atomically. Serving sequentially gives the atomic behaviour the store relies on.
_SERVE = """
import sys
from werkzeug.serving import run_simple
from moto.server import DomainDispatcherApplication, create_backend_app
run_simple("127.0.0.1", int(sys.argv[1]), DomainDispatcherApplication(create_backend_app),
           threaded=False, use_reloader=False)
"""

FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture(scope="module")
def moto_server() -> Iterator[str]:
    """The endpoint URL of a moto server process, stopped (and reaped) after the module."""
    port = free_port()
    with http_server(
        [sys.executable, "-c", _SERVE, str(port)],
        f"http://127.0.0.1:{port}",
        "/moto-api/",
        env={**os.environ, **FAKE_AWS},
    ) as endpoint:
        yield endpoint

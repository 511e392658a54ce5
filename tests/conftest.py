"""Fixtures every test directory may use: a real moto server on 127.0.0.1."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.servers import free_port, http_server

MOTO_STARTUP_SECONDS = 30


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    """A ``moto_server`` process on a free 127.0.0.1 port, stopped and reaped after the module."""
    port = free_port()
    binary = Path(sys.executable).parent / "moto_server"
    with http_server(
        [str(binary), "-H", "127.0.0.1", "-p", str(port)],
        f"http://127.0.0.1:{port}",
        "/moto-api/data.json",
        startup_seconds=MOTO_STARTUP_SECONDS,
    ) as url:
        yield url

"""A server process a test starts on 127.0.0.1: a free port, readiness, and its teardown.

The moto servers of tests/conftest.py and tests/reliability/store/conftest.py start
differently (the stock ``moto_server``, or moto's app served one request at a time) but
wait for readiness and stop the same way: every wait bounded, the process always reaped.
"""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager


def free_port() -> int:
    """A 127.0.0.1 port nothing listens on (at the time of asking)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def stop(process: subprocess.Popen[bytes], timeout: float = 10) -> None:
    """Terminate ``process``, kill it if it does not exit within ``timeout``, and reap it."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)


@contextmanager
def http_server(
    argv: list[str],
    url: str,
    ready_path: str,
    *,
    env: Mapping[str, str] | None = None,
    startup_seconds: float = 30,
) -> Iterator[str]:
    """``url`` once ``argv`` answers a GET of ``url + ready_path``; stopped on exit."""
    process = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=None if env is None else dict(env),
    )
    try:
        deadline = time.monotonic() + startup_seconds
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{argv[0]} exited with {process.returncode}")
            try:
                with urllib.request.urlopen(url + ready_path, timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{argv[0]} did not answer in time") from None
                time.sleep(0.05)  # not listening yet: a short pause between connect attempts
        yield url
    finally:
        stop(process)

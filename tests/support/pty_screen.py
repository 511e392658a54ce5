"""Run a command on a real pseudo-terminal and read what a person would see.

``screen(argv, env)`` gives the command a terminal of ``columns`` for stdin, stdout and
stderr (rich and ``isatty`` see a TTY), optionally types ``answer`` once ``prompt`` is on
the screen, and returns the exit code and everything written. Bounded in time; the child
is killed if it outlives the deadline.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import termios
import time

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def plain(text: str) -> str:
    """``text`` without its ANSI escapes (and with terminal line ends as ``\\n``)."""
    return ANSI.sub("", text).replace("\r\n", "\n")


def screen(
    argv: list[str],
    env: dict[str, str],
    *,
    columns: int = 100,
    answer: str | None = None,
    prompt: str = "Enter a value:",
    timeout: float = 90.0,
) -> tuple[int, str]:
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    process = subprocess.Popen(
        argv,
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env={**env, "COLUMNS": str(columns)},
        start_new_session=True,
    )
    os.close(follower)
    output = b""
    answered = answer is None
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.5)
            if ready:
                try:
                    data = os.read(leader, 65536)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not data:
                    break
                output += data
            if not answered and prompt.encode() in output:
                assert answer is not None
                os.write(leader, answer.encode() + b"\r")
                answered = True
            if not ready and process.poll() is not None:
                break
        code = process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(leader)
    return code, output.decode("utf-8", "replace")

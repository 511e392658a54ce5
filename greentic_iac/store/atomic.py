"""Durable file writes: temp file in the same directory, flush, fsync, rename, fsync dir.

The system calls go through ``FileOps`` so tests can record their order and inject an
fsync failure; production uses the module-level ``OS_FILE_OPS``.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import threading
from pathlib import Path

from greentic_iac.store.errors import StoreIOError


class FileOps:
    """The few system calls a durable write needs (overridden by fault-injection tests)."""

    def fsync(self, fd: int, path: Path) -> None:
        os.fsync(fd)

    def replace(self, source: Path, target: Path) -> None:
        source.replace(target)

    def fsync_directory(self, directory: Path) -> None:
        if os.name == "nt":  # Windows cannot open a directory for fsync
            return
        fd = os.open(directory, os.O_RDONLY)
        try:
            self.fsync(fd, directory)
        finally:
            os.close(fd)


OS_FILE_OPS = FileOps()

# ``.<name>.<pid>-<thread id>-<random>.tmp``; the older ``.<name>.<pid>.tmp`` still parses.
_TEMP_NAME = re.compile(r"\..+\.(\d+)(?:-(\d+)-[0-9a-f]+)?\.tmp")


def temp_path(path: Path) -> Path:
    """A temp name beside ``path`` that no other writer (process or thread) can pick.

    The pid and thread id say who wrote it, so a sweep can tell litter from a live write.
    """
    writer = f"{os.getpid()}-{threading.get_ident()}-{secrets.token_hex(4)}"
    return path.with_name(f".{path.name}.{writer}.tmp")


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists but is not ours (or the platform can't tell): keep its file
    return True


def _writer_gone(name: str) -> bool:
    match = _TEMP_NAME.fullmatch(name)
    if match is None:
        return False
    pid = int(match.group(1))
    if pid != os.getpid():
        return not _process_alive(pid)
    thread = match.group(2)
    # Our own pid: litter only from a thread of ours that no longer runs (an old-style
    # name has no thread id, and this process did not write those).
    return thread is None or int(thread) not in {t.ident for t in threading.enumerate()}


def sweep_stale_temps(directories: list[Path]) -> list[Path]:
    """Remove temp files whose writer (process or thread) is gone; the removed paths."""
    removed = []
    for directory in directories:
        try:
            with os.scandir(directory) as entries:
                names = [e.name for e in entries if e.name.endswith(".tmp")]
        except (FileNotFoundError, NotADirectoryError):
            continue
        for name in names:
            if _writer_gone(name):
                with contextlib.suppress(FileNotFoundError):
                    (directory / name).unlink()
                    removed.append(directory / name)
    return removed


def write_atomic(path: Path, data: bytes, ops: FileOps = OS_FILE_OPS) -> None:
    """Replace ``path`` with ``data`` so a crash leaves either the old or the new bytes."""
    temp = temp_path(path)
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            ops.fsync(fd, temp)
        finally:
            os.close(fd)
        ops.replace(temp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise StoreIOError(f"{path}: write failed ({exc.strerror or exc}); old file kept") from exc
    try:
        ops.fsync_directory(path.parent)
    except OSError as exc:
        raise StoreIOError(
            f"{path.parent}: directory fsync failed ({exc.strerror or exc})"
        ) from exc


def append_line(
    path: Path, line: bytes, ops: FileOps = OS_FILE_OPS, *, durable: bool = True
) -> None:
    """Append one record with a single ``write`` and fsync it (O(1) in the file's size).

    If a crash left a torn last line (no trailing newline) the record starts on a fresh
    line, so the torn bytes stay an isolated unparsable line instead of corrupting it.
    """
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            line = b"\n" + line
        if os.write(fd, line) != len(line):
            raise StoreIOError(f"{path}: short write while appending")
        if durable:
            ops.fsync(fd, path)
    except OSError as exc:
        raise StoreIOError(f"{path}: append failed ({exc.strerror or exc})") from exc
    finally:
        os.close(fd)


def read_last_line(path: Path, chunk: int = 8192) -> bytes | None:
    """The last complete line (without newline), reading backwards: O(line), not O(file)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        buffer = b""
        position = os.fstat(fd).st_size
        while True:
            if position > 0:
                start = max(0, position - chunk)
                buffer = os.pread(fd, position - start, start) + buffer
                position = start
            # A torn tail (no newline at the end of the file) is not a complete line.
            complete = buffer[: buffer.rfind(b"\n") + 1]
            if complete:
                body = complete[:-1]
                cut = body.rfind(b"\n")
                if cut >= 0 or position == 0:
                    return body[cut + 1 :] or None
            if position == 0:
                return None
    finally:
        os.close(fd)

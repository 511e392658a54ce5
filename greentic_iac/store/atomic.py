"""Durable file writes: temp file in the same directory, flush, fsync, rename, fsync dir.

The system calls go through ``FileOps`` so tests can record their order and inject an
fsync failure; production uses the module-level ``OS_FILE_OPS``.
"""

from __future__ import annotations

import contextlib
import os
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


def write_atomic(path: Path, data: bytes, ops: FileOps = OS_FILE_OPS) -> None:
    """Replace ``path`` with ``data`` so a crash leaves either the old or the new bytes."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
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

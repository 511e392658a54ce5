"""Atomic file replacement for everything outside the store: a reader sees the old bytes
or the new ones, never half a file.

Plans, reports, exports, the runtime config, the supervisor record and the dev secret
store all write this way. (The store keeps its own writer in ``store/atomic.py``: its
system calls go through injectable ``FileOps`` for crash tests.) Beside the layers, like
``errors.py``: every layer may use it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def umask_mode(mode: int) -> int:
    """``mode`` as the user's umask would leave it (mkstemp/mkdtemp create 0600/0700)."""
    mask = os.umask(0)
    os.umask(mask)
    return mode & ~mask


def write_bytes_atomic(
    path: Path, data: bytes, *, mode: int | None = None, sync_directory: bool = False
) -> Path:
    """Replace ``path`` with ``data``: temp file beside it, fsync, rename.

    ``mode`` is the file's permission bits (``0o600`` for anything holding a secret or a
    token); ``None`` makes an ordinary file, as the umask leaves ``0o666``. The temp file
    is created ``0o600`` so the bytes are never readable by others before the chmod.
    ``sync_directory`` also fsyncs the directory, so the rename itself survives a crash.
    """
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        temp.chmod(umask_mode(0o666) if mode is None else mode)
        temp.replace(path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    if sync_directory and os.name != "nt":  # Windows cannot open a directory for fsync
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    return path

"""Builders for hostile and clean archives, planted secrets, and directory snapshots.

Every secret shape is assembled at run time from a seeded generator, so this source file
itself holds none (the leak scanner can run over the repository without exceptions).
"""

from __future__ import annotations

import hashlib
import io
import stat
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LOWER = "abcdefghijklmnopqrstuvwxyz"
DIGITS = "0123456789"


def seeded(seed: str, alphabet: str, length: int) -> str:
    """Deterministic pseudo-random text (no secret literal lives in the repository)."""
    out = []
    counter = 0
    while len(out) < length:
        block = hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        out.extend(alphabet[byte % len(alphabet)] for byte in block)
        counter += 1
    return "".join(out[:length])


@dataclass
class Member:
    """One archive entry to build: kind is file, dir, symlink, hardlink, chr, fifo."""

    name: str
    data: bytes = b""
    kind: str = "file"
    target: str = ""
    mode: int = 0o644


@dataclass
class Spec:
    members: list[Member] = field(default_factory=list)


def build_tar(path: Path, members: list[Member], *, gz: bool = False) -> Path:
    """A tar (PAX format, so names keep every character) from ``members`` in order."""
    mode = "w:gz" if gz else "w"
    with tarfile.open(path, mode, format=tarfile.PAX_FORMAT) as archive:
        for member in members:
            info = tarfile.TarInfo(member.name)
            info.mode = member.mode
            info.mtime = 1_700_000_000
            payload = None
            if member.kind == "file":
                info.size = len(member.data)
                payload = io.BytesIO(member.data)
            elif member.kind == "dir":
                info.type = tarfile.DIRTYPE
                info.mode = member.mode if member.mode != 0o644 else 0o755
            elif member.kind == "symlink":
                info.type = tarfile.SYMTYPE
                info.linkname = member.target
            elif member.kind == "hardlink":
                info.type = tarfile.LNKTYPE
                info.linkname = member.target
            elif member.kind == "chr":
                info.type = tarfile.CHRTYPE
                info.devmajor, info.devminor = 1, 3
            elif member.kind == "fifo":
                info.type = tarfile.FIFOTYPE
            archive.addfile(info, payload)
    return path


_ZIP_TYPES = {
    "file": stat.S_IFREG,
    "dir": stat.S_IFDIR,
    "symlink": stat.S_IFLNK,
    "chr": stat.S_IFCHR,
    "fifo": stat.S_IFIFO,
}


def build_zip(path: Path, members: list[Member]) -> Path:
    """A zip from ``members`` in order (duplicates allowed; zipfile only warns)."""
    import warnings

    nul_names: list[str] = []
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for member in members:
            name = member.name + ("/" if member.kind == "dir" else "")
            if "\x00" in name:
                # zipfile cuts names at NUL when writing: plant a marker, patch it below
                nul_names.append(name)
                name = name.replace("\x00", "\x01")
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.create_system = 3
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (_ZIP_TYPES[member.kind] | member.mode) << 16
            data = member.target.encode() if member.kind == "symlink" else member.data
            archive.writestr(info, data)
    raw = path.read_bytes()
    for name in nul_names:
        raw = raw.replace(name.replace("\x00", "\x01").encode(), name.encode())
    path.write_bytes(raw)
    return path


def build(path_stem: Path, flavour: str, members: list[Member]) -> Path:
    """Build ``members`` as ``tar``, ``tar.gz`` or ``zip`` (extension deliberately odd:
    formats are detected by content)."""
    target = path_stem.with_suffix(".bundle")
    if flavour == "zip":
        return build_zip(target, members)
    return build_tar(target, members, gz=flavour == "tar.gz")


def snapshot(directory: Path) -> dict[str, tuple[int, bytes]]:
    """Names, modes and bytes (link targets for symlinks) of everything under ``directory``."""
    result: dict[str, tuple[int, bytes]] = {}
    for path in sorted(directory.rglob("*")):
        info = path.lstat()
        relative = path.relative_to(directory).as_posix()
        if stat.S_ISLNK(info.st_mode):
            content = str(path.readlink()).encode()
        elif stat.S_ISREG(info.st_mode):
            content = path.read_bytes()
        else:
            content = b""
        result[relative] = (info.st_mode, content)
    return result

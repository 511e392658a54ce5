"""Hostile archives, built here in tar, tar.gz and zip: each is refused as a whole with a
typed error naming the entry and the rule, and the destination's parent is left
byte-identical (names, modes, bytes)."""

from __future__ import annotations

import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from greentic_iac.bundles import (
    ArchiveLimitError,
    ArchiveLimits,
    UnsafeArchiveError,
    UnsupportedArchiveError,
    unpack_archive,
    verify_archive,
)
from greentic_iac.bundles.errors import display_name
from greentic_iac.errors import InvalidInputError

from .archives import Member, build, build_tar, build_zip, snapshot

pytestmark = pytest.mark.reliability

ALL = ("tar", "tar.gz", "zip")
TARS = ("tar", "tar.gz")
OK = Member("ok.txt", b"fine\n")
SMALL = ArchiveLimits(max_entries=10, max_total_bytes=4096)


@dataclass(frozen=True)
class Case:
    id: str
    members: tuple[Member, ...]
    rule: str
    entry: str
    flavours: tuple[str, ...] = ALL
    limits: ArchiveLimits | None = None


CASES = [
    Case("absolute", (OK, Member("/tmp/evil.txt", b"x")), "absolute-path", "/tmp/evil.txt"),
    Case("dotdot", (Member("../evil.txt", b"x"),), "parent-reference", "../evil.txt"),
    Case(
        "dotdot-nested",
        (Member("a/b/../../../evil", b"x"),),
        "parent-reference",
        "a/b/../../../evil",
    ),
    Case("backslash", (Member("..\\evil.txt", b"x"),), "backslash", "..\\evil.txt"),
    Case(
        "drive-letter",
        (Member("C:/Windows/evil.txt", b"x"),),
        "drive-letter",
        "C:/Windows/evil.txt",
    ),
    Case(
        "symlink-escape", (Member("up", kind="symlink", target="../../etc"),), "link-escape", "up"
    ),
    Case(
        "symlink-absolute",
        (Member("pw", kind="symlink", target="/etc/passwd"),),
        "link-escape",
        "pw",
    ),
    Case(
        "symlink-deep-escape",
        (Member("a/b/link", kind="symlink", target="../../../outside"),),
        "link-escape",
        "a/b/link",
    ),
    Case(
        "write-through-symlink",
        (
            Member("sub", kind="dir"),
            Member("inner", kind="symlink", target="sub"),
            Member("inner/evil.txt", b"x"),
        ),
        "write-through-link",
        "inner/evil.txt",
    ),
    Case(
        "symlink-then-file",
        (Member("sub", kind="dir"), Member("x", kind="symlink", target="sub"), Member("x", b"y")),
        "write-through-link",
        "x",
    ),
    Case(
        "symlink-loop",
        (Member("a", kind="symlink", target="b"), Member("b", kind="symlink", target="a")),
        "link-loop",
        "a",
    ),
    Case(
        "hardlink-escape",
        (Member("h", kind="hardlink", target="../../etc/passwd"),),
        "link-escape",
        "h",
        TARS,
    ),
    Case(
        "hardlink-absolute",
        (Member("h", kind="hardlink", target="/etc/passwd"),),
        "link-escape",
        "h",
        TARS,
    ),
    Case(
        "hardlink-missing",
        (Member("h", kind="hardlink", target="not-there"),),
        "hardlink-target",
        "h",
        TARS,
    ),
    Case("device", (Member("dev/null", kind="chr"),), "device-or-fifo", "dev/null"),
    Case("fifo", (Member("pipe", kind="fifo"),), "device-or-fifo", "pipe"),
    Case("duplicate", (Member("a.txt", b"1"), Member("a.txt", b"2")), "duplicate-name", "a.txt"),
    Case(
        "case-collision",
        (Member("README.md", b"1"), Member("readme.md", b"2")),
        "case-collision",
        "readme.md",
    ),
    Case(
        "unicode-collision",
        (Member("caf\u00e9.txt", b"1"), Member("cafe\u0301.txt", b"2")),
        "case-collision",
        "cafe\u0301.txt",
    ),
    Case("dir-file-conflict", (Member("x/a.txt", b"1"), Member("x", b"2")), "path-conflict", "x"),
    # non-ASCII so tar stores the name in a PAX record, which keeps the NUL
    Case("nul", (Member("caf\u00e9\x00.txt", b"x"),), "control-character", "caf\u00e9\x00.txt"),
    Case("escape-sequence", (Member("\x1b[2Jevil", b"x"),), "control-character", "\x1b[2Jevil"),
    Case("newline", (Member("a\nb", b"x"),), "control-character", "a\nb"),
    Case(
        "bidi-override",
        (Member("evil\u202etxt.exe", b"x"),),
        "control-character",
        "evil\u202etxt.exe",
    ),
    Case("long-name", (Member("a/" * 300 + "x", b"x"),), "name-too-long", "a/" * 300 + "x"),
    Case("long-component", (Member("n" * 256, b"x"),), "name-too-long", "n" * 256),
    Case("setuid", (Member("run.sh", b"#!/bin/sh\n", mode=0o4755),), "setuid-setgid", "run.sh"),
    Case("setgid", (Member("bin", b"x", mode=0o2755),), "setuid-setgid", "bin"),
    Case("empty-component", (Member("a//b.txt", b"x"),), "non-canonical-path", "a//b.txt"),
    Case(
        "too-many-entries",
        tuple(Member(f"f{i}.txt", b"x") for i in range(11)),
        "too-many-entries",
        "f10.txt",
        limits=SMALL,
    ),
    Case(
        "too-many-bytes",
        (Member("a.bin", b"a" * 3000), Member("b.bin", b"b" * 3000)),
        "too-many-bytes",
        "b.bin",
        limits=SMALL,
    ),
    Case(
        "compression-bomb",
        (Member("zeros.bin", bytes(8 * 1024 * 1024)),),
        "compression-ratio",
        "zeros.bin",
        ("tar.gz", "zip"),
    ),
]

PARAMS = [
    pytest.param(case, flavour, id=f"{case.id}-{flavour}")
    for case in CASES
    for flavour in case.flavours
]


def _assert_refused(error: InvalidInputError, case_rule: str, entry: str) -> None:
    assert isinstance(error, UnsafeArchiveError)
    assert error.rule == case_rule
    assert error.entry.rstrip("/") == entry.rstrip("/")
    assert display_name(entry.rstrip("/"))[:40] in str(error)
    assert "\n" not in str(error)


@pytest.mark.usefixtures("links_on")
@pytest.mark.parametrize(("case", "flavour"), PARAMS)
def test_hostile_archive_is_refused_and_nothing_changes(
    case: Case, flavour: str, tmp_path: Path
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "keep.txt").write_text("untouched\n")
    archive = build(tmp_path / case.id, flavour, list(case.members))
    before = snapshot(work)

    with pytest.raises(UnsafeArchiveError) as verified:
        verify_archive(archive, case.limits or ArchiveLimits())
    _assert_refused(verified.value, case.rule, case.entry)

    with pytest.raises(UnsafeArchiveError) as unpacked:
        unpack_archive(archive, work / "dest", case.limits or ArchiveLimits())
    _assert_refused(unpacked.value, case.rule, case.entry)
    assert snapshot(work) == before
    assert not (tmp_path / "etc").exists()


@pytest.mark.parametrize("flavour", ALL)
@pytest.mark.usefixtures("links_off")
def test_links_are_refused_entirely_without_the_tarfile_fixes(flavour: str, tmp_path: Path) -> None:
    archive = build(
        tmp_path / "inside",
        flavour,
        [
            Member("sub", kind="dir"),
            Member("sub/a.txt", b"a"),
            Member("cur", kind="symlink", target="sub"),
        ],
    )
    with pytest.raises(UnsafeArchiveError) as refused:
        verify_archive(archive)
    assert refused.value.rule == "link-refused"
    assert refused.value.entry == "cur"


def test_limits_errors_are_archive_limit_errors(tmp_path: Path) -> None:
    archive = build(tmp_path / "many", "zip", [Member(f"f{i}", b"x") for i in range(11)])
    with pytest.raises(ArchiveLimitError):
        verify_archive(archive, SMALL)


# -- archives whose headers lie or hide things ---------------------------------------------


def _zip_with_patched_sizes(path: Path, real: bytes, claimed: int) -> Path:
    """A zip whose central directory and local header claim ``claimed`` uncompressed bytes."""
    build_zip(path, [Member("payload.bin", real)])
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.infolist()[0]
        directory = archive.start_dir  # type: ignore[attr-defined]
    struct.pack_into("<L", data, info.header_offset + 22, claimed)  # local header usize
    struct.pack_into("<L", data, directory + 24, claimed)  # central directory usize
    path.write_bytes(bytes(data))
    return path


def test_zip_that_understates_its_size_is_refused_while_streaming(tmp_path: Path) -> None:
    archive = _zip_with_patched_sizes(tmp_path / "liar.zip", b"z" * 200_000, 10)
    work = tmp_path / "work"
    work.mkdir()
    before = snapshot(work)
    with pytest.raises(InvalidInputError) as refused:
        unpack_archive(archive, work / "dest")
    assert "payload.bin" in str(refused.value)
    assert snapshot(work) == before


def test_zip_with_overlapping_entries_is_refused(tmp_path: Path) -> None:
    path = build_zip(tmp_path / "overlap.zip", [Member("a", b"A" * 1000), Member("b", b"A" * 1000)])
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        directory = archive.start_dir  # type: ignore[attr-defined]
        first = archive.infolist()[0]
    second_record = directory + 46 + len(first.orig_filename) + len(first.extra)
    struct.pack_into("<L", data, second_record + 42, 0)  # b's data now starts at a's
    path.write_bytes(bytes(data))
    with pytest.raises(UnsafeArchiveError) as refused:
        verify_archive(path)
    assert refused.value.rule == "overlapping-entries"
    assert refused.value.entry in ("a", "b")


def test_zip_with_an_unlisted_local_entry_is_refused(tmp_path: Path) -> None:
    path = build_zip(tmp_path / "hidden.zip", [Member("a", b"a"), Member("b", b"b")])
    data = path.read_bytes()
    with zipfile.ZipFile(path) as archive:
        directory = archive.start_dir  # type: ignore[attr-defined]
        first = archive.infolist()[0]
    record_length = 46 + len(first.orig_filename) + len(first.extra) + len(first.comment)
    record = data[directory : directory + record_length]
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, record_length, directory, 0)
    path.write_bytes(data[:directory] + record + end)
    with pytest.raises(UnsafeArchiveError) as refused:
        verify_archive(path)
    assert refused.value.rule == "hidden-data"


@pytest.mark.parametrize("gz", [False, True])
def test_tar_with_entries_hidden_behind_a_corrupt_header_is_refused(
    gz: bool, tmp_path: Path
) -> None:
    plain = build_tar(tmp_path / "plain.tar", [Member("a.txt", b"a"), Member("b.txt", b"b")])
    data = bytearray(plain.read_bytes())
    data[1024 + 148] ^= 0x01  # break the second header's checksum: tarfile stops silently
    if gz:
        import gzip

        target = tmp_path / "hidden.tgz"
        target.write_bytes(gzip.compress(bytes(data)))
    else:
        target = tmp_path / "hidden.tar"
        target.write_bytes(bytes(data))
    with pytest.raises(UnsafeArchiveError) as refused:
        verify_archive(target)
    assert refused.value.rule == "trailing-data"


def test_tar_gz_bomb_is_stopped_by_the_stream_budget(tmp_path: Path) -> None:
    archive = build(tmp_path / "bomb", "tar.gz", [Member("zeros.bin", bytes(6 * 1024 * 1024))])
    limits = ArchiveLimits(max_total_bytes=1024 * 1024, max_compression_ratio=1e9)
    with pytest.raises(ArchiveLimitError) as refused:
        verify_archive(archive, limits)
    assert refused.value.rule == "too-many-bytes"
    assert refused.value.entry == "zeros.bin"


@pytest.mark.parametrize(
    "content",
    [b"", b"just text, not an archive\n" * 40, b"PK\x03\x04" + b"\x00" * 40, b"\x1f\x8bgarbage"],
    ids=["empty", "text", "truncated-zip", "bad-gzip"],
)
def test_non_archives_are_unsupported(content: bytes, tmp_path: Path) -> None:
    path = tmp_path / "bundle.zip"
    path.write_bytes(content)
    with pytest.raises(UnsupportedArchiveError):
        verify_archive(path)


def test_zip_tar_polyglot_is_refused(tmp_path: Path) -> None:
    tar = build_tar(tmp_path / "p.tar", [Member("a.txt", b"a")])
    data = bytearray(tar.read_bytes())
    data[0:4] = b"PK\x03\x04"
    path = tmp_path / "poly.bin"
    path.write_bytes(bytes(data))
    with pytest.raises(UnsupportedArchiveError):
        verify_archive(path)


def test_encrypted_zip_entry_is_refused(tmp_path: Path) -> None:
    path = build_zip(tmp_path / "enc.zip", [Member("a.txt", b"a")])
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        directory = archive.start_dir  # type: ignore[attr-defined]
    data[6] |= 0x01
    data[directory + 8] |= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(UnsafeArchiveError) as refused:
        verify_archive(path)
    assert refused.value.rule == "encrypted-entry"

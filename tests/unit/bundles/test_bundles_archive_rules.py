"""Unit tests for format detection, the tarfile-fix probe, digests, the entry pre-check
and the destination rules of ``unpack_archive``."""

from __future__ import annotations

import hashlib
import io
import tarfile
import zipfile
from pathlib import Path

import pytest

from greentic_iac.bundles import (
    ArchiveFormat,
    ArchiveLimits,
    DestinationNotEmptyError,
    UnsafeArchiveError,
    UnsupportedArchiveError,
    archive_digest,
    detect_format,
    tarfile_has_2025_fixes,
    unpack_archive,
)
from greentic_iac.bundles.entries import (
    ArchiveEntry,
    BoundedReader,
    EntryKind,
    StreamBudgetExceededError,
)
from greentic_iac.bundles.errors import display_name
from greentic_iac.bundles.precheck import EntryValidator
from greentic_iac.errors import InvalidInputError


def _zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.txt", "a")
    return path


def _tar(path: Path, compression: str = "") -> Path:
    with tarfile.open(path, f"w:{compression}" if compression else "w") as archive:
        info = tarfile.TarInfo("a.txt")
        info.size = 1
        archive.addfile(info, io.BytesIO(b"a"))
    return path


def test_format_is_detected_from_content_not_extension(tmp_path: Path) -> None:
    assert detect_format(_zip(tmp_path / "x.tar.gz")) is ArchiveFormat.ZIP
    assert detect_format(_tar(tmp_path / "x.zip")) is ArchiveFormat.TAR
    assert detect_format(_tar(tmp_path / "x.tar", "gz")) is ArchiveFormat.TAR_GZ


def test_gzip_without_a_tar_inside_is_unsupported(tmp_path: Path) -> None:
    import gzip

    path = tmp_path / "x.tar.gz"
    path.write_bytes(gzip.compress(b"not a tar" * 100))
    with pytest.raises(UnsupportedArchiveError, match="does not hold a tar"):
        detect_format(path)


def test_missing_archive_is_unsupported(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedArchiveError, match="does not exist"):
        detect_format(tmp_path / "nope.zip")


@pytest.mark.parametrize(
    ("version", "fixed"),
    [
        ((3, 11, 7), False),
        ((3, 11, 13), True),
        ((3, 12, 10), False),
        ((3, 12, 11), True),
        ((3, 13, 3), False),
        ((3, 13, 4), True),
        ((3, 10, 18), True),
        ((3, 9, 22), False),
        ((3, 14, 0), True),
    ],
)
def test_tarfile_fix_table(version: tuple[int, int, int], fixed: bool) -> None:
    assert tarfile_has_2025_fixes(version) is fixed


def test_archive_digest_is_sha256_of_the_bytes(tmp_path: Path) -> None:
    path = tmp_path / "blob"
    payload = bytes(range(256)) * 10_000  # several read chunks
    path.write_bytes(payload)
    assert archive_digest(path) == "sha256:" + hashlib.sha256(payload).hexdigest()


def _validator(**limits: int) -> EntryValidator:
    return EntryValidator("a.tar", ArchiveLimits(**limits), archive_bytes=10_000, allow_links=True)


def _file(name: str, size: int = 1) -> ArchiveEntry:
    return ArchiveEntry(name=name, kind=EntryKind.FILE, size=size, mode=0o644)


def _link(name: str, target: str) -> ArchiveEntry:
    return ArchiveEntry(name=name, kind=EntryKind.SYMLINK, size=0, mode=0o777, link_target=target)


def test_leading_dot_slash_and_root_entry_are_accepted() -> None:
    validator = _validator()
    assert validator.check(ArchiveEntry(".", EntryKind.DIRECTORY, 0, 0o755)) is None
    assert validator.check(_file("./a/b.txt")) == ("a", "b.txt")
    assert validator.check(ArchiveEntry("a", EntryKind.DIRECTORY, 0, 0o755)) == ("a",)


def test_symlink_whose_meaning_changes_with_a_later_link_is_refused_at_the_end() -> None:
    validator = _validator()
    validator.check(_link("a", "b/c/../.."))  # lexically the root: fine on its own
    validator.check(_link("b", "."))  # fine on its own, but now a resolves above the root
    with pytest.raises(UnsafeArchiveError) as refused:
        validator.finish()
    assert (refused.value.rule, refused.value.entry) == ("link-escape", "a")


def test_hardlink_to_an_earlier_file_is_accepted_and_to_a_directory_is_not() -> None:
    validator = _validator()
    validator.check(_file("data/a.bin"))
    validator.check(ArchiveEntry("copy", EntryKind.HARDLINK, 0, 0o644, link_target="data/a.bin"))
    with pytest.raises(UnsafeArchiveError, match="hardlink-target"):
        validator.check(ArchiveEntry("dir", EntryKind.HARDLINK, 0, 0o644, link_target="data"))


def test_zip_entry_ratio_is_checked_from_headers() -> None:
    validator = _validator(ratio_floor_bytes=1000)
    bomb = ArchiveEntry("z", EntryKind.FILE, size=1_000_000, mode=0o644, compressed_size=100)
    with pytest.raises(UnsafeArchiveError, match="compression-ratio"):
        validator.check(bomb)


def test_streamed_bytes_beyond_the_header_are_refused() -> None:
    with pytest.raises(UnsafeArchiveError, match="size-mismatch"):
        _validator().count_streamed("x", 11, 10)


def test_bounded_reader_stops_at_its_budget() -> None:
    reader = BoundedReader(io.BytesIO(b"x" * 100), budget=50)
    assert reader.read(50) == b"x" * 50
    with pytest.raises(StreamBudgetExceededError):
        reader.read(10)


def test_limits_are_validated() -> None:
    with pytest.raises(ValueError):
        ArchiveLimits(max_entries=0)
    with pytest.raises(ValueError):
        ArchiveLimits(max_compression_ratio=1)


def test_display_name_escapes_and_bounds() -> None:
    assert display_name("a\x1b[2Jb") == "a\\x1b[2Jb"
    assert display_name("a\u202eb") == "a\\u202eb"
    assert len(display_name("x" * 1000)) == 160


@pytest.mark.parametrize("setup", ["file", "non-empty", "symlink"])
def test_bad_destinations_are_refused_before_anything_is_read(setup: str, tmp_path: Path) -> None:
    archive = _zip(tmp_path / "a.zip")
    dest = tmp_path / "dest"
    if setup == "file":
        dest.write_text("x")
    elif setup == "non-empty":
        dest.mkdir()
        (dest / "keep").write_text("x")
    else:
        (tmp_path / "real").mkdir()
        dest.symlink_to(tmp_path / "real")
    with pytest.raises(DestinationNotEmptyError):
        unpack_archive(archive, dest)


def test_missing_destination_parent_is_invalid_input(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "a.zip")
    with pytest.raises(InvalidInputError, match="does not exist"):
        unpack_archive(archive, tmp_path / "no" / "dest")
    assert not (tmp_path / "no").exists()


def test_zip_with_data_descriptors_is_accepted(tmp_path: Path) -> None:
    from greentic_iac.bundles import verify_archive

    class Unseekable(io.RawIOBase):
        def __init__(self) -> None:
            self.data = bytearray()

        def writable(self) -> bool:
            return True

        def write(self, chunk: bytes) -> int:  # type: ignore[override]
            self.data += chunk
            return len(chunk)

    sink = Unseekable()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.txt", "hello" * 100)
        archive.writestr("d/b.txt", "x" * 5000)
    path = tmp_path / "streamed.zip"
    path.write_bytes(bytes(sink.data))
    with zipfile.ZipFile(path) as archive:
        assert all(info.flag_bits & 0x8 for info in archive.infolist())
    assert verify_archive(path).files == 2

"""The pre-check: every rule an archive entry must pass before a single byte is written.

Entries are judged in archive order against everything seen before them, and once more as
a whole at the end (a symlink's meaning can depend on a later entry). The first broken
rule refuses the whole archive: nothing is ever renamed, skipped or repaired.
"""

from __future__ import annotations

import re
import stat
import unicodedata

from greentic_iac.bundles.entries import ArchiveEntry, EntryKind
from greentic_iac.bundles.errors import ArchiveLimitError, UnsafeArchiveError
from greentic_iac.bundles.limits import ArchiveLimits

MAX_COMPONENT_BYTES = 255
MAX_LINK_HOPS = 40

_DRIVE = re.compile(r"^[A-Za-z]:")
# C0 and C1 controls, DEL, and the bidirectional overrides used to disguise names
_BIDI = {chr(code) for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F)}

EntryPath = tuple[str, ...]


def _is_control(char: str) -> bool:
    code = ord(char)
    return code < 0x20 or 0x7F <= code < 0xA0 or char in _BIDI


def fold(path: EntryPath) -> str:
    """Key under which two names collide on a case-insensitive, normalising filesystem."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", "/".join(path)).casefold())


class EntryValidator:
    """Stateful judge of one archive's entries (build a fresh one per pass).

    ``check`` returns the entry's canonical relative path (``None`` for the archive root
    ``.``), or raises ``UnsafeArchiveError`` / ``ArchiveLimitError`` naming the entry and
    the rule. ``finish`` runs the whole-archive checks after the last entry.
    """

    def __init__(
        self,
        archive: str,
        limits: ArchiveLimits,
        *,
        archive_bytes: int,
        allow_links: bool,
    ) -> None:
        self._archive = archive
        self._limits = limits
        self._archive_bytes = max(archive_bytes, 1)
        self._allow_links = allow_links
        self.entry_count = 0
        self.total_bytes = 0
        self.kind_counts: dict[EntryKind, int] = {}
        self._kinds: dict[EntryPath, EntryKind] = {}
        self._explicit: set[EntryPath] = set()
        self._folded: dict[str, EntryPath] = {}
        self._symlinks: dict[EntryPath, EntryPath] = {}
        self._symlink_names: dict[EntryPath, str] = {}

    # -- helpers -------------------------------------------------------------------------

    def _refuse(self, entry: str, rule: str, reason: str) -> UnsafeArchiveError:
        return UnsafeArchiveError(self._archive, entry, rule, reason)

    def _limit(self, entry: str, rule: str, reason: str) -> ArchiveLimitError:
        return ArchiveLimitError(self._archive, entry, rule, reason)

    def _check_text(self, entry: str, text: str, what: str) -> None:
        if any(_is_control(char) for char in text):
            raise self._refuse(entry, "control-character", f"{what} has a NUL or control character")
        if any(0xD800 <= ord(char) <= 0xDFFF for char in text):
            raise self._refuse(entry, "undecodable-name", f"{what} is not valid UTF-8")
        if "\\" in text:
            raise self._refuse(entry, "backslash", f"{what} contains a backslash")
        if _DRIVE.match(text):
            raise self._refuse(entry, "drive-letter", f"{what} starts with a drive letter")
        if text.startswith("/"):
            raise self._refuse(entry, "absolute-path", f"{what} is absolute")

    def canonical_path(self, name: str) -> EntryPath | None:
        """The canonical component tuple of an entry name; ``None`` for the root itself."""
        self._check_text(name, name, "name")
        if name in (".", "./"):
            return None
        if not name:
            raise self._refuse(name, "empty-name", "name is empty")
        if len(name) > self._limits.max_name_length:
            raise self._refuse(
                name, "name-too-long", f"name is longer than {self._limits.max_name_length}"
            )
        body = name[2:] if name.startswith("./") else name
        parts = tuple(body.split("/"))
        for part in parts:
            if part == "..":
                raise self._refuse(name, "parent-reference", "name has a '..' component")
            if part in ("", "."):
                raise self._refuse(name, "non-canonical-path", "name has an empty or '.' component")
            if len(part.encode("utf-8")) > MAX_COMPONENT_BYTES:
                raise self._refuse(
                    name, "name-too-long", f"a component is longer than {MAX_COMPONENT_BYTES} bytes"
                )
        return parts

    def _register(self, name: str, path: EntryPath, kind: EntryKind, explicit: bool) -> None:
        key = fold(path)
        other = self._folded.get(key)
        if other is not None and other != path:
            raise self._refuse(
                name, "case-collision", "name differs only by case or Unicode form from another"
            )
        self._folded[key] = path
        existing = self._kinds.get(path)
        if existing is None:
            self._kinds[path] = kind
        elif existing is EntryKind.DIRECTORY and kind is EntryKind.DIRECTORY:
            if explicit and path in self._explicit:
                raise self._refuse(name, "duplicate-name", "the same directory appears twice")
        elif existing is EntryKind.SYMLINK:
            raise self._refuse(
                name, "write-through-link", "path goes through or over a symlink in the archive"
            )
        elif existing is EntryKind.DIRECTORY or kind is EntryKind.DIRECTORY:
            raise self._refuse(
                name, "path-conflict", "a name is used both as a directory and as a non-directory"
            )
        else:
            raise self._refuse(name, "duplicate-name", "the same name appears twice")
        if explicit:
            self._explicit.add(path)

    def _resolve(self, name: str, parts: list[str]) -> EntryPath | None:
        """Resolve ``parts`` (relative to the root) through the archive's symlinks; ``None``
        when the walk leaves the root."""
        stack: list[str] = []
        queue = list(parts)
        hops = 0
        while queue:
            part = queue.pop(0)
            if part in ("", "."):
                continue
            if part == "..":
                if not stack:
                    return None
                stack.pop()
                continue
            stack.append(part)
            target = self._symlinks.get(tuple(stack))
            if target is not None:
                hops += 1
                if hops > MAX_LINK_HOPS:
                    raise self._refuse(name, "link-loop", "symlinks form a loop")
                stack.pop()
                queue = [*target, *queue]
        return tuple(stack)

    def _check_link_target(self, name: str, target: str | None) -> list[str]:
        if not target:
            raise self._refuse(name, "link-target", "link has an empty target")
        if len(target) > self._limits.max_link_target_length:
            raise self._refuse(name, "link-target", "link target is too long")
        if any(_is_control(char) for char in target):
            raise self._refuse(name, "control-character", "link target has a control character")
        if "\\" in target:
            raise self._refuse(name, "backslash", "link target contains a backslash")
        if target.startswith("/") or _DRIVE.match(target):
            raise self._refuse(name, "link-escape", "link target is absolute")
        return target.split("/")

    # -- the rules -----------------------------------------------------------------------

    def check(self, entry: ArchiveEntry) -> EntryPath | None:
        """Judge one entry (in archive order); return its canonical path."""
        name = entry.name
        self.entry_count += 1
        if self.entry_count > self._limits.max_entries:
            raise self._limit(
                name, "too-many-entries", f"more than {self._limits.max_entries} entries"
            )
        path = self.canonical_path(name)
        if entry.kind in (EntryKind.DEVICE, EntryKind.FIFO):
            raise self._refuse(name, "device-or-fifo", f"entry is a {entry.kind.value}")
        if entry.kind is EntryKind.OTHER:
            raise self._refuse(
                name, "unsupported-entry-type", "entry is not a file, directory or link"
            )
        if entry.mode & (stat.S_ISUID | stat.S_ISGID):
            raise self._refuse(name, "setuid-setgid", "entry has the setuid or setgid bit")
        if path is None:
            if entry.kind is not EntryKind.DIRECTORY:
                raise self._refuse(name, "root-entry", "the archive root is not a directory")
            return None
        if entry.kind in (EntryKind.SYMLINK, EntryKind.HARDLINK) and not self._allow_links:
            raise self._refuse(
                name,
                "link-refused",
                "links are refused on this Python (tarfile lacks the 2025 security fixes)",
            )
        self.kind_counts[entry.kind] = self.kind_counts.get(entry.kind, 0) + 1
        for depth in range(1, len(path)):
            self._register(name, path[:depth], EntryKind.DIRECTORY, explicit=False)
        self._register(name, path, entry.kind, explicit=True)
        if entry.kind is EntryKind.SYMLINK:
            self._check_symlink(name, path, entry.link_target)
        elif entry.kind is EntryKind.HARDLINK:
            self._check_hardlink(name, entry.link_target)
        self._check_size(entry)
        return path

    def _check_symlink(self, name: str, path: EntryPath, target: str | None) -> None:
        target_parts = self._check_link_target(name, target)
        if self._resolve(name, [*path[:-1], *target_parts]) is None:
            raise self._refuse(name, "link-escape", "symlink points outside the destination")
        self._symlinks[path] = tuple(target_parts)
        self._symlink_names[path] = name

    def _check_hardlink(self, name: str, target: str | None) -> None:
        parts = self._check_link_target(name, target)
        if parts[:1] == ["."]:
            parts = parts[1:]
        if ".." in parts:
            raise self._refuse(name, "link-escape", "hardlink points outside the destination")
        canonical = tuple(parts)
        if (
            not parts
            or "" in parts
            or "." in parts
            or self._kinds.get(canonical) is not EntryKind.FILE
            or canonical not in self._explicit
        ):
            raise self._refuse(
                name, "hardlink-target", "hardlink target is not an earlier regular file"
            )

    def _check_size(self, entry: ArchiveEntry) -> None:
        if entry.size < 0:
            raise self._refuse(entry.name, "corrupt-entry", "negative size")
        self.total_bytes += entry.size
        limits = self._limits
        if self.total_bytes > limits.max_total_bytes:
            raise self._limit(
                entry.name,
                "too-many-bytes",
                f"uncompressed total exceeds {limits.max_total_bytes} bytes",
            )
        compressed = entry.compressed_size
        if (
            compressed is not None
            and entry.size >= limits.ratio_floor_bytes
            and entry.size > limits.max_compression_ratio * max(compressed, 1)
        ):
            raise self._limit(
                entry.name,
                "compression-ratio",
                f"entry inflates more than {limits.max_compression_ratio:g}x",
            )
        if (
            self.total_bytes >= limits.ratio_floor_bytes
            and self.total_bytes > limits.max_compression_ratio * self._archive_bytes
        ):
            raise self._limit(
                entry.name,
                "compression-ratio",
                f"archive inflates more than {limits.max_compression_ratio:g}x",
            )

    def count_streamed(self, entry_name: str, streamed_bytes: int, declared: int) -> None:
        """Enforce the limits on bytes actually read, because headers can lie."""
        if streamed_bytes > declared:
            raise self._limit(
                entry_name, "size-mismatch", "entry holds more bytes than its header says"
            )

    def finish(self) -> None:
        """Whole-archive checks: every symlink, resolved through all the others, stays in."""
        for path, target in self._symlinks.items():
            name = self._symlink_names[path]
            if self._resolve(name, [*path[:-1], *target]) is None:
                raise self._refuse(name, "link-escape", "symlink points outside the destination")

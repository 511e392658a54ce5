"""Read a version out of whatever a tool prints, and compare it with a pack's minimum.

Tools disagree on format (``v3.120.0``, ``aws-cli/2.15.0 Python/...``, JSON with the
version under a tool-specific key, vendor suffixes like ``v1.29.0-eks-5e0fdde``), so each
catalog entry names a JSON key path and a regular expression; this module does the rest.
Comparison uses only MAJOR.MINOR.PATCH: vendor builds tag releases with suffixes that
SemVer would read as prereleases, and ``1.32.4-dispatcher`` is a 1.32.4 for our purposes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

_NUMBERS = re.compile(r"v?(\d+)(?:\.(\d+))?(?:\.(\d+))?")
_MIN_VERSION = re.compile(r"^\s*(?:>=\s*)?v?(\d+)(?:\.(\d+))?(?:\.(\d+))?\s*$")


@dataclass(frozen=True, order=True)
class Release:
    """MAJOR.MINOR.PATCH, missing parts read as 0."""

    major: int
    minor: int = 0
    patch: int = 0

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"


def parse_min_version(text: str) -> Release:
    """``3.100.0``, ``3.100``, ``v3``, ``>=1.2.3`` → Release; anything else is ValueError."""
    match = _MIN_VERSION.fullmatch(text)
    if match is None:
        raise ValueError(f"min_version {text!r} is not a version like 1.2.3")
    return Release(*(int(part) if part is not None else 0 for part in match.groups()))


def release_of(version: str) -> Release | None:
    """The leading MAJOR[.MINOR[.PATCH]] of a found version string, ignoring suffixes."""
    match = _NUMBERS.match(version.strip())
    if match is None:
        return None
    return Release(*(int(part) if part is not None else 0 for part in match.groups()))


def _json_objects(text: str) -> list[Any]:
    """Every top-level JSON object in ``text`` (tools prefix JSON with warnings)."""
    decoder = json.JSONDecoder()
    found: list[Any] = []
    index = text.find("{")
    while index != -1:
        try:
            value, end = decoder.raw_decode(text, index)
        except ValueError:
            index = text.find("{", index + 1)
            continue
        found.append(value)
        index = text.find("{", end)
    return found


def _lookup(value: Any, path: Sequence[str]) -> Any:
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


@dataclass(frozen=True)
class VersionParser:
    """How to find a version: a JSON key path (tried first), then regexes over the text.

    Each regex must have one group capturing the version (digits first, ``v`` optional).
    """

    json_path: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()

    def parse(self, stdout: str, stderr: str = "") -> str | None:
        if self.json_path:
            for obj in _json_objects(stdout) + _json_objects(stderr):
                value = _lookup(obj, self.json_path)
                if isinstance(value, str) and release_of(value) is not None:
                    return value.strip().removeprefix("v")
        for pattern in self.patterns:
            for text in (stdout, stderr):
                match = re.search(pattern, text, re.MULTILINE)
                if match is not None and release_of(match.group(1)) is not None:
                    return match.group(1).strip().removeprefix("v")
        return None

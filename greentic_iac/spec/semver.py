"""SemVer 2.0.0 versions and Cargo-style requirements (``^0.1``, ``~1.2``, ``>=1.0.0``).

Descriptors pin a version and handlers declare the range they implement; a pin outside
the range is *version skew*, reported by ``env doctor`` rather than found at deploy time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import total_ordering

# The regular expression published with SemVer 2.0.0, without leading "v".
_SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
_PARTIAL = re.compile(r"^(0|[1-9]\d*)(?:\.(0|[1-9]\d*))?(?:\.(0|[1-9]\d*))?$")
_COMPARATOR = re.compile(r"^(\^|~|>=|<=|>|<|=)?\s*(.+)$")


@total_ordering
@dataclass(frozen=True)
class SemVer:
    major: int
    minor: int
    patch: int
    prerelease: tuple[str, ...] = ()
    build: str = ""

    @classmethod
    def parse(cls, text: str) -> SemVer:
        match = _SEMVER.fullmatch(text)
        if match is None:
            raise ValueError(f"{text!r} is not a valid SemVer version (expected MAJOR.MINOR.PATCH)")
        major, minor, patch, pre, build = match.groups()
        return cls(
            int(major), int(minor), int(patch), tuple(pre.split(".")) if pre else (), build or ""
        )

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            text += "-" + ".".join(self.prerelease)
        if self.build:
            text += "+" + self.build
        return text

    def _key(self) -> tuple[int, int, int, int, tuple[tuple[int, int | str], ...]]:
        # A release sorts after its prereleases; numeric identifiers sort before alphanumeric.
        pre = tuple((0, int(p)) if p.isdigit() else (1, p) for p in self.prerelease)
        return (self.major, self.minor, self.patch, 0 if self.prerelease else 1, pre)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, SemVer):
            return NotImplemented
        return self._key() < other._key()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SemVer):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())


@dataclass(frozen=True)
class _Bound:
    op: str
    version: SemVer

    def admits(self, version: SemVer) -> bool:
        ops = {
            ">=": version >= self.version,
            ">": version > self.version,
            "<=": version <= self.version,
            "<": version < self.version,
            "=": version == self.version,
        }
        return ops[self.op]


def _lower_partial(text: str) -> tuple[SemVer, int]:
    match = _PARTIAL.fullmatch(text)
    if match is None:
        return SemVer.parse(text), 3
    parts = [p for p in match.groups() if p is not None]
    numbers = [int(p) for p in parts] + [0] * (3 - len(parts))
    return SemVer(numbers[0], numbers[1], numbers[2]), len(parts)


def _caret_upper(low: SemVer, given: int) -> SemVer:
    if low.major > 0 or given == 1:
        return SemVer(low.major + 1, 0, 0, ("0",))
    if low.minor > 0 or given == 2:
        return SemVer(0, low.minor + 1, 0, ("0",))
    return SemVer(0, 0, low.patch + 1, ("0",))


def _tilde_upper(low: SemVer, given: int) -> SemVer:
    if given == 1:
        return SemVer(low.major + 1, 0, 0, ("0",))
    return SemVer(low.major, low.minor + 1, 0, ("0",))


@dataclass(frozen=True)
class VersionReq:
    """A comma-separated intersection of comparators, Cargo semantics for ``^`` and ``~``.

    Prerelease versions are admitted only by a comparator that names the same
    MAJOR.MINOR.PATCH with a prerelease (Cargo's rule), so ``^1.0`` never picks ``2.0.0-rc.1``.
    """

    text: str
    bounds: tuple[_Bound, ...]

    @classmethod
    def parse(cls, text: str) -> VersionReq:
        bounds: list[_Bound] = []
        parts = [p.strip() for p in text.split(",")]
        if not text.strip() or any(not p for p in parts):
            raise ValueError(f"{text!r} is not a valid version requirement")
        for part in parts:
            match = _COMPARATOR.fullmatch(part)
            if match is None:
                raise ValueError(f"{text!r} is not a valid version requirement")
            op, rest = match.group(1) or "^", match.group(2).strip()
            try:
                low, given = _lower_partial(rest)
            except ValueError:
                raise ValueError(f"{text!r} is not a valid version requirement") from None
            if op == "^":
                bounds += [_Bound(">=", low), _Bound("<", _caret_upper(low, given))]
            elif op == "~":
                bounds += [_Bound(">=", low), _Bound("<", _tilde_upper(low, given))]
            elif op == "=" and given < 3:
                bounds += [_Bound(">=", low), _Bound("<", _caret_upper(low, given))]
            else:
                bounds.append(_Bound(op, low))
        return cls(text, tuple(bounds))

    def matches(self, version: SemVer) -> bool:
        if version.prerelease and not any(
            b.version.prerelease
            and (b.version.major, b.version.minor, b.version.patch)
            == (version.major, version.minor, version.patch)
            for b in self.bounds
        ):
            return False
        return all(bound.admits(version) for bound in self.bounds)

    def __str__(self) -> str:
        return self.text

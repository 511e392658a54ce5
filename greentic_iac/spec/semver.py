"""SemVer 2.0.0 versions and version requirements with the Rust ``semver`` crate's meaning.

Descriptors pin a version and handlers declare the range they implement; a pin outside
the range is *version skew*, reported by ``env doctor`` rather than found at deploy time.

The seed documents write ranges the way Cargo does (``^0.1``, ``=1.2``, ``>1.2``, ``1.*``),
so a requirement means exactly what the ``semver`` crate (dtolnay/semver, the one Cargo
uses) documents for ``VersionReq``:

- ``*`` (or ``x``/``X``) alone, or comma-separated comparators that must all match;
  whitespace is allowed around operators and commas, not inside a version;
- a comparator is an operator and a partial version ``I``, ``I.J`` or ``I.J.K[-pre][+build]``
  (build metadata is accepted and ignored); no operator means ``^``; ``I.*``/``I.J.*`` are
  wildcards;
- ``=I.J.K`` exactly; ``=I.J`` is ``>=I.J.0, <I.(J+1).0``; ``=I`` is ``>=I.0.0, <(I+1).0.0``;
  ``>I.J`` is ``>=I.(J+1).0``; ``<=I.J`` is ``<I.(J+1).0``; ``<I.J`` is ``<I.J.0``;
  ``~I.J.K`` is ``>=I.J.K, <I.(J+1).0``, ``~I.J`` is ``=I.J``, ``~I`` is ``=I``;
  ``^I.J.K`` (I>0) is ``>=I.J.K, <(I+1).0.0``, ``^0.J.K`` (J>0) is ``>=0.J.K, <0.(J+1).0``,
  ``^0.0.K`` is ``=0.0.K``, ``^I.J`` is ``^I.J.0`` unless both are 0, ``^0.0`` is ``=0.0``,
  ``^I`` is ``=I``; ``I.J.*`` is ``=I.J`` and ``I.*`` is ``=I``;
- a pre-release version matches only when every comparator matches it *and* one of them
  names the same ``I.J.K`` with a pre-release: ``^1.0`` never picks ``2.0.0-rc.1``, and
  ``*`` matches no pre-release at all.

Comparators are evaluated on the components they name (``<1.3`` refuses ``1.3.0-alpha``,
which a plain ``< 1.3.0`` would admit), which is why they are not reduced to bounds.
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
_NUMBER = re.compile(r"[0-9]+")
# Pre-release / build identifiers: dot-separated, each non-empty, [0-9A-Za-z-].
_IDENTIFIERS = re.compile(r"[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*")
_WILDCARDS = frozenset("*xX")
_OPERATORS = (">=", "<=", "=", ">", "<", "~", "^")
MAX_COMPARATORS = 32


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


PrereleaseKey = tuple[int, tuple[tuple[int, int | str], ...]]


def prerelease_key(prerelease: tuple[str, ...]) -> PrereleaseKey:
    """Precedence of a pre-release: a release (none) above every pre-release; identifiers
    compared in turn, numeric ones numerically and below alphanumeric ones, which compare
    in ASCII order; a longer list above its own prefix."""
    if not prerelease:
        return (1, ())
    return (0, tuple((0, int(p)) if p.isdigit() else (1, p) for p in prerelease))


@dataclass(frozen=True)
class Comparator:
    """One operator and partial version: ``minor``/``patch`` are None where not written."""

    op: str  # "=", ">", ">=", "<", "<=", "~", "^" or "*" (a wildcard: I.* / I.J.*)
    major: int
    minor: int | None = None
    patch: int | None = None
    prerelease: tuple[str, ...] = ()

    def _given(self) -> tuple[int, ...]:
        return tuple(n for n in (self.major, self.minor, self.patch) if n is not None)

    def _same_prefix(self, version: SemVer) -> bool:
        """Equal on every component this comparator names, pre-release included."""
        given = self._given()
        return (version.major, version.minor, version.patch)[: len(given)] == given and (
            version.prerelease == self.prerelease
        )

    def _order(self, version: SemVer) -> int:
        """-1, 0 or 1: ``version`` below, level with or above this comparator, looking only
        at the components it names (pre-release only when all three are named)."""
        given = self._given()
        head = (version.major, version.minor, version.patch)[: len(given)]
        if head != given:
            return 1 if head > given else -1
        if len(given) < 3:
            return 0
        mine, theirs = prerelease_key(version.prerelease), prerelease_key(self.prerelease)
        return (mine > theirs) - (mine < theirs)

    def _tilde(self, version: SemVer) -> bool:
        fixed = self._given()[:2]  # major, and minor when written, must be equal
        if (version.major, version.minor)[: len(fixed)] != fixed:
            return False
        if self.patch is not None and version.patch != self.patch:
            return version.patch > self.patch
        return prerelease_key(version.prerelease) >= prerelease_key(self.prerelease)

    def _caret(self, version: SemVer) -> bool:
        if version.major != self.major:
            return False
        if self.minor is None:
            return True
        if self.patch is None:
            return version.minor >= self.minor if self.major > 0 else version.minor == self.minor
        # Everything up to and including the first non-zero component is fixed.
        fixed = 1 if self.major > 0 else 2 if self.minor > 0 else 3
        mine = (version.major, version.minor, version.patch)
        given = (self.major, self.minor, self.patch)
        if mine[:fixed] != given[:fixed]:
            return False
        if mine != given:
            return mine > given
        return prerelease_key(version.prerelease) >= prerelease_key(self.prerelease)

    def admits(self, version: SemVer) -> bool:
        """This comparator alone, before the pre-release rule of ``VersionReq.matches``."""
        if self.op in ("=", "*"):
            return self._same_prefix(version)
        if self.op == "~":
            return self._tilde(version)
        if self.op == "^":
            return self._caret(version)
        order = self._order(version)
        inclusive = self.op.endswith("=") and self._same_prefix(version)
        return inclusive or (order > 0 if self.op.startswith(">") else order < 0)

    def allows_prerelease_of(self, version: SemVer) -> bool:
        """It names ``version``'s exact ``I.J.K`` with a pre-release of its own."""
        return bool(self.prerelease) and (self.major, self.minor, self.patch) == (
            version.major,
            version.minor,
            version.patch,
        )

    def __str__(self) -> str:
        parts = [str(n) for n in self._given()]
        if self.op == "*":
            return ".".join([*parts, "*"])
        text = ".".join(parts) + ("-" + ".".join(self.prerelease) if self.prerelease else "")
        return f"{self.op}{text}"


class _Reader:
    """A cursor over one requirement string, for the hand-written parser below."""

    def __init__(self, text: str, whole: str) -> None:
        self.text = text
        self.position = 0
        self.whole = whole

    def fail(self, reason: str) -> ValueError:
        return ValueError(f"{self.whole!r} is not a valid version requirement: {reason}")

    def rest(self) -> str:
        return self.text[self.position :]

    def skip_spaces(self) -> None:
        while self.rest()[:1] == " ":
            self.position += 1

    def take(self, prefix: str) -> bool:
        if self.rest().startswith(prefix):
            self.position += len(prefix)
            return True
        return False

    def take_wildcard(self) -> bool:
        if self.rest()[:1] and self.rest()[0] in _WILDCARDS:
            self.position += 1
            return True
        return False

    def number(self, part: str) -> int:
        found = _NUMBER.match(self.rest())
        if found is None:
            following = self.rest()[:1]
            raise self.fail(
                f"unexpected character {following!r} in the {part} version"
                if following
                else f"unexpected end of input in the {part} version"
            )
        digits = found.group()
        if len(digits) > 1 and digits[0] == "0":
            raise self.fail(f"leading zero in the {part} version")
        self.position += len(digits)
        return int(digits)

    def identifiers(self, what: str, *, numeric_leading_zero: bool) -> tuple[str, ...]:
        found = _IDENTIFIERS.match(self.rest())
        if found is None:
            raise self.fail(f"empty {what}")
        self.position += len(found.group())
        if self.rest()[:1] == ".":
            raise self.fail(f"empty identifier in the {what}")
        parts = tuple(found.group().split("."))
        if not numeric_leading_zero:
            for part in parts:
                if part.isdigit() and len(part) > 1 and part[0] == "0":
                    raise self.fail(f"leading zero in the {what} identifier {part!r}")
        return parts


def _comparator(reader: _Reader) -> Comparator:
    op = next((o for o in _OPERATORS if reader.take(o)), "")
    reader.skip_spaces()
    major = reader.number("major")
    minor = patch = None
    wildcard = False
    if reader.take("."):
        if reader.take_wildcard():
            wildcard = True
        else:
            minor = reader.number("minor")
        if reader.take("."):
            if reader.take_wildcard():
                wildcard = True
            elif wildcard:
                raise reader.fail("a number after a wildcard")
            else:
                patch = reader.number("patch")
    prerelease: tuple[str, ...] = ()
    if patch is not None and reader.take("-"):
        prerelease = reader.identifiers("pre-release", numeric_leading_zero=False)
    if patch is not None and reader.take("+"):
        reader.identifiers("build metadata", numeric_leading_zero=True)  # accepted, ignored
    reader.skip_spaces()
    if not op:
        op = "*" if wildcard else "^"
    return Comparator(op, major, minor, patch, prerelease)


def parse_comparators(text: str) -> tuple[Comparator, ...]:
    """The comparators of ``text`` (empty for ``*``); ``ValueError`` naming the problem."""
    reader = _Reader(text.strip(), text)
    if reader.take_wildcard():
        reader.skip_spaces()
        if not reader.rest():
            return ()
        raise reader.fail(
            "a wildcard (*) must be the only comparator"
            if reader.rest().startswith(",")
            else "unexpected characters after the wildcard"
        )
    comparators: list[Comparator] = []
    while True:
        comparators.append(_comparator(reader))
        if not reader.rest():
            return tuple(comparators)
        if not reader.take(","):
            raise reader.fail(f"expected a comma, found {reader.rest()[0]!r}")
        if len(comparators) == MAX_COMPARATORS:
            raise reader.fail(f"more than {MAX_COMPARATORS} comparators")
        reader.skip_spaces()
        if reader.rest()[:1] in _WILDCARDS and reader.rest()[1:].strip(" ")[:1] in ("", ","):
            raise reader.fail("a wildcard (*) must be the only comparator")


@dataclass(frozen=True)
class VersionReq:
    """A version requirement: the intersection of its comparators (see the module docstring)."""

    text: str
    comparators: tuple[Comparator, ...]

    @classmethod
    def parse(cls, text: str) -> VersionReq:
        if not text.strip():
            raise ValueError(f"{text!r} is not a valid version requirement: it is empty")
        return cls(text, parse_comparators(text))

    def matches(self, version: SemVer) -> bool:
        if not all(comparator.admits(version) for comparator in self.comparators):
            return False
        return not version.prerelease or any(
            comparator.allows_prerelease_of(version) for comparator in self.comparators
        )

    def canonical(self) -> str:
        """The requirement as the crate prints it (``1.2`` -> ``^1.2``, ``1.x`` -> ``1.*``)."""
        return ", ".join(str(c) for c in self.comparators) if self.comparators else "*"

    def __str__(self) -> str:
        return self.text

"""gitleaks' maintained rule set, read as data, for the leak scanner.

The scanner's own rules (``secret_rules``) know a dozen shapes; gitleaks' default config
knows over two hundred providers' tokens (GitLab, Stripe, SendGrid, Twilio, OpenAI, npm,
PyPI, Hugging Face, ...) and is kept current by its maintainers. We vendor that file
unchanged (``gitleaks/gitleaks.toml``, MIT, licence beside it) and apply it the way gitleaks
does: a rule runs only when one of its keywords occurs (case-insensitively), its secret is
the rule's ``secretGroup`` or else the first non-empty group, a rule's ``entropy`` is a
floor the secret must exceed, and the global and per-rule allowlists (regexes on the
secret, the match or the line; stopwords; paths; ``condition = "AND"``) drop findings.

The regexes are Go RE2. Python's ``re`` lacks three things the file uses, which are
translated: inline flags in the middle of a pattern (``(?i)`` becomes a scoped ``(?i:...)``
up to the end of its group, reopened after each ``|``), POSIX classes (``[[:alnum:]]``) and
``\\z``. Anything else ``re`` cannot take, or a rule with no regex (a file-name-only rule),
is skipped with a reason; ``RuleSet.skipped`` counts them and the tests pin the counts.

Two bounds keep untrusted input from stalling a scan: each rule runs only over windows
around its keywords' occurrences (``WINDOW_BEFORE`` / ``WINDOW_AFTER`` bytes), and the
patterns are byte patterns, so ``\\w`` and ``(?i)`` are ASCII as in RE2. gitleaks'
``gitleaks:allow`` comment is not honoured: a bundle must not be able to exempt itself.
"""

from __future__ import annotations

import math
import re
import time
import tomllib
import warnings
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Final

RULES_FILE: Final = Path(__file__).resolve().parent / "gitleaks" / "gitleaks.toml"
WINDOW_BEFORE: Final = 512
WINDOW_AFTER: Final = 8192
# Merged windows are searched in pieces of this size (overlapping by WINDOW_AFTER), so the
# scan's deadline is checked at least every piece: on hostile input (``key=`` a million
# times) one piece costs about a second.
PIECE: Final = 256 * 1024
# The lead-in of gitleaks' "<name><operator><value>" template (96 rules): up to 50 name
# characters before the keyword. See ``GitleaksRule.lead``.
TEMPLATE_LEAD: Final = r"(?i)[\w.-]{0,50}?"
TEMPLATE_LEAD_LENGTH: Final = 50
_NAME_BYTES: Final = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")

_POSIX_CLASSES: Final = {
    "alnum": "a-zA-Z0-9",
    "alpha": "a-zA-Z",
    "ascii": "\\x00-\\x7f",
    "blank": " \\t",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@\\[-`{-~",
    "space": " \\t\\n\\r\\f\\v",
    "upper": "A-Z",
    "word": "\\w",
    "xdigit": "0-9A-Fa-f",
}
_BARE_FLAGS = re.compile(r"\(\?([a-zA-Z-]+)\)")
_SCOPED_FLAGS = re.compile(r"\(\?([a-zA-Z-]*):")


class UnsupportedPatternError(ValueError):
    """A Go RE2 construct with no Python ``re`` translation."""


class DeadlineExceededError(TimeoutError):
    """The caller's deadline passed while the rules were running (the scan fails closed)."""


# -- RE2 -> Python re ----------------------------------------------------------------------


@dataclass
class _Translation:
    pattern: str
    out: list[str] = field(default_factory=list)
    # Per open group, the inline flags opened as scoped groups inside it.
    pending: list[list[str]] = field(default_factory=lambda: [[]])
    steps: set[str] = field(default_factory=set)


def _escape(translation: _Translation, index: int) -> int:
    pattern = translation.pattern
    following = pattern[index + 1 : index + 2]
    if following == "z":
        translation.out.append("\\Z")
        translation.steps.add("\\z")
    elif following in ("Q", "E"):
        raise UnsupportedPatternError("\\Q...\\E literal text")
    elif following in ("p", "P"):
        raise UnsupportedPatternError("Unicode class \\p")
    elif following == "C":
        raise UnsupportedPatternError("\\C (any byte)")
    else:
        translation.out.append(pattern[index : index + 2])
    return index + 2


def _character_class(translation: _Translation, index: int) -> int:
    """Copy ``[...]`` starting at ``index``; return the index after its ``]``."""
    pattern = translation.pattern
    out = translation.out
    out.append("[")
    index += 1
    if pattern[index : index + 1] == "^":
        out.append("^")
        index += 1
    first = True
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index = _escape(translation, index)
        elif char == "]" and not first:
            out.append("]")
            return index + 1
        elif char == "]":
            out.append("\\]")  # a leading ] is literal in RE2
            index += 1
        elif pattern.startswith("[:", index):
            end = pattern.find(":]", index + 2)
            name = pattern[index + 2 : end] if end != -1 else ""
            if name not in _POSIX_CLASSES:
                raise UnsupportedPatternError(f"POSIX class [:{name}:]")
            out.append(_POSIX_CLASSES[name])
            translation.steps.add("posix-class")
            index = end + 2
        elif char == "[":
            out.append("\\[")  # literal in RE2; Python would warn of a nested set
            index += 1
        elif char in "&~|" and pattern[index + 1 : index + 2] == char:
            out.append("\\" + char)  # set operations in a future Python, literal in RE2
            index += 1
        else:
            out.append(char)
            index += 1
        first = False
    raise UnsupportedPatternError("unterminated character class")


def _group_open(translation: _Translation, index: int) -> int:
    pattern = translation.pattern
    bare = _BARE_FLAGS.match(pattern, index)
    scoped = _SCOPED_FLAGS.match(pattern, index)
    found = bare or scoped
    flags = found.group(1) if found is not None else ""
    if "U" in flags:
        raise UnsupportedPatternError("ungreedy flag U")
    if bare is not None:
        if index == 0:
            translation.out.append(bare.group())  # leading global flags are fine in Python
        else:
            # RE2 applies mid-pattern flags to the rest of the enclosing group; Python
            # only takes them scoped.
            translation.out.append(f"(?{flags}:")
            translation.pending[-1].append(flags)
            translation.steps.add("inline-flags")
        return bare.end()
    translation.out.append("(")
    translation.pending.append([])
    return index + 1


def translate_re2(pattern: str) -> tuple[str, frozenset[str]]:
    """``pattern`` (Go RE2) as a Python ``re`` pattern, with the translations applied.

    Raises ``UnsupportedPatternError`` for a construct without a translation.
    """
    translation = _Translation(pattern)
    out = translation.out
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index = _escape(translation, index)
        elif char == "[":
            index = _character_class(translation, index)
        elif char == "(":
            index = _group_open(translation, index)
        elif char == ")":
            if len(translation.pending) == 1:
                raise UnsupportedPatternError("unbalanced )")
            out.append(")" * len(translation.pending.pop()) + ")")
            index += 1
        elif char == "|":
            flags = translation.pending[-1]
            out.append(")" * len(flags) + "|" + "".join(f"(?{f}:" for f in flags))
            index += 1
        else:
            out.append(char)
            index += 1
    if len(translation.pending) != 1:
        raise UnsupportedPatternError("unbalanced (")
    out.append(")" * len(translation.pending[0]))
    return "".join(out), frozenset(translation.steps)


def compile_re2(pattern: str) -> tuple[re.Pattern[bytes], frozenset[str]]:
    """Translate and compile ``pattern`` as a byte pattern (ASCII semantics, as RE2's)."""
    translated, steps = translate_re2(pattern)
    if not translated.isascii():
        raise UnsupportedPatternError("non-ASCII pattern")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            return re.compile(translated.encode("ascii")), steps
        except (re.error, FutureWarning, DeprecationWarning) as error:
            raise UnsupportedPatternError(f"python re: {error}") from error


# -- the rule set --------------------------------------------------------------------------


@dataclass(frozen=True)
class Allowlist:
    """One gitleaks allowlist: what it matches lets a finding (or a file) through."""

    regexes: tuple[re.Pattern[bytes], ...] = ()
    stopwords: tuple[bytes, ...] = ()
    paths: tuple[re.Pattern[str], ...] = ()
    target: str = "secret"  # what ``regexes`` look at: "secret", "match" or "line"
    all_of: bool = False  # condition = "AND"

    def skips_path(self, path: str) -> bool:
        """The whole file is allowed for the rule (checked before matching, as gitleaks)."""
        path_allowed = bool(path) and any(p.search(path) for p in self.paths)
        if self.all_of:
            return bool(self.paths) and path_allowed and not self.regexes and not self.stopwords
        return path_allowed

    def allows(self, secret: bytes, match: bytes, line: bytes, path: str) -> bool:
        target = {"match": match, "line": line}.get(self.target, secret)
        regex_allowed = any(p.search(target) for p in self.regexes)
        lowered = secret.lower()
        stopword = any(word in lowered for word in self.stopwords)
        if not self.all_of:
            return regex_allowed or stopword
        checks = []
        if self.paths:
            checks.append(bool(path) and any(p.search(path) for p in self.paths))
        if self.regexes:
            checks.append(regex_allowed)
        if self.stopwords:
            checks.append(stopword)
        return all(checks)


@dataclass(frozen=True)
class GitleaksRule:
    """One loaded rule.

    For a template rule (``lead`` > 0) ``pattern`` is the regex without its lazy
    ``[\\w.-]{0,50}?`` lead-in: tried at every byte, that lead-in costs 50 attempts per
    position (two thirds of all scanning time). Matching the rest and walking back over up
    to ``lead`` name bytes gives the same leftmost match: the leftmost place the rest
    matches is where every longer attempt from further left would arrive first.
    """

    id: str
    pattern: re.Pattern[bytes]
    keywords: tuple[bytes, ...]
    entropy: float | None
    secret_group: int
    path: re.Pattern[str] | None
    allowlists: tuple[Allowlist, ...]
    translations: frozenset[str] = frozenset()
    lead: int = 0


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[GitleaksRule, ...]
    allowlist: Allowlist
    # rule id -> why it was not loaded
    skipped: dict[str, str]

    def skip_reasons(self) -> Counter[str]:
        """How many rules were skipped for each reason (the reason up to its first colon)."""
        return Counter(reason.split(":", 1)[0] for reason in self.skipped.values())

    def translated(self) -> Counter[str]:
        """How many loaded rules needed each translation."""
        return Counter(step for rule in self.rules for step in rule.translations)


def _allowlist(raw: dict[str, Any]) -> Allowlist:
    regexes = tuple(compile_re2(text)[0] for text in raw.get("regexes", ()))
    paths = tuple(
        re.compile(translate_re2(text)[0]) for text in raw.get("paths", ())
    )  # paths are text, matched against the file name
    return Allowlist(
        regexes=regexes,
        stopwords=tuple(word.lower().encode() for word in raw.get("stopwords", ())),
        paths=paths,
        target=str(raw.get("regexTarget", "secret")),
        all_of=str(raw.get("condition", "OR")).upper() == "AND",
    )


def _rule(raw: dict[str, Any], *, strip_lead: bool = True) -> GitleaksRule:
    if "regex" not in raw:
        raise UnsupportedPatternError("no regex: a file-name-only rule")
    regex = str(raw["regex"])
    lead = 0
    if strip_lead and regex.startswith(TEMPLATE_LEAD):
        regex, lead = "(?i)" + regex[len(TEMPLATE_LEAD) :], TEMPLATE_LEAD_LENGTH
    pattern, steps = compile_re2(regex)
    path = re.compile(translate_re2(str(raw["path"]))[0]) if raw.get("path") else None
    entropy = raw.get("entropy")
    return GitleaksRule(
        id=str(raw["id"]),
        pattern=pattern,
        keywords=tuple(str(word).lower().encode() for word in raw.get("keywords", ())),
        entropy=float(entropy) if entropy else None,
        secret_group=int(raw.get("secretGroup", 0)),
        path=path,
        allowlists=tuple(_allowlist(item) for item in raw.get("allowlists", ())),
        translations=steps,
        lead=lead,
    )


def load_rules(text: str, *, strip_lead: bool = True) -> RuleSet:
    """The rule set of a gitleaks config's text (rules that can't load are in ``skipped``).

    ``strip_lead=False`` keeps template rules' lead-in in the regex (slow; the tests use it
    to check that stripping it changes no finding).
    """
    document = tomllib.loads(text)
    rules: list[GitleaksRule] = []
    skipped: dict[str, str] = {}
    for raw in document.get("rules", ()):
        try:
            rules.append(_rule(raw, strip_lead=strip_lead))
        except (UnsupportedPatternError, re.error) as error:
            skipped[str(raw.get("id"))] = str(error)
    return RuleSet(tuple(rules), _allowlist(document.get("allowlist", {})), skipped)


@cache
def default_rules() -> RuleSet:
    """The vendored rule set, loaded once per process."""
    return load_rules(RULES_FILE.read_text(encoding="utf-8"))


# -- matching ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleHit:
    rule: str
    start: int  # the secret's span in the buffer
    end: int
    secret: bytes


def entropy_of(value: bytes) -> float:
    """Shannon entropy in bits per byte, as gitleaks computes it for ``entropy`` floors."""
    if not value:
        return 0.0
    total = len(value)
    return -sum(n / total * math.log2(n / total) for n in Counter(value).values())


class KeywordIndex:
    """Where each keyword occurs in one buffer, looked up once however many rules share it."""

    def __init__(self, lowered: bytes) -> None:
        self.lowered = lowered
        self._positions: dict[bytes, list[int]] = {}

    def positions(self, keyword: bytes) -> list[int]:
        found = self._positions.get(keyword)
        if found is None:
            found = []
            position = self.lowered.find(keyword)
            while position != -1:
                found.append(position)
                # Occurrences closer than this share a window anyway.
                position = self.lowered.find(keyword, position + WINDOW_AFTER // 2)
            self._positions[keyword] = found
        return found

    def windows(self, keywords: tuple[bytes, ...]) -> list[tuple[int, int]]:
        """Merged spans around every occurrence of any keyword (empty: the rule can't
        match here)."""
        size = len(self.lowered)
        spans = sorted(
            (max(0, position - WINDOW_BEFORE), min(size, position + len(keyword) + WINDOW_AFTER))
            for keyword in keywords
            for position in self.positions(keyword)
        )
        merged: list[tuple[int, int]] = []
        for start, end in spans:
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        return merged


def _secret_span(rule: GitleaksRule, match: re.Match[bytes]) -> tuple[int, int]:
    if rule.secret_group and rule.secret_group <= len(match.groups()):
        return match.span(rule.secret_group)
    for group in range(1, len(match.groups()) + 1):
        if match.group(group):
            return match.span(group)
    start, end = match.span()
    text = match.group()
    # gitleaks trims newlines off a whole-match secret
    return start + (len(text) - len(text.lstrip(b"\n"))), end - (
        len(text) - len(text.rstrip(b"\n"))
    )


def _line_of(data: bytes, start: int, end: int) -> bytes:
    first = data.rfind(b"\n", 0, start) + 1
    last = data.find(b"\n", end)
    return data[first : last if last != -1 else len(data)]


def _pieces(spans: list[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    """``spans`` cut into pieces of at most ``PIECE`` bytes, each overlapping the next by
    ``WINDOW_AFTER`` so a match across a cut is still seen whole."""
    for span_start, end in spans:
        start = span_start
        while end - start > PIECE + WINDOW_AFTER:
            yield start, start + PIECE + WINDOW_AFTER
            start += PIECE
        yield start, end


def rule_hits(
    data: bytes,
    lowered: bytes,
    path: str = "",
    rules: RuleSet | None = None,
    *,
    deadline: float | None = None,
) -> Iterator[RuleHit]:
    """Every finding of the gitleaks rules in ``data`` (``lowered`` is ``data.lower()``);
    ``path`` is the file's name for the path allowlists (empty for decoded blobs).

    ``deadline`` (a ``time.monotonic()`` value) is checked before every rule and piece;
    past it, ``DeadlineExceededError`` is raised.
    """
    ruleset = rules if rules is not None else default_rules()
    if ruleset.allowlist.skips_path(path):
        return
    index = KeywordIndex(lowered)
    for rule in ruleset.rules:
        if rule.path is not None and not rule.path.search(path):
            continue
        if any(allowlist.skips_path(path) for allowlist in rule.allowlists):
            continue
        spans = index.windows(rule.keywords) if rule.keywords else [(0, len(data))]
        claimed = 0  # matches don't overlap, as in one pass over the whole buffer
        for piece_start, piece_end in _pieces(spans):
            if deadline is not None and time.monotonic() > deadline:
                raise DeadlineExceededError(f"gitleaks rule {rule.id}")
            for match in rule.pattern.finditer(data, max(piece_start, claimed), piece_end):
                claimed = match.end()
                hit = _hit(rule, ruleset, match, data=data, path=path, window_start=piece_start)
                if hit is not None:
                    yield hit


def _lead_start(data: bytes, start: int, lead: int, floor: int) -> int:
    """Where a template rule's match begins: up to ``lead`` name bytes before ``start``."""
    limit = max(floor, start - lead)
    while start > limit and data[start - 1] in _NAME_BYTES:
        start -= 1
    return start


def _hit(
    rule: GitleaksRule,
    ruleset: RuleSet,
    match: re.Match[bytes],
    *,
    data: bytes,
    path: str,
    window_start: int,
) -> RuleHit | None:
    start, end = _secret_span(rule, match)
    secret = data[start:end]
    if not secret:
        return None
    if rule.entropy is not None and entropy_of(secret) <= rule.entropy:
        return None
    match_start = _lead_start(data, match.start(), rule.lead, window_start)
    whole = data[match_start : match.end()]
    line = _line_of(data, match_start, match.end())
    allowlists = (ruleset.allowlist, *rule.allowlists)
    if any(allowlist.allows(secret, whole, line, path) for allowlist in allowlists):
        return None
    return RuleHit(rule.id, start, end, secret)

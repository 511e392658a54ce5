"""The secret shapes the leak scanner looks for, as byte patterns and file-name rules.

Two layers. Our own patterns come first and claim their spans: the shapes this project
must never miss, tuned to run over raw bytes (archives, minified JS, binary blobs) with
bounded cost (AWS keys, PEM private keys, GitHub and Slack tokens, URL credentials, secret
assignments, Azure storage connection strings, Docker registry ``auths``, ``.env`` and the
seed's dev-secret and setup-answer files). Then gitleaks' maintained rule set, vendored as
data (``greentic_iac.bundles.gitleaks_rules``), adds every provider token it knows (GitLab,
Stripe, SendGrid, Twilio, OpenAI, npm, PyPI, Hugging Face, ...), reported under the gitleaks
rule id. Every match yields a file and line without the value. ``docs/bundles.md`` lists
every rule.
"""

from __future__ import annotations

import binascii
import bisect
import fnmatch
import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

# -- kinds (stable strings, used in reports and tests) -----------------------------------

AWS_ACCESS_KEY_ID = "aws-access-key-id"
AWS_SECRET_ACCESS_KEY = "aws-secret-access-key"  # noqa: S105 - a kind name, not a secret
PRIVATE_KEY = "private-key"
GITHUB_TOKEN = "github-token"  # noqa: S105 - a kind name, not a secret
SLACK_TOKEN = "slack-token"  # noqa: S105 - a kind name, not a secret
SLACK_WEBHOOK = "slack-webhook"
URL_CREDENTIALS = "url-credentials"
GENERIC_SECRET = "generic-secret"  # noqa: S105 - a kind name, not a secret
DOTENV_FILE = "dotenv-file"
DEV_SECRETS_FILE = "dev-secrets-file"
SETUP_ANSWER = "setup-answer-plaintext"
AZURE_STORAGE_KEY = "azure-storage-account-key"
DOCKER_AUTH = "docker-config-auth"

ALL_KINDS = (
    AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY,
    PRIVATE_KEY,
    GITHUB_TOKEN,
    SLACK_TOKEN,
    SLACK_WEBHOOK,
    URL_CREDENTIALS,
    GENERIC_SECRET,
    DOTENV_FILE,
    DEV_SECRETS_FILE,
    SETUP_ANSWER,
    AZURE_STORAGE_KEY,
    DOCKER_AUTH,
)

# -- content patterns ----------------------------------------------------------------------

# Patterns start with a literal and check the byte before the match in Python: a leading
# look-behind would make the regex engine try every position (10x slower on big files).
_AWS_KEY_ID = re.compile(rb"(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])")
# matched against the lower-cased buffer (same offsets); values are read from the original
_AWS_SECRET_ASSIGNED = re.compile(
    rb"secret[_\-.]?(?:access[_\-.]?)?key[\"']?[ \t]{0,5}(?:=|:|=>)[ \t]{0,5}[\"']?"
    rb"([a-z0-9/+]{40})(?![a-z0-9/+=])"
)
_FORTY = re.compile(rb"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
_AWS_PAIR_WINDOW = 1024
_PEM = re.compile(rb"-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----")
_PUTTY = re.compile(rb"PuTTY-User-Key-File-[0-9]+: ")
_GITHUB = re.compile(
    rb"(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{50,255})(?![A-Za-z0-9_])"
)
_SLACK = re.compile(rb"(?:xox[baprs]-[A-Za-z0-9-]{10,250}|xapp-[0-9]-[A-Za-z0-9-]{10,250})")
_SLACK_HOOK = re.compile(
    rb"https://hooks\.slack\.com/services/T[A-Za-z0-9_]{6,}/B[A-Za-z0-9_]{6,}/[A-Za-z0-9_]{16,}"
)
# An Azure storage connection string's key: 64 random bytes, base64 (88 characters).
_AZURE_ACCOUNT_KEY = re.compile(rb"AccountKey=([A-Za-z0-9+/]{86}==)")
# A Docker config's registry credentials: "auth": "<base64 of user:password>"; matched
# against the lower-cased buffer (same offsets), the value read from the original.
_DOCKER_AUTH = re.compile(rb"\"auth\"[ \t]*:[ \t]*\"([a-z0-9+/]{8,}={0,2})\"")
_URL_CREDENTIALS = re.compile(rb"://[^\s/:@\"'<>]{1,100}:([^\s/@\"'<>]{3,200})@[A-Za-z0-9.\-\[]")
_SECRET_WORDS = (
    rb"(?:password|passwd|passphrase|secret|token|api[_\-]?key|access[_\-]?key"
    rb"|private[_\-]?key|client[_\-]?secret|credentials?)"
)
# matched against the lower-cased buffer (same offsets); values are read from the original
_ASSIGNMENT = re.compile(
    _SECRET_WORDS + rb"[\"']?[ \t]{0,5}(?:=|:=|:|=>)[ \t]{0,5}"
    rb"(?:([\"'`])([^\"'`\r\n]{0,512}?)\1"
    # an unquoted value must end its line or its item: prose ("credentials: none found")
    # is not an assignment
    rb"|([^\s\"'`,;(){}\[\]<>]{1,512})(?=[ \t]*(?:[\r\n,;)}\]#]|\Z)))"
)
_DOTENV_LINE = re.compile(
    rb"(?m)^[ \t]*(?:export[ \t]+)?[A-Za-z_][A-Za-z0-9_.\-]*[ \t]*=[ \t]*([^\r\n]*?)[ \t]*\r?$"
)
_BASE64 = re.compile(rb"[A-Za-z0-9+/_\-]{24,}={0,2}")
_HEX_ONLY = re.compile(rb"^(?:[0-9a-f]+|[0-9A-F]+)$")

# -- value filters (keep false positives low on normal code and JSON) --------------------

_REFERENCE_PREFIXES = (
    "secret://",
    "secrets://",
    "ref:",
    "ref+",
    "env:",
    "vault:",
    "arn:",
    "aws-sm:",
    "ssm:",
    "sm://",
    "op://",
    "file:",
    "sha256:",
    "sha512:",
    "http://",
    "https://",
    "/",
    "./",
    "../",
)
_PLACEHOLDER_PARTS = (
    "${",
    "{",
    "}",
    "%(",
    "$(",
    "<",
    ">",
    "****",
    "xxxx",
    "example",
    "placeholder",
    "changeme",
    "change-me",
    "redacted",
    "dummy",
)
_LITERALS = {"", "true", "false", "null", "none", "nil", "undefined", "yes", "no"}
_ULID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
_WORDS = re.compile(r"^[a-z]+(?:[_\-. ][a-z]+)*$")
_ENV_NAME = re.compile(r"^\$?[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$")
_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+$")
# The AWS documentation's example credentials appear in docs on purpose.
_AWS_DOC_EXAMPLES = (b"EXAMPLE", b"EXAMPLEKEY")

MIN_GENERIC_LENGTH = 8
ENTROPY_ANY = 4.0
ENTROPY_MIXED = 3.0


def shannon_entropy(value: str) -> float:
    """Bits per character of ``value``."""
    if not value:
        return 0.0
    counts = Counter(value)
    total = len(value)
    return -sum(count / total * math.log2(count / total) for count in counts.values())


def is_reference_or_placeholder(value: str) -> bool:
    """Whether a value names a secret elsewhere or is an obvious placeholder."""
    lowered = value.strip().lower()
    if lowered in _LITERALS:
        return True
    if lowered.startswith(_REFERENCE_PREFIXES):
        return True
    if any(part in lowered for part in _PLACEHOLDER_PARTS):
        return True
    return len(set(lowered)) == 1


def looks_like_secret(value: str, *, quoted: bool) -> bool:
    """Whether a value assigned to a secret-named key looks like a real secret."""
    if len(value) < MIN_GENERIC_LENGTH or is_reference_or_placeholder(value):
        return False
    if _ULID.match(value) or _WORDS.match(value) or _ENV_NAME.match(value):
        return False
    if not quoted and _DOTTED.match(value):
        return False
    if any(char.isspace() for char in value):
        return False  # code or prose between quotes, not a token
    entropy = shannon_entropy(value)
    if entropy >= ENTROPY_ANY:
        return True
    has_letter = any(char.isalpha() for char in value)
    has_other = any(char.isdigit() or not char.isalnum() for char in value)
    return entropy >= ENTROPY_MIXED and has_letter and has_other


@dataclass(frozen=True)
class Hit:
    """A secret shape at byte ``offset`` with the matched value (kept in memory only)."""

    offset: int
    kind: str
    value: bytes
    span: tuple[int, int]


def _aws_secret_candidate(value: bytes) -> bool:
    if _HEX_ONLY.match(value) or value.endswith(_AWS_DOC_EXAMPLES):
        return False
    has_upper = any(0x41 <= byte <= 0x5A for byte in value)
    has_lower = any(0x61 <= byte <= 0x7A for byte in value)
    has_other = any(byte < 0x41 for byte in value)
    return has_upper and has_lower and has_other


_ALNUM = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_UPPER_DIGIT = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_WORD = _ALNUM | {ord("_")}
_NO_BOUNDARY: frozenset[int] = frozenset()

_SIMPLE_PATTERNS: tuple[tuple[re.Pattern[bytes], str, int, frozenset[int]], ...] = (
    # (pattern, kind, bytes after the match that go into the fingerprint,
    #  bytes that must not precede the match)
    (_PEM, PRIVATE_KEY, 256, _NO_BOUNDARY),
    (_PUTTY, PRIVATE_KEY, 256, _NO_BOUNDARY),
    (_GITHUB, GITHUB_TOKEN, 0, _WORD),
    (_SLACK, SLACK_TOKEN, 0, _ALNUM),
    (_SLACK_HOOK, SLACK_WEBHOOK, 0, _NO_BOUNDARY),
)
_URL_PLACEHOLDERS = {"pass", "password", "passwd", "pwd", "pw", "secret", "token"}


def _preceded_by(data: bytes, start: int, forbidden: frozenset[int]) -> bool:
    return start > 0 and data[start - 1] in forbidden


class _Collector:
    """Hits without overlaps: the first (most specific) rule to claim a span keeps it.

    The claimed spans are disjoint, so kept sorted they are sorted by end too, and a new
    span can only overlap its two neighbours: a bisect instead of a scan of every span (a
    file of 40 000 PEM headers took minutes with the scan).
    """

    def __init__(self) -> None:
        self.hits: list[Hit] = []
        self._starts: list[int] = []
        self._ends: list[int] = []

    def add(self, kind: str, start: int, end: int, value: bytes) -> None:
        index = bisect.bisect_left(self._starts, start)
        if index > 0 and self._ends[index - 1] > start:
            return
        if index < len(self._starts) and self._starts[index] < end:
            return
        self._starts.insert(index, start)
        self._ends.insert(index, end)
        self.hits.append(Hit(start, kind, value, (start, end)))


def _docker_auth(value: bytes) -> bool:
    """A registry ``auth`` value: base64 of ``user:password``, both non-empty."""
    try:
        decoded = binascii.a2b_base64(value, strict_mode=True)
    except (binascii.Error, ValueError):
        return False
    user, colon, password = decoded.partition(b":")
    return bool(colon and user and password) and is_mostly_text(decoded)


def _own_shape_hits(data: bytes, lowered: bytes, found: _Collector) -> None:
    for match in _AZURE_ACCOUNT_KEY.finditer(data):
        found.add(AZURE_STORAGE_KEY, match.start(1), match.end(1), match.group(1))
    for match in _DOCKER_AUTH.finditer(lowered):
        value = data[match.start(1) : match.end(1)]
        if _docker_auth(value):
            found.add(DOCKER_AUTH, match.start(1), match.end(1), value)


def content_hits(data: bytes, path: str = "", *, deadline: float | None = None) -> list[Hit]:
    """Every secret shape in ``data`` (raw bytes; works on text, minified JS, binaries).

    ``path`` (the file's name, when there is one) feeds the path allowlists of the gitleaks
    rules; our own rules look at content only. Past ``deadline`` (``time.monotonic()``)
    the gitleaks rules raise ``DeadlineExceededError``.
    """
    from greentic_iac.bundles.gitleaks_rules import rule_hits

    found = _Collector()
    lowered = data.lower()
    _own_shape_hits(data, lowered, found)
    for pattern, kind, context, boundary in _SIMPLE_PATTERNS:
        for match in pattern.finditer(data):
            if not _preceded_by(data, match.start(), boundary):
                end = match.end()
                found.add(kind, match.start(), end, data[match.start() : end + context])
    _aws_hits(data, lowered, found)
    for match in _URL_CREDENTIALS.finditer(data):
        password = match.group(1).decode("utf-8", "replace")
        if password.lower() not in _URL_PLACEHOLDERS and not is_reference_or_placeholder(password):
            found.add(URL_CREDENTIALS, match.start(1), match.end(1), match.group(1))
    for start, end, value, quoted in _assignments(data, lowered):
        if looks_like_secret(value.decode("utf-8", "replace"), quoted=quoted):
            found.add(GENERIC_SECRET, start, end, value)
    for hit in rule_hits(data, lowered, path, deadline=deadline):
        found.add(hit.rule, hit.start, hit.end, hit.secret)
    return sorted(found.hits, key=lambda hit: hit.offset)


def _aws_hits(data: bytes, lowered: bytes, found: _Collector) -> None:
    for match in _AWS_KEY_ID.finditer(data):
        value = match.group()
        if value.endswith(_AWS_DOC_EXAMPLES) or _preceded_by(data, match.start(), _UPPER_DIGIT):
            continue
        found.add(AWS_ACCESS_KEY_ID, match.start(), match.end(), value)
        low = max(0, match.start() - _AWS_PAIR_WINDOW)
        window = data[low : match.end() + _AWS_PAIR_WINDOW]
        for near in _FORTY.finditer(window):
            if _aws_secret_candidate(near.group()):
                found.add(AWS_SECRET_ACCESS_KEY, low + near.start(), low + near.end(), near.group())
    for match in _AWS_SECRET_ASSIGNED.finditer(lowered):
        value = data[match.start(1) : match.end(1)]
        if _aws_secret_candidate(value):
            found.add(AWS_SECRET_ACCESS_KEY, match.start(1), match.end(1), value)


_COLON = ord(":")


def _assignments(data: bytes, lowered: bytes) -> Iterator[tuple[int, int, bytes, bool]]:
    """(start, end, value, quoted) of every ``<secret-word> = value`` assignment."""
    for match in _ASSIGNMENT.finditer(lowered):
        if match.start() and data[match.start() - 1] == _COLON:
            continue  # an ARN segment (":secret:name"), not a key
        group = 2 if match.group(2) is not None else 3
        value = data[match.start(group) : match.end(group)]
        yield match.start(), match.end(), value, group == 2


def answer_hits(data: bytes) -> list[Hit]:
    """Plaintext values under secret-named keys in a setup-answers file (no entropy bar:
    an answers file should hold references, so any literal secret value is a leak)."""
    hits = []
    for start, end, value, _quoted in _assignments(data, data.lower()):
        text = value.decode("utf-8", "replace").strip()
        if text and not is_reference_or_placeholder(text):
            hits.append(Hit(start, SETUP_ANSWER, value, (start, end)))
    return hits


def dotenv_hits(data: bytes) -> list[Hit]:
    """Every non-empty assignment in a ``.env`` file."""
    hits = []
    for match in _DOTENV_LINE.finditer(data):
        value = match.group(1).strip(b"\"'")
        if value and not is_reference_or_placeholder(value.decode("utf-8", "replace")):
            hits.append(Hit(match.start(), DOTENV_FILE, value, (match.start(), match.end())))
    return hits


def base64_blobs(data: bytes, min_decoded: int = 12) -> Iterator[tuple[int, bytes]]:
    """(offset, decoded bytes) of every plausible base64 or base64url blob in ``data``."""
    for match in _BASE64.finditer(data):
        blob = match.group()
        stripped = blob.rstrip(b"=")
        if _HEX_ONLY.match(stripped):
            continue  # digests and hex ids, not base64
        if b"-" in stripped or b"_" in stripped:
            if b"+" in stripped or b"/" in stripped:
                continue
            stripped = stripped.replace(b"-", b"+").replace(b"_", b"/")
        padded = stripped + b"=" * (-len(stripped) % 4)
        try:
            decoded = binascii.a2b_base64(padded, strict_mode=True)
        except (binascii.Error, ValueError):
            continue
        if len(decoded) >= min_decoded:
            yield match.start(), decoded


_PRINTABLE = bytes([9, 10, 13, *range(0x20, 0x7F)])


def is_mostly_text(data: bytes) -> bool:
    """Whether decoded bytes are worth scanning as text (at least 85 % printable)."""
    if not data:
        return False
    unprintable = len(data.translate(None, _PRINTABLE))
    return unprintable <= 0.15 * len(data)


# -- file-name rules -----------------------------------------------------------------------

_DOTENV_SAFE_SUFFIXES = {"example", "sample", "template", "dist", "defaults"}
DEV_SECRET_NAME_PATTERNS = (
    "secrets.dev",
    "secrets.dev.*",
    "*.secrets.dev.*",
    "dev-secrets",
    "dev-secrets.*",
    "dev_secrets",
    "dev_secrets.*",
    ".dev-secrets*",
    "dev.secrets",
    "dev.secrets.*",
)
ANSWERS_NAME_PATTERNS = ("*answers*.json", "*answers*.yaml", "*answers*.yml")


def is_dotenv_name(name: str) -> bool:
    """``.env``, ``.env.<anything>`` (except example/sample/template/dist/defaults),
    and ``<name>.env``."""
    base = PurePosixPath(name).name.lower()
    if base == ".env" or (base.endswith(".env") and len(base) > 4):
        return True
    if base.startswith(".env."):
        return base.rsplit(".", 1)[-1] not in _DOTENV_SAFE_SUFFIXES
    return False


def is_dev_secrets_name(name: str) -> bool:
    """The seed's dev secret files (P0.1): ``secrets.dev.*``, ``dev-secrets*`` and
    friends, and anything with ``secret`` in its name under a ``.greentic/`` folder."""
    parts = [part.lower() for part in PurePosixPath(name).parts]
    if not parts:
        return False
    if any(fnmatch.fnmatchcase(parts[-1], pattern) for pattern in DEV_SECRET_NAME_PATTERNS):
        return True
    if ".greentic" in parts:
        after = parts[parts.index(".greentic") + 1 :]
        return any("secret" in part for part in after)
    return False


def is_answers_name(name: str) -> bool:
    """Setup/wizard answers files: ``*answers*.json|yaml|yml`` (e.g. ``setup-answers.json``)."""
    base = PurePosixPath(name).name.lower()
    return any(fnmatch.fnmatchcase(base, pattern) for pattern in ANSWERS_NAME_PATTERNS)

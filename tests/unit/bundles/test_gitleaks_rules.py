"""The vendored gitleaks rule set: it loads, its RE2 is translated (or skipped with a counted
reason), and together with our own rules it finds a 20-secret corpus.

Every corpus value is assembled at runtime from split prefixes and seeded pseudo-random
characters: format-valid (so a scanner must find it) and fake (it was never issued), and
no literal token sits in this file for the repository's own leak checks to trip over.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

import pytest

from greentic_iac.bundles import ScanFailedError, ScanLimits, scan_path
from greentic_iac.bundles.gitleaks_rules import (
    PIECE,
    RULES_FILE,
    KeywordIndex,
    UnsupportedPatternError,
    compile_re2,
    default_rules,
    load_rules,
    rule_hits,
    translate_re2,
)
from greentic_iac.bundles.secret_rules import content_hits

UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LOWER = UPPER.lower()
DIGITS = "0123456789"
ALNUM = UPPER + LOWER + DIGITS
HEX = "0123456789abcdef"


def fake(seed: str, length: int, alphabet: str = ALNUM) -> str:
    digest = b"".join(hashlib.sha256(f"{seed}/{n}".encode()).digest() for n in range(8))
    return "".join(alphabet[byte % len(alphabet)] for byte in digest[:length])


def b64url(document: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(document).encode()).decode().rstrip("=")


def corpus() -> dict[str, tuple[str, str]]:
    """``{name: (kind the scanner must report, line holding the secret)}``."""
    jwt = ".".join(
        [
            b64url({"alg": "HS256", "typ": "JWT"}),
            b64url({"sub": "fake-user-" + fake("jwt-sub", 12), "iat": 1_700_000_000}),
            fake("jwt-sig", 43, ALNUM + "-_"),
        ]
    )
    azure = fake("azure", 86, ALNUM + "+/") + "=="
    docker = base64.b64encode(f"ci-bot:{fake('docker', 20)}".encode()).decode()
    pem = "-----BEGIN " + "OPENSSH PRIVATE KEY-----\\n" + fake("pem", 70) + "\\n-----END"
    return {
        "gitlab-pat": ("gitlab-pat", "gl" + "pat-" + fake("gitlab", 20, ALNUM + "-_")),
        "stripe": ("stripe-access-token", "sk" + "_live_" + fake("stripe", 24)),
        "jwt": ("jwt", jwt),
        "azure-storage": (
            "azure-storage-account-key",
            f"DefaultEndpointsProtocol=https;AccountName=fake;AccountKey={azure};",
        ),
        "sendgrid": (
            "sendgrid-api-token",
            "S" + "G." + fake("sg1", 22, ALNUM + "-_") + "." + fake("sg2", 43, ALNUM + "-_"),
        ),
        "twilio": ("twilio-api-key", "S" + "K" + fake("twilio", 32, HEX)),
        "docker-auths": (
            "docker-config-auth",
            json.dumps({"auths": {"registry.example.org": {"auth": docker}}}),
        ),
        "google-api-key": ("gcp-api-key", "AI" + "za" + fake("google", 35, ALNUM + "-_")),
        "openai": (
            "openai-api-key",
            "sk" + "-proj-" + fake("oa1", 74, ALNUM + "-_") + "T3Blbk" + "FJ" + fake("oa2", 74),
        ),
        "npm": ("npm-access-token", "np" + "m_" + fake("npm", 36, LOWER + DIGITS)),
        "pypi": ("pypi-upload-token", "py" + "pi-AgEIcHlwaS5vcmc" + fake("pypi", 70, ALNUM + "-_")),
        "hugging-face": ("huggingface-access-token", "h" + "f_" + fake("hf", 34, UPPER + LOWER)),
        "aws": ("aws-access-key-id", "AK" + "IA" + fake("aws", 16, UPPER + "234567")),
        "private-key": ("private-key", pem),
        "github": ("github-token", "gh" + "p_" + fake("github", 36)),
        "slack-bot": ("slack-token", "xo" + "xb-" + fake("s1", 12, DIGITS) + "-" + fake("s2", 24)),
        "anthropic": (
            "anthropic-api-key",
            "sk" + "-ant-api03-" + fake("anthropic", 93, ALNUM + "-_") + "AA",
        ),
        "shopify": ("shopify-access-token", "sh" + "pat_" + fake("shopify", 32, HEX)),
        "digitalocean": ("digitalocean-pat", "do" + "p_v1_" + fake("do", 64, HEX)),
        "databricks": ("databricks-api-token", "da" + "pi" + fake("databricks", 32, HEX)),
    }


CORPUS = corpus()


def _file(line: str) -> bytes:
    # A neutral name: no "key"/"token" word, so the provider rule itself must find it.
    return f"# service settings\nname = demo\nvalue_1 = {line}\nlevel = info\n".encode()


def test_the_corpus_has_twenty_distinct_secrets() -> None:
    assert len(CORPUS) == 20
    assert len({line for _, line in CORPUS.values()}) == 20


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_each_corpus_secret_is_found_by_kind_and_line_without_its_value(
    name: str, tmp_path: Path
) -> None:
    kind, line = CORPUS[name]
    path = tmp_path / "settings.conf"
    path.write_bytes(_file(line))
    findings = scan_path(path)
    assert (3, kind) in {(f.line, f.kind) for f in findings}, findings
    for finding in findings:
        assert line not in finding.describe()


def test_the_whole_corpus_in_one_file_is_found_line_by_line(tmp_path: Path) -> None:
    path = tmp_path / "all.txt"
    path.write_text("\n".join(f"v{n} = {line}" for n, (_, line) in enumerate(CORPUS.values())))
    findings = scan_path(path)
    # One finding per secret, none twice. (The JWT's header may be reported as the AWS
    # secret key paired with the AWS key id near it: the pairing rule claims it first.)
    assert sorted(f.line for f in findings) == list(range(1, 21))
    kinds = {f.kind for f in findings}
    assert {kind for kind, _ in CORPUS.values()} - kinds <= {"jwt"}


def test_the_vendored_file_and_its_licence_ship_together() -> None:
    directory = RULES_FILE.parent
    assert RULES_FILE.name == "gitleaks.toml"
    licence = (directory / "LICENSE").read_text(encoding="utf-8")
    assert licence.startswith("MIT License") and "Zachary Rice" in licence
    readme = (directory / "README.md").read_text(encoding="utf-8")
    assert "github.com/gitleaks/gitleaks" in readme and "MIT" in readme
    assert RULES_FILE.read_text(encoding="utf-8").startswith("# This file has been auto-generated")


def test_every_rule_loads_or_is_skipped_for_a_counted_reason() -> None:
    rules = default_rules()
    total = RULES_FILE.read_text(encoding="utf-8").count("\n[[rules]]\n")
    assert len(rules.rules) + len(rules.skipped) == total
    # What the vendored file needs: one file-name-only rule is skipped; 22 rules take
    # their inline flags scoped, 4 use \z, one a POSIX class.
    assert rules.skip_reasons() == {"no regex": 1}
    assert rules.skipped == {"pkcs12-file": "no regex: a file-name-only rule"}
    assert rules.translated() == {"inline-flags": 22, "\\z": 4, "posix-class": 1}
    assert len(rules.rules) >= 220


@pytest.mark.parametrize(
    ("go", "python"),
    [
        (r"\b(p8e-(?i)[a-z0-9]{32})x", r"\b(p8e-(?i:[a-z0-9]{32}))x"),
        (r"a(?i)b|c", r"a(?i:b)|(?i:c)"),
        (r"(?i)abc", r"(?i)abc"),
        (r"x(?-i:A)y", r"x(?-i:A)y"),
        (r"\b(pat[[:alnum:]]{14})", r"\b(pat[a-zA-Z0-9]{14})"),
        (r"foo(?:\n|\z)", r"foo(?:\n|\Z)"),
        (r"[]a[]", r"[\]a\[]"),
        (r"(a(?s)b(c)d)e", r"(a(?s:b(c)d))e"),
    ],
)
def test_re2_translations(go: str, python: str) -> None:
    assert translate_re2(go)[0] == python


def test_translated_inline_flags_keep_go_semantics() -> None:
    pattern, _ = compile_re2(r"ab(?i)cd|ef")
    assert pattern.fullmatch(b"abCD") and pattern.fullmatch(b"EF")
    assert not pattern.fullmatch(b"ABcd")  # the flag starts where RE2 starts it
    scoped, _ = compile_re2(r"(x(?i)y)z")
    assert scoped.fullmatch(b"xYz") and not scoped.fullmatch(b"xYZ")


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        (r"\Qa.b\E", "\\Q"),
        (r"\p{L}+", "Unicode class"),
        (r"(?U)a+", "ungreedy"),
        (r"[[:nope:]]", "POSIX class"),
        (r"a)", "unbalanced"),
        (r"a\C", "any byte"),
    ],
)
def test_untranslatable_patterns_name_their_reason(pattern: str, reason: str) -> None:
    with pytest.raises(UnsupportedPatternError, match=re.escape(reason)):
        compile_re2(pattern)


def test_a_rule_that_cannot_be_translated_is_skipped_and_counted() -> None:
    config = """
[[rules]]
id = "fine"
regex = '''fi(?i)ne-[0-9]{4}'''
keywords = ["fi"]

[[rules]]
id = "unicode"
regex = '''\\p{Greek}+'''

[[rules]]
id = "quoted"
regex = '''\\Qx\\E'''
"""
    rules = load_rules(config)
    assert [rule.id for rule in rules.rules] == ["fine"]
    assert rules.skip_reasons() == {"Unicode class \\p": 1, "\\Q...\\E literal text": 1}
    hits = list(rule_hits(b"say fiNE-1234 now", b"say fine-1234 now", rules=rules))
    assert [(hit.rule, hit.secret) for hit in hits] == [("fine", b"fiNE-1234")]


def test_keywords_gate_entropy_floors_and_allowlists_apply() -> None:
    config = """
[allowlist]
stopwords = ["notreal"]
paths = ['''(?:^|/)vendor/''']

[[rules]]
id = "demo-token"
regex = '''\\b(dmo_[a-z0-9]{12})\\b'''
keywords = ["dmo_"]
entropy = 3
[[rules.allowlists]]
regexTarget = "line"
regexes = ['''# test fixture''']
"""
    rules = load_rules(config)
    high = b"dmo_" + fake("demo", 12, LOWER + DIGITS).encode()

    def found(data: bytes, path: str = "") -> list[bytes]:
        return [hit.secret for hit in rule_hits(data, data.lower(), path, rules)]

    assert found(b"x = " + high) == [high]
    assert found(b"x = dmo_aaaaaaaaaaaa") == []  # entropy at or below the floor
    assert found(b"x = dmo_notreal12345") == []  # a stopword
    assert found(b"x = " + high + b"  # test fixture") == []  # the rule's line allowlist
    assert found(b"x = " + high, "vendor/lib/a.js") == []  # the global path allowlist
    assert found(b"x = " + high, "src/a.js") == [high]


def test_rules_only_look_near_their_keywords() -> None:
    token = "gl" + "pat-" + fake("window", 20, ALNUM + "-_")
    far = ("z" * 20_000 + " " + token + " " + "z" * 20_000).encode()
    assert [hit.rule for hit in rule_hits(far, far.lower())] == ["gitlab-pat"]


@pytest.mark.parametrize(
    "line",
    [
        "keyboard_layout = de-nodeadkeys",
        'primary_key: "customer_id"',
        "api_version = 2024-10-01",
        '"public_key_path": "/etc/ssl/certs/ca.pem"',
        "token_url = https://login.example.org/oauth2/token",
        '"content_hash": "sha256:' + hashlib.sha256(b"plan").hexdigest() + '"',
        "credentials_id = 01J9DEP0000000000000000001",
        "authorization header is added by the proxy",
        "access_log = /var/log/nginx/access.log",
    ],
)
def test_ordinary_configuration_is_not_a_secret(line: str) -> None:
    assert content_hits(line.encode(), "config/app.conf") == []


def test_stripping_the_template_lead_in_changes_no_finding() -> None:
    text = RULES_FILE.read_text(encoding="utf-8")
    fast, literal = default_rules(), load_rules(text, strip_lead=False)
    assert sum(1 for rule in fast.rules if rule.lead) == 96
    samples = [_file(line) for _, line in CORPUS.values()]
    samples += [
        b'{"apiVersion": "v1", "api_key": "' + fake("k1", 32).encode() + b'"}',
        b"export ADAFRUIT_IO_KEY=" + fake("ada", 32, LOWER + DIGITS).encode(),
        b"db.password = " + fake("pw", 24).encode() + b"\nx-api-token: " + fake("t", 40).encode(),
        b"  my.service-auth.token   :=  '" + fake("svc", 20).encode() + b"';",
        ("y" * 70 + "_secret=" + fake("long-name", 30)).encode(),
        RULES_FILE.read_bytes()[:20_000],
    ]
    value = fake("pk", 28).encode()
    # The generic rule's "match" allowlist sees the name before the keyword: the walk back
    # over the lead-in must restore it ("primary_key" is allowed, "other_key" is not).
    samples += [b"primary_key = " + value, b"other_key = " + value]
    found = 0
    for data in samples:
        lowered = data.lower()
        hits = list(rule_hits(data, lowered, rules=fast))
        assert hits == list(rule_hits(data, lowered, rules=literal)), data[:80]
        found += len(hits)
    assert found >= len(CORPUS) + 5
    assert [h.rule for h in rule_hits(samples[-2], samples[-2].lower())] == []
    assert [h.rule for h in rule_hits(samples[-1], samples[-1].lower())] == ["generic-api-key"]


def test_a_token_across_a_piece_boundary_is_found_once() -> None:
    token = "gl" + "pat-" + fake("piece", 20, ALNUM + "-_")
    for offset in (PIECE - 10, PIECE, PIECE + 5):
        # Keywords every few KiB merge the windows into one span longer than a piece.
        filler = ("glpat-! " + "z" * 2000 + "\n") * (PIECE // 1000)
        data = (filler[:offset] + " " + token + " " + filler[offset:]).encode()
        rule = next(r for r in default_rules().rules if r.id == "gitlab-pat")
        assert (
            max(end - start for start, end in KeywordIndex(data.lower()).windows(rule.keywords))
            > PIECE
        )
        hits = [h for h in rule_hits(data, data.lower()) if h.rule == "gitlab-pat"]
        assert [h.secret for h in hits] == [token.encode()], offset


def test_hostile_input_fails_closed_on_the_scan_budget(tmp_path: Path) -> None:
    import time

    path = tmp_path / "hostile.txt"
    path.write_bytes(b"key=" * 500_000)  # the generic rule backtracks at every "key="
    started = time.monotonic()
    with pytest.raises(ScanFailedError, match="time budget"):
        scan_path(path, ScanLimits(timeout_seconds=0.5))
    assert time.monotonic() - started < 10

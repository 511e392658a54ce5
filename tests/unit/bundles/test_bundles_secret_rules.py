"""Unit tests for the secret rules: false positives stay out, fail-closed paths raise,
findings never carry the value."""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from greentic_iac.bundles import ScanFailedError, ScanLimits, SecretFinding, scan_path
from greentic_iac.bundles.findings import fingerprint
from greentic_iac.bundles.secret_rules import (
    content_hits,
    is_answers_name,
    is_dev_secrets_name,
    is_dotenv_name,
    looks_like_secret,
    shannon_entropy,
)

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _random(
    seed: str,
    length: int,
    alphabet: str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
) -> str:
    digest = hashlib.sha256(seed.encode()).digest() * 4
    return "".join(alphabet[byte % len(alphabet)] for byte in digest[:length])


CLEAN_LINES = [
    '"revision_id": "01' + _random("u", 24, CROCKFORD) + '"',
    '"bundle_digest": "sha256:' + hashlib.sha256(b"x").hexdigest() + '"',
    '"secret": "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf"',
    '"role_arn": "arn:aws:iam::123456789012:role/deployer"',
    '"password": "${DB_PASSWORD}"',
    '"token": "{{ secrets.token }}"',
    "password: ${{ secrets.SMTP_PASSWORD }}",
    '"secret_ref": "secret://prod/db"',
    '"client_secret": "secret://tenant/oauth/client"',
    '"token_url": "https://login.example.org/oauth2/token"',
    "token = fetch_token()",
    "password: Optional[str] = None",
    "secret = settings.secret_value",
    '"api_key": "GITHUB_TOKEN"',
    '"password": "correct-horse-battery"',
    '"password": ""',
    "commit " + hashlib.sha1(b"c").hexdigest(),
    "see https://user:pass@host/path for the URL shape",
    "aws example AKIAIOSFODNN7EXAMPLE",
    "-----BEGIN CERTIFICATE-----",
    "-----BEGIN PUBLIC KEY-----",
    '"credentials": {"ref": "secret://aws/prod"}',
    '"detail": "no usable AWS credentials: NoCredentialsError: Unable to locate credentials"',
    "DATABASE_URL: arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/db-AbCdEf",
    'url = f"postgres://app:{db_password}@db.internal:5432/app"',
    'env = "API_KEY=" + make_key(20) + "\\n"',
]


@pytest.mark.parametrize("line", CLEAN_LINES)
def test_normal_code_and_json_are_not_findings(line: str) -> None:
    assert content_hits(line.encode()) == []


def test_high_entropy_assignment_is_a_finding_but_not_low_entropy() -> None:
    assert looks_like_secret(_random("g", 24), quoted=True)
    assert not looks_like_secret("my-service-name", quoted=True)
    assert not looks_like_secret("01" + _random("u", 24, CROCKFORD), quoted=True)
    assert shannon_entropy("aaaa") == 0.0


def test_fingerprint_hides_the_value() -> None:
    value = b"ghp_" + _random("x", 36).encode()
    print_ = fingerprint(value)
    assert value.decode() not in print_
    assert print_.startswith("sha256:")
    assert len(print_.removeprefix("sha256:")) == 12
    assert "gh" not in print_ and fingerprint(b"short123")[:9] != "sh"


def test_file_name_rules() -> None:
    assert is_dotenv_name(".env")
    assert is_dotenv_name("app/.env.production")
    assert is_dotenv_name("prod.env")
    assert not is_dotenv_name(".env.example")
    assert not is_dotenv_name("environment.py")
    assert is_dev_secrets_name("secrets.dev.json")
    assert is_dev_secrets_name("config/dev-secrets.yaml")
    assert is_dev_secrets_name(".greentic/dev-secrets.json")
    assert is_dev_secrets_name("x/.greentic/secrets/store.bin")
    assert not is_dev_secrets_name("docs/secrets.md")
    assert is_answers_name("setup-answers.json")
    assert is_answers_name("add.answers.yaml")
    assert not is_answers_name("answers.txt")


def test_answers_file_with_only_references_is_clean(tmp_path: Path) -> None:
    path = tmp_path / "setup-answers.json"
    path.write_text('{"admin_password": "secret://local/admin", "token": "", "name": "x"}\n')
    assert scan_path(path) == []


def test_empty_dev_secrets_file_is_clean(tmp_path: Path) -> None:
    (tmp_path / "secrets.dev.json").write_text("  \n")
    assert scan_path(tmp_path) == []


def test_utf16_text_is_decoded_and_scanned(tmp_path: Path) -> None:
    token = "ghp_" + _random("t", 36)
    path = tmp_path / "notes.txt"
    path.write_bytes(f"x\ntoken {token}\n".encode("utf-16"))
    findings = scan_path(path)
    assert [(finding.kind, finding.line) for finding in findings] == [("github-token", 2)]


def test_base64_of_a_zip_with_a_secret_is_found(tmp_path: Path) -> None:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(".env", "API_KEY=" + _random("k", 20) + "\n")
    path = tmp_path / "blob.json"
    path.write_text('{"zip": "' + base64.b64encode(inner.getvalue()).decode() + '"}')
    findings = scan_path(path)
    assert [(finding.kind, finding.encoding) for finding in findings] == [("dotenv-file", "base64")]


# -- fail closed ---------------------------------------------------------------------------


def test_corrupt_archive_fails_the_scan(tmp_path: Path) -> None:
    path = tmp_path / "bundle.zip"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 64)
    with pytest.raises(ScanFailedError, match="cannot be read"):
        scan_path(path)


def test_time_budget_fails_the_scan(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("hello")
    with pytest.raises(ScanFailedError, match="time budget"):
        scan_path(tmp_path, ScanLimits(timeout_seconds=-1))


def test_oversized_file_fails_the_scan(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x" * 100)
    with pytest.raises(ScanFailedError, match="larger than"):
        scan_path(tmp_path, ScanLimits(max_file_bytes=10))


def test_byte_budget_fails_the_scan(tmp_path: Path) -> None:
    for index in range(3):
        (tmp_path / f"{index}.txt").write_text("x" * 100)
    with pytest.raises(ScanFailedError, match="bytes to scan"):
        scan_path(tmp_path, ScanLimits(max_total_bytes=250))


def test_too_deep_nesting_fails_the_scan(tmp_path: Path) -> None:
    data = b"hello"
    for level in range(4):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr(f"level{level}.zip" if level else "a.txt", data)
        data = buffer.getvalue()
    path = tmp_path / "deep.zip"
    path.write_bytes(data)
    with pytest.raises(ScanFailedError, match="nested deeper"):
        scan_path(path, ScanLimits(max_depth=2))
    assert scan_path(path, ScanLimits(max_depth=4)) == []


def test_encrypted_member_fails_the_scan(tmp_path: Path) -> None:
    path = tmp_path / "enc.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.txt", "a")
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        directory = archive.start_dir  # type: ignore[attr-defined]
    data[6] |= 1
    data[directory + 8] |= 1
    path.write_bytes(bytes(data))
    with pytest.raises(ScanFailedError, match="encrypted"):
        scan_path(path)


def test_invalid_utf16_fails_the_scan(tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(b"\xff\xfe" + b"\x00\xd8")  # a lone surrogate
    with pytest.raises(ScanFailedError, match="UTF-16"):
        scan_path(path)


def test_unreadable_path_fails_the_scan(tmp_path: Path) -> None:
    with pytest.raises(ScanFailedError, match="cannot stat"):
        scan_path(tmp_path / "missing")


def test_special_files_and_symlinks_are_skipped(tmp_path: Path) -> None:
    import os

    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "link").symlink_to("/etc/passwd")
    assert scan_path(tmp_path) == []


def test_finding_describe_and_dict() -> None:
    finding = SecretFinding("a.txt", 3, "github-token", "sha256:0123456789ab")
    assert finding.describe() == "a.txt:3: github-token [sha256:0123456789ab]"
    assert finding.to_dict()["line"] == 3


def test_archive_larger_than_one_file_budget_is_scanned_member_by_member(tmp_path: Path) -> None:
    path = tmp_path / "big.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for index in range(10):
            archive.writestr(f"part{index}.txt", _random(f"p{index}", 60, "abcdef ") + "\n")
        archive.writestr("leak.txt", "x = 1\nt = ghp_" + _random("big", 36) + "\n")
    limits = ScanLimits(max_file_bytes=300)
    assert path.stat().st_size > limits.max_file_bytes
    findings = scan_path(path, limits)
    assert [(finding.path.endswith("!leak.txt"), finding.line) for finding in findings] == [
        (True, 2)
    ]

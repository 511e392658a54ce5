"""``doctor secrets PATH``: 0 when clean, 1 with findings (file:line, never the value), 2 when
the scan can't run."""

from __future__ import annotations

import hashlib
import io
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.integration.verbs.conftest import Outcome

pytestmark = pytest.mark.integration

Cli = Callable[..., Outcome]
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
B62 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def _random_like(seed: str, alphabet: str, length: int) -> str:
    """Deterministic, high-entropy text, so no real-looking key sits in this file's source."""
    out, counter = [], 0
    while len(out) < length:
        for byte in hashlib.sha256(f"{seed}:{counter}".encode()).digest():
            out.append(alphabet[byte % len(alphabet)])
        counter += 1
    return "".join(out[:length])


KEY_ID = "AK" + "IA" + _random_like("id", ALPHABET, 16)
SECRET_KEY = _random_like("secret", B62 + "/+", 39) + "Q"


def _clean_tree(root: Path) -> Path:
    (root / "app").mkdir(parents=True)
    (root / "app" / "index.js").write_text("export const greeting = 'hello';\n", encoding="utf-8")
    (root / "README.md").write_text("# A bundle\n\nNothing secret here.\n", encoding="utf-8")
    return root


def test_clean_directory_exits_0(cli: Cli, tmp_path: Path) -> None:
    root = _clean_tree(tmp_path / "bundle")
    outcome = cli("doctor", "secrets", str(root))
    assert outcome.code == 0, outcome.stderr
    assert outcome.json["noun"] == "doctor" and outcome.json["op"] == "secrets"
    assert outcome.result == {"path": str(root), "clean": True, "count": 0, "findings": []}
    table = cli("doctor", "secrets", str(root), output="table")
    assert table.code == 0 and "no secrets found" in table.stdout


def test_planted_aws_key_is_reported_by_file_and_line_never_the_value(
    cli: Cli, tmp_path: Path
) -> None:
    root = _clean_tree(tmp_path / "bundle")
    config = root / "app" / "settings.ini"
    config.write_text(
        "[default]\nregion = eu-west-1\n"
        f"aws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET_KEY}\n",
        encoding="utf-8",
    )
    outcome = cli("doctor", "secrets", str(root))
    assert outcome.code == 1, outcome.stderr
    findings = outcome.result["findings"]
    assert outcome.result["clean"] is False and outcome.result["count"] == len(findings)
    where = {(f["path"], f["line"], f["kind"]) for f in findings}
    assert (str(config), 3, "aws-access-key-id") in where
    assert (str(config), 4, "aws-secret-access-key") in where
    table = cli("doctor", "secrets", str(root), output="table")
    assert table.code == 1
    assert f"{config}:3: aws-access-key-id" in table.stdout
    for text in (outcome.stdout, outcome.stderr, table.stdout, table.stderr):
        assert KEY_ID not in text and SECRET_KEY not in text


def test_key_inside_an_archive_is_found_with_member_and_line(cli: Cli, tmp_path: Path) -> None:
    archive = tmp_path / "bundle.tar.gz"
    data = f"# deploy\nexport AWS_SECRET_ACCESS_KEY={SECRET_KEY}\n".encode()
    with tarfile.open(archive, "w:gz") as handle:
        info = tarfile.TarInfo("scripts/deploy.sh")
        info.size = len(data)
        handle.addfile(info, io.BytesIO(data))
    outcome = cli("doctor", "secrets", str(archive))
    assert outcome.code == 1
    paths_and_lines = {(f["path"], f["line"]) for f in outcome.result["findings"]}
    assert (f"{archive}!scripts/deploy.sh", 2) in paths_and_lines
    assert SECRET_KEY not in outcome.stdout


def test_missing_path_and_corrupt_archive_are_exit_2(cli: Cli, tmp_path: Path) -> None:
    missing = cli("doctor", "secrets", str(tmp_path / "nope"))
    assert missing.code == 2 and "nope" in missing.stderr
    corrupt = tmp_path / "broken.tar.gz"
    corrupt.write_bytes(b"\x1f\x8b\x08\x00" + b"\x00" * 6 + b"not really gzip")
    failed = cli("doctor", "secrets", str(corrupt))
    assert failed.code == 2
    assert "broken.tar.gz" in failed.stderr

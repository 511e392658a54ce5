"""Planted secrets of every supported kind, in plain text, minified JS, base64 blobs and
nested archives: every one is found, by ``scan_path`` and by ``verify_archive``, and no
report or message carries the secret value."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from greentic_iac.bundles import (
    SecretFinding,
    SecretLeakError,
    scan_generated_outputs,
    scan_path,
    unpack_archive,
    verify_archive,
)

from .archives import DIGITS, LOWER, UPPER, Member, build, build_tar, seeded, snapshot

pytestmark = pytest.mark.reliability

B62 = UPPER + LOWER + DIGITS


@dataclass(frozen=True)
class Plant:
    """A secret planted as a line of text; ``secret`` is the value that must never leak."""

    kind: str
    line: str
    secret: str
    file_name: str = "config.txt"  # file-name rules need their own names


def _plants() -> list[Plant]:
    key_id = "AKIA" + seeded("aws-id", UPPER + DIGITS, 16)
    aws_secret = seeded("aws-secret", B62 + "/+", 39) + "Q"
    github = "gh" + "p_" + seeded("gh", B62, 36)
    github_fine = "github" + "_pat_" + seeded("ghf1", B62, 22) + "_" + seeded("ghf2", B62, 59)
    slack = "xo" + "xb-" + seeded("slack1", DIGITS, 12) + "-" + seeded("slack2", B62, 24)
    hook = (
        "https://hooks.slack.com/services/T"
        + seeded("t", UPPER + DIGITS, 8)
        + "/B"
        + seeded("b", UPPER + DIGITS, 8)
        + "/"
        + seeded("h", B62, 24)
    )
    pem_header = "-----BEGIN " + "RSA PRIVATE" + " KEY-----"
    generic = seeded("generic", B62 + "!#%", 24)
    db_password = seeded("db", B62, 14)
    answer = "hunter" + "2"  # low entropy: only the answers-file rule catches it
    dev_secret = seeded("dev", B62, 20)
    azure_key = seeded("azure", B62 + "+/", 86) + "=="
    azure = f"DefaultEndpointsProtocol=https;AccountName=demo;AccountKey={azure_key};"
    docker_auth = base64.b64encode(f"ci:{seeded('docker', B62, 18)}".encode()).decode()
    docker = json.dumps({"auths": {"registry.example.org": {"auth": docker_auth}}})
    return [
        Plant("aws-access-key-id", f"aws_access_key_id = {key_id}", key_id),
        Plant("aws-secret-access-key", f"aws_secret_access_key = {aws_secret}", aws_secret),
        Plant("private-key", f"{pem_header}\\n{seeded('pem', B62, 64)}", pem_header),
        Plant("github-token", f'const t = "{github}";', github),
        Plant("github-token", f"token: {github_fine}", github_fine),
        Plant("slack-token", f"SLACK={slack}", slack),
        Plant("slack-webhook", f"webhook = {hook}", hook),
        Plant("url-credentials", f"postgres://app:{db_password}@db.internal:5432/app", db_password),
        Plant("generic-secret", f'"client_secret": "{generic}"', generic),
        Plant("dotenv-file", f"DATABASE_PASSWORD={db_password}", db_password, ".env"),
        Plant("dev-secrets-file", json.dumps({"api": dev_secret}), dev_secret, "secrets.dev.json"),
        Plant(
            "dev-secrets-file",
            json.dumps({"k": dev_secret}),
            dev_secret,
            ".greentic/dev-secrets.json",
        ),
        Plant(
            "setup-answer-plaintext",
            json.dumps({"admin_password": answer}),
            answer,
            "setup-answers.json",
        ),
        Plant("azure-storage-account-key", azure, azure_key),
        Plant("docker-config-auth", docker, docker_auth),
    ]


PLANTS = _plants()
CONTENT_PLANTS = [plant for plant in PLANTS if plant.file_name == "config.txt"]


def _text(plant: Plant) -> bytes:
    return f"# settings\nname = demo\n\n{plant.line}\nlevel = info\n".encode()


def _minified_js(plant: Plant) -> bytes:
    filler = ";".join(f"var a{i}=function(b){{return b*{i}}}" for i in range(3000))
    return (filler + ";" + plant.line + ";" + filler).encode()


def _base64_blob(plant: Plant) -> bytes:
    blob = base64.b64encode(_text(plant)).decode()
    return json.dumps({"kind": "config", "data": {"settings.txt": blob}}, indent=2).encode()


def _nested_zip_in_tar(plant: Plant, tmp: Path) -> bytes:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            f"pack/{plant.file_name}",
            _text(plant) if plant.file_name == "config.txt" else plant.line,
        )
    outer = build_tar(tmp / "outer.tgz", [Member("vendor/pack.zip", inner.getvalue())], gz=True)
    return outer.read_bytes()


def _expected_secret_absent(findings: list[SecretFinding], message: str, plant: Plant) -> None:
    assert plant.secret not in message
    for finding in findings:
        assert plant.secret not in finding.describe()
        assert plant.secret not in json.dumps(finding.to_dict())


CARRIERS: dict[str, Callable[[Plant], bytes]] = {
    "text": _text,
    "minified-js": _minified_js,
    "base64": _base64_blob,
}


@pytest.mark.parametrize("carrier", sorted(CARRIERS))
@pytest.mark.parametrize("plant", CONTENT_PLANTS, ids=lambda plant: plant.kind)
def test_content_secret_is_found_in_every_carrier(
    plant: Plant, carrier: str, tmp_path: Path
) -> None:
    path = tmp_path / ("app.min.js" if carrier == "minified-js" else "settings.json")
    data = CARRIERS[carrier](plant)
    path.write_bytes(data)
    findings = scan_path(path)
    kinds = {finding.kind for finding in findings}
    assert plant.kind in kinds, findings
    if carrier == "base64":
        assert all(finding.encoding == "base64" for finding in findings)
    if carrier == "text":
        assert any(finding.line == 4 for finding in findings if finding.kind == plant.kind)
    _expected_secret_absent(findings, "", plant)


@pytest.mark.parametrize("plant", PLANTS, ids=lambda plant: f"{plant.kind}-{plant.file_name}")
def test_secret_is_found_inside_nested_archives(plant: Plant, tmp_path: Path) -> None:
    data = _nested_zip_in_tar(plant, tmp_path)
    path = tmp_path / "bundle.bin"
    path.write_bytes(data)
    findings = scan_path(path)
    assert plant.kind in {finding.kind for finding in findings}, findings
    assert any(f"pack.zip!pack/{plant.file_name}" in finding.path for finding in findings)
    _expected_secret_absent(findings, "", plant)


@pytest.mark.parametrize("flavour", ["tar", "tar.gz", "zip"])
@pytest.mark.parametrize("plant", PLANTS, ids=lambda plant: f"{plant.kind}-{plant.file_name}")
def test_verify_refuses_a_bundle_with_a_secret_naming_file_and_line(
    plant: Plant, flavour: str, tmp_path: Path
) -> None:
    body = _text(plant) if plant.file_name == "config.txt" else plant.line.encode()
    members = [
        Member("manifest.json", b'{"name": "demo"}\n'),
        Member(f"assets/{plant.file_name}", body),
    ]
    archive = build(tmp_path / "leaky", flavour, members)
    work = tmp_path / "work"
    work.mkdir()
    before = snapshot(work)
    with pytest.raises(SecretLeakError) as refused:
        verify_archive(archive)
    findings = list(refused.value.findings)
    assert plant.kind in {finding.kind for finding in findings}
    message = str(refused.value)
    assert f"assets/{plant.file_name}" in message
    assert "\n" not in message
    _expected_secret_absent(findings, message, plant)
    with pytest.raises(SecretLeakError):
        unpack_archive(archive, work / "dest")
    assert snapshot(work) == before


def test_every_planted_kind_is_covered() -> None:
    from greentic_iac.bundles.secret_rules import ALL_KINDS

    assert {plant.kind for plant in PLANTS} == set(ALL_KINDS)


def test_scan_generated_outputs_over_many_paths(tmp_path: Path) -> None:
    clean = tmp_path / "plan.json"
    clean.write_text('{"resources": []}\n')
    leaky = tmp_path / "out"
    leaky.mkdir()
    (leaky / "stack.yaml").write_bytes(_text(PLANTS[2]))
    findings = scan_generated_outputs([clean, leaky])
    assert [finding.kind for finding in findings] == ["private-key"]
    assert scan_generated_outputs([clean]) == []

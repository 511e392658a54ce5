"""A clean, real-looking bundle (ULIDs, sha256 digests, ARNs, secret references, minified
JS, a wasm blob, a nested pack) passes verification with zero findings and unpacks into
exactly the tree it was built from."""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from pathlib import Path

import pytest

from greentic_iac.bundles import archive_digest, scan_path, unpack_archive, verify_archive

from .archives import DIGITS, LOWER, UPPER, Member, build, seeded, snapshot

pytestmark = pytest.mark.reliability

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _ulid(seed: str) -> str:
    return "01" + seeded(seed, CROCKFORD, 24)


def _clean_members() -> list[Member]:
    digest = "sha256:" + hashlib.sha256(b"bundle").hexdigest()
    manifest = {
        "id": _ulid("bundle"),
        "revision_id": _ulid("revision"),
        "bundle_digest": digest,
        "commit": hashlib.sha1(b"commit").hexdigest(),
        "request_id": "6f1c2a9e-3b7d-4e0f-9a51-2c8d7e6b4f10",
        "secrets": {
            "db_password": {"ref": "secret://prod-eu/db/password"},
            "api_token_ref": "secret://prod-eu/api/token",
        },
        "password": "${DB_PASSWORD}",
        "token": "{{ secrets.api_token }}",
        "secret_arn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf",
        "role": "arn:aws:iam::123456789012:role/greentic-deployer",
        "image": "registry.example.org/greentic/runner@" + digest,
        "token_url": "https://auth.internal/oauth/token",
        "idempotency_key": _ulid("idem"),
    }
    minified = ";".join(
        f"function f{i}(e){{return e.token||process.env.API_TOKEN||e.apiKey+{i}}}"
        for i in range(2000)
    )
    minified += ';const cfg={apiKey:process.env.API_KEY,password:opts.password,token:""};'
    wasm = b"\x00asm\x01\x00\x00\x00" + b"".join(
        hashlib.sha256(str(i).encode()).digest() for i in range(2048)
    )
    flow = (
        "id: main\n"
        "nodes:\n"
        "  - id: ask\n"
        "    secret_ref: secret://tenant/api-key\n"
        "    password_ref: ${{ secrets.SMTP_PASSWORD }}\n"
        "    token: ${TOKEN}\n"
        f"    checksum: {hashlib.sha256(b'flow').hexdigest()}\n"
    )
    k8s = (
        "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n"
        "      containers:\n        - name: runner\n          env:\n"
        "            - name: DB_PASSWORD\n              valueFrom:\n"
        "                secretKeyRef: {name: db, key: password}\n"
    )
    python = (
        "def login(token: str, password: str) -> None:\n"
        "    token = fetch_token()\n"
        "    secret = settings.secret_value\n"
        "    password: Optional[str] = None\n"
    )
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as pack:
        pack.writestr("pack.json", json.dumps({"name": "greentic.demo", "version": "1.0.0"}))
        pack.writestr("flows/main.ygtc", flow)
    data_blob = json.dumps(
        {"icon": "data:image/png;base64," + __import__("base64").b64encode(wasm[:3000]).decode()}
    )
    return [
        Member("manifest.json", json.dumps(manifest, indent=2).encode()),
        Member("flows", kind="dir"),
        Member("flows/main.ygtc", flow.encode()),
        Member("assets", kind="dir"),
        Member("assets/app.min.js", minified.encode()),
        Member("assets/icon.json", data_blob.encode()),
        Member("components", kind="dir"),
        Member("components/handler.wasm", wasm),
        Member("deploy", kind="dir"),
        Member("deploy/runner.yaml", k8s.encode()),
        Member("deploy/login.py", python.encode()),
        Member("packs", kind="dir"),
        Member("packs/demo.gtpack", inner.getvalue()),
        Member(".env.example", b"API_TOKEN=\nDB_PASSWORD=<set-me>\n"),
        Member("scripts", kind="dir"),
        Member("scripts/run.sh", b'#!/bin/sh\nexec runner "$@"\n', mode=0o755),
        Member(
            "README.md",
            b"Tokens and passwords are references (secret://...), never values.\n",
        ),
    ]


def _materialise(root: Path, members: list[Member]) -> None:
    for member in members:
        target = root / member.name
        if member.kind == "dir":
            target.mkdir(parents=True, exist_ok=True)
        elif member.kind == "symlink":
            target.symlink_to(member.target)
        elif member.kind == "hardlink":
            os.link(root / member.target, target)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(member.data)
            target.chmod(member.mode)


@pytest.mark.parametrize("flavour", ["tar", "tar.gz", "zip"])
def test_clean_bundle_verifies_and_unpacks_identically(flavour: str, tmp_path: Path) -> None:
    members = _clean_members()
    archive = build(tmp_path / "clean", flavour, members)
    report = verify_archive(archive)
    assert report.digest == archive_digest(archive)
    assert report.digest == "sha256:" + hashlib.sha256(archive.read_bytes()).hexdigest()
    assert report.files == sum(1 for member in members if member.kind == "file")
    assert scan_path(archive) == []

    expected = tmp_path / "expected"
    expected.mkdir()
    _materialise(expected, members)
    assert scan_path(expected) == []

    work = tmp_path / "work"
    work.mkdir()
    result = unpack_archive(archive, work / "bundle")
    assert result.digest == report.digest
    assert snapshot(work / "bundle") == snapshot(expected)
    assert sorted(path.name for path in work.iterdir()) == ["bundle"]


@pytest.mark.usefixtures("links_on")
@pytest.mark.parametrize("flavour", ["tar", "tar.gz", "zip"])
def test_inside_links_unpack_when_links_are_allowed(flavour: str, tmp_path: Path) -> None:
    members = [
        Member("flows", kind="dir"),
        Member("flows/main.ygtc", b"id: main\n"),
        Member("current", kind="symlink", target="flows"),
        Member("flows/alias.ygtc", kind="symlink", target="main.ygtc"),
    ]
    if flavour != "zip":
        members.append(Member("copy.ygtc", kind="hardlink", target="flows/main.ygtc"))
    archive = build(tmp_path / "links", flavour, members)
    verify_archive(archive)
    expected = tmp_path / "expected"
    expected.mkdir()
    _materialise(expected, members)
    unpack_archive(archive, tmp_path / "out")
    assert snapshot(tmp_path / "out") == snapshot(expected)


def test_unpack_into_an_existing_empty_directory(tmp_path: Path) -> None:
    archive = build(tmp_path / "small", "zip", [Member("a.txt", b"a")])
    dest = tmp_path / "dest"
    dest.mkdir()
    unpack_archive(archive, dest)
    assert (dest / "a.txt").read_bytes() == b"a"


def test_random_names_do_not_matter(tmp_path: Path) -> None:
    # upper/lower/digit names are fine; only collisions are refused
    names = [seeded(f"n{i}", UPPER + LOWER + DIGITS, 12) for i in range(30)]
    archive = build(tmp_path / "names", "tar.gz", [Member(name, b"x") for name in names])
    assert verify_archive(archive).files == 30

"""``setup BUNDLE_ARCHIVE``: from a bundle archive to a staged revision in one verb."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.reliability.bundles.archives import DIGITS, LOWER, Member, build_tar, seeded
from tests.support.cli_runner import Outcome, run_cli

pytestmark = pytest.mark.integration


def _bundle(tmp_path: Path, name: str = "Fast2Flow_App.tar.gz", body: bytes = b"v1") -> Path:
    members = [
        Member("bundle/", kind="dir", mode=0o755),
        Member("bundle/manifest.json", b'{"name": "fast2flow"}\n'),
        Member("bundle/app.py", b"print(" + body + b")\n"),
    ]
    return build_tar(tmp_path / name, members, gz=True)


def _digest(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def _tree(home: Path) -> dict[str, bytes]:
    if not home.exists():
        return {}
    return {
        str(p.relative_to(home)): p.read_bytes() for p in sorted(home.rglob("*")) if p.is_file()
    }


def _setup(home: Path, *argv: str) -> Outcome:
    return run_cli(home, "setup", *argv)


def test_setup_creates_the_environment_deployment_and_staged_revision(tmp_path: Path) -> None:
    home = tmp_path / "home"
    archive = _bundle(tmp_path)
    first = _setup(home, str(archive))
    assert first.code == 0, first.stderr
    result = first.result
    assert result["environment"] == "created" and result["environment_id"] == "local"
    assert (result["deployment"], result["revision"]) == ("added", "staged")
    assert result["bundle_id"] == "fast2flow_app"
    assert result["route_binding"] == {"host": "localhost", "path_prefix": "/"}
    assert result["bundle_digest"] == _digest(archive) == result["verify"]["digest"]
    assert result["verify"]["secret_scan"] == "clean"
    assert (result["lifecycle"], result["sequence"]) == ("staged", 1)

    revisions = run_cli(home, "revisions", "list", "local").result["revisions"]
    assert [(r["revision_id"], r["bundle_digest"]) for r in revisions] == [
        (result["revision_id"], _digest(archive))
    ]

    # The same archive again reuses everything and stages nothing new.
    again = _setup(home, str(archive))
    assert again.code == 0, again.stderr
    assert again.result["environment"] == "untouched"
    assert (again.result["deployment"], again.result["revision"]) == ("reused", "reused")
    assert again.result["revision_id"] == result["revision_id"]

    # A new build of the bundle is a new revision of the same deployment.
    (tmp_path / "next").mkdir()
    newer = _bundle(tmp_path / "next", body=b"v2")
    staged = _setup(home, str(newer))
    assert staged.code == 0, staged.stderr
    assert staged.result["deployment_id"] == result["deployment_id"]
    assert (staged.result["revision"], staged.result["sequence"]) == ("staged", 2)
    assert staged.result["bundle_digest"] == _digest(newer) != _digest(archive)

    audit = run_cli(home, "audit", "list", "local").result["events"]
    done = [e for e in audit if e["verb"] == "setup" and e["phase"] == "done"]
    assert len(done) >= 3


def test_setup_heals_an_environment_and_honours_the_flags(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert run_cli(home, "env", "init").code == 0
    answers = tmp_path / "remove.json"
    answers.write_text('{"environment_id": "local", "slot": "telemetry"}', encoding="utf-8")
    assert run_cli(home, "env-packs", "remove", "--answers", str(answers)).code == 0

    archive = _bundle(tmp_path)
    flagged = _setup(
        home,
        str(archive),
        "--bundle-id",
        "shop",
        "--host",
        "shop.localhost",
        "--path-prefix",
        "/v1",
    )
    assert flagged.code == 0, flagged.stderr
    assert flagged.result["environment"] == "healed"
    assert flagged.result["healed_slots"] == ["telemetry"]
    assert flagged.result["bundle_id"] == "shop"
    assert flagged.result["route_binding"] == {"host": "shop.localhost", "path_prefix": "/v1"}

    # Reusing the deployment with another route is refused, naming the flags.
    moved = _setup(home, str(archive), "--bundle-id", "shop", "--host", "other.localhost")
    assert moved.code == 2 and "--host/--path-prefix" in moved.stderr


@pytest.mark.parametrize(
    ("argv", "field"),
    [
        (("--bundle-id", "Bad Id"), "--bundle-id"),
        (("--host", "not a host"), "--host"),
        (("--path-prefix", "no-slash"), "--path-prefix"),
        (("--env", "../x"), "environment_id"),
    ],
)
def test_bad_flags_are_exit_2_and_write_nothing(
    tmp_path: Path, argv: tuple[str, ...], field: str
) -> None:
    home = tmp_path / "home"
    outcome = _setup(home, str(_bundle(tmp_path)), *argv)
    assert outcome.code == 2, (outcome.code, outcome.stderr)
    lines = outcome.stderr.strip().splitlines()
    assert len(lines) == 1 and field in lines[0], lines
    assert _tree(home) == {}


def test_a_refused_archive_changes_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert run_cli(home, "env", "init").code == 0
    before = _tree(home)

    token = "ghp_" + seeded("setup-leak", LOWER + DIGITS, 36)
    leaky = build_tar(
        tmp_path / "leaky.tar.gz",
        [Member("bundle/notes.txt", f"token {token}\n".encode())],
        gz=True,
    )
    leaked = _setup(home, str(leaky))
    assert leaked.code == 2 and "github-token" in leaked.stderr
    assert token not in leaked.stderr + leaked.stdout

    escaping = build_tar(tmp_path / "escape.tar", [Member("../outside.txt", b"x")])
    refused = _setup(home, str(escaping))
    assert refused.code == 2 and "outside.txt" in refused.stderr

    missing = _setup(home, str(tmp_path / "nowhere.tar.gz"))
    assert missing.code == 2 and "nowhere.tar.gz" in missing.stderr
    assert _tree(home) == before


def test_setup_without_an_archive_is_a_usage_error(tmp_path: Path) -> None:
    outcome = _setup(tmp_path / "home")
    assert outcome.code == 2 and "ARCHIVE" in outcome.stderr


def test_setup_of_a_non_local_environment_needs_the_grant(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GREENTIC_GRANT", raising=False)
    home = tmp_path / "home"
    denied = _setup(home, str(_bundle(tmp_path)), "--env", "staging")
    assert denied.code == 2 and "denied" in denied.stderr
    monkeypatch.setenv("GREENTIC_GRANT", "staging")
    allowed = _setup(home, str(_bundle(tmp_path)), "--env", "staging")
    assert allowed.code == 0, allowed.stderr
    assert allowed.result["environment_id"] == "staging"

"""``env migrate-state [ENV] [--check]`` and the store's own layout migration (seed A6).

Real files in a real home: the store's older layout (bare ``environment.json``, no
``store.json``), the seed's ``state/deploy/<provider>/<env>`` tree, and the seed's
``previous_binding_ref`` on a binding.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli_runner import Outcome, run_cli

pytestmark = pytest.mark.integration


def _tree(home: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(home)): p.read_bytes() for p in sorted(home.rglob("*")) if p.is_file()
    }


def _seed_environment(environment_id: str = "local") -> dict[str, Any]:
    """A bare seed Environment whose secrets binding remembers what it replaced."""
    from greentic_iac.spec import local_environment

    document: dict[str, Any] = local_environment(environment_id).model_dump(mode="json")
    secrets = next(b for b in document["packs"] if b["slot"] == "secrets")
    secrets["generation"] = 3
    secrets["previous_binding_ref"] = {
        "kind": "greentic.secrets.dev-store@0.0.9",
        "pack_ref": "builtin://greentic.secrets.dev-store",
    }
    return document


def _baseline(tmp_path: Path, environment_id: str = "local") -> bytes:
    """A real applied-plan document, compiled by the CLI in a scratch home."""
    scratch = tmp_path / "scratch"
    assert run_cli(scratch, "env", "init", environment_id).code == 0
    out = tmp_path / "plan.json"
    assert run_cli(scratch, "plan", environment_id, "--out", str(out)).code == 0
    return out.read_bytes()


def _migrate(home: Path, *argv: str) -> Outcome:
    return run_cli(home, "env", "migrate-state", *argv)


def test_check_reports_both_layouts_and_changes_nothing_then_migrate_moves_them(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    old_store = home / "environments" / "local"
    old_store.mkdir(parents=True)
    (old_store / "environment.json").write_text(json.dumps(_seed_environment()))
    legacy = home / "state" / "deploy" / "local-process" / "local"
    legacy.mkdir(parents=True)
    baseline = _baseline(tmp_path)
    (legacy / "applied-plan.json").write_bytes(baseline)

    before = _tree(home)
    check = _migrate(home, "--check")
    assert check.code == 0, check.stderr
    report = check.result
    assert report["check"] is True and report["clean"] is False
    assert report["store_layout"]["needs_migration"] is True
    steps = " ".join(report["store_layout"]["steps"])
    assert "previous_binding_ref -> previous" in steps and "state.json" in steps
    assert report["environments"] == [{"environment_id": "local", "provider": "local-process"}]
    assert any("applied-plan.json ->" in s for s in report["steps"])
    assert _tree(home) == before

    done = _migrate(home)
    assert done.code == 0, done.stderr
    assert done.result["store_layout"]["migrated"] is True
    assert not (home / "state").exists()
    assert (old_store / "applied-plan.json").read_bytes() == baseline
    state = run_cli(home, "env", "show", "local").result
    secrets = next(b for b in state["environment"]["packs"] if b["slot"] == "secrets")
    assert secrets["previous"]["kind"] == "greentic.secrets.dev-store@0.0.9"
    assert secrets["previous"]["generation"] == 2

    audit = run_cli(home, "audit", "list", "local").result["events"]
    verbs = [e["verb"] for e in audit if e["phase"] == "done"]
    assert "store migrate" in verbs and "env migrate-state" in verbs
    store_event = next(e for e in audit if e["verb"] == "store migrate")
    assert store_event["result"]["from_schema"] == 0

    again = _migrate(home, "--check")
    assert again.code == 0 and again.result["clean"] is True


def test_a_legacy_environment_becomes_an_environment_through_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    assert run_cli(home, "env", "init").code == 0
    legacy = home / "state" / "deploy" / "aws-ecs" / "staging"
    legacy.mkdir(parents=True)
    (legacy / "environment.json").write_text(json.dumps(_seed_environment("staging")))

    monkeypatch.delenv("GREENTIC_GRANT", raising=False)
    denied = _migrate(home)
    assert denied.code == 2 and "denied" in denied.stderr
    assert (legacy / "environment.json").exists()

    monkeypatch.setenv("GREENTIC_GRANT", "staging")
    done = _migrate(home)
    assert done.code == 0, done.stderr
    assert not (home / "state").exists()
    listed = [e["environment_id"] for e in run_cli(home, "env", "list").result["environments"]]
    assert "staging" in listed


def test_an_unknown_legacy_file_refuses_everything_and_names_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert run_cli(home, "env", "init").code == 0
    legacy = home / "state" / "deploy" / "k8s" / "local"
    legacy.mkdir(parents=True)
    (legacy / "applied-plan.json").write_bytes(_baseline(tmp_path))
    (legacy / "pulumi-stack.json").write_text("{}")
    before = _tree(home)
    for argv in ((), ("--check",)):
        refused = _migrate(home, *argv)
        assert refused.code == 2, refused.stderr
        lines = refused.stderr.strip().splitlines()
        assert len(lines) == 1 and "pulumi-stack.json" in lines[0]
        assert _tree(home) == before


def test_a_differing_baseline_is_a_conflict(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert run_cli(home, "env", "init").code == 0
    baseline = _baseline(tmp_path)
    (home / "environments" / "local" / "applied-plan.json").write_bytes(baseline)
    legacy = home / "state" / "deploy" / "local-process" / "local"
    legacy.mkdir(parents=True)
    changed = json.loads(baseline)
    changed["resources"] = changed["resources"][:-1]
    (legacy / "applied-plan.json").write_text(json.dumps(changed))
    refused = _migrate(home)
    assert refused.code == 4 and "exists and differs" in refused.stderr
    assert (legacy / "applied-plan.json").exists()


def test_only_the_named_environment_is_moved(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert run_cli(home, "env", "init").code == 0
    baseline = _baseline(tmp_path)
    for environment_id in ("local", "other"):
        legacy = home / "state" / "deploy" / "local-process" / environment_id
        legacy.mkdir(parents=True)
    (home / "state/deploy/local-process/local/applied-plan.json").write_bytes(baseline)
    (home / "state/deploy/local-process/other/environment.json").write_text(
        json.dumps(_seed_environment("other"))
    )
    done = _migrate(home, "local")
    assert done.code == 0, done.stderr
    assert done.result["not_asked_for"] and "other" in done.result["not_asked_for"][0]
    assert not (home / "state/deploy/local-process/local").exists()
    assert (home / "state/deploy/local-process/other/environment.json").exists()


def test_bad_arguments_are_exit_2(tmp_path: Path) -> None:
    outcome = _migrate(tmp_path / "home", "../x")
    assert outcome.code == 2 and "environment_id" in outcome.stderr
    remote = run_cli(tmp_path / "home", "--store", "s3://b/p", "env", "migrate-state")
    assert remote.code == 2 and "--store" in remote.stderr

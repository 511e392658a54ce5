"""``env migrate-dev [ENV] [--check]`` and the ``dev`` alias (seed A4b), through the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli_runner import run_cli
from tests.support.seeding import AnswersCli

pytestmark = pytest.mark.integration

VALUE = "dev-secret-9e1f"


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AnswersCli:
    """A home whose only environment is the legacy ``dev``, with a secret and config."""
    monkeypatch.setenv("GREENTIC_GRANT", "dev")
    monkeypatch.delenv("GREENTIC_DEV_ALIAS", raising=False)
    home = AnswersCli(tmp_path / "home", tmp_path / "answers")
    assert home("env", "init", "dev").code == 0
    put = home("secrets", "put", payload={"environment_id": "dev", "name": "k", "value": VALUE})
    assert put.code == 0, put.stderr
    config = {"environment_id": "dev", "key": "LOG_LEVEL", "value": "debug"}
    assert home("config", "set", payload=config).code == 0
    return home


def test_check_reports_and_changes_nothing(cli: AnswersCli) -> None:
    before = cli.tree()
    check = cli("env", "migrate-dev", "local", "--check")
    assert check.code == 0, check.stderr
    report = check.result
    assert (report["from_env"], report["to_env"], report["outcome"]) == (
        "dev",
        "local",
        "would-migrate",
    )
    assert report["clean"] is False and report["safe"] is True
    kinds = sorted(f["kind"] for f in report["findings"])
    assert kinds == ["environment", "grant", "secrets"]
    assert cli.tree() == before


def test_migrate_renames_dev_to_local_and_keeps_a_warning_alias(
    cli: AnswersCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    done = cli("env", "migrate-dev")
    assert done.code == 0, done.stderr
    assert done.result["outcome"] == "migrated"
    assert done.result["alias"]["target"] == "local"

    names = [e["environment_id"] for e in cli("env", "list").result["environments"]]
    assert names == ["local"]
    assert cli("config", "get", "local", "LOG_LEVEL").result["value"] == "debug"
    assert cli("secrets", "get", "local", "k").result["value"] == VALUE
    assert not (cli.home / "secrets" / "dev.json").exists()
    audit = cli("audit", "list", "local").result["events"]
    assert any(e["verb"] == "env migrate-dev" for e in audit)

    # Old scripts keep working through the alias, with a warning naming the new name.
    old = cli("config", "get", "dev", "LOG_LEVEL")
    assert old.code == 0 and old.result["value"] == "debug"
    assert "legacy alias of 'local'" in old.stderr
    payload = {"environment_id": "dev", "key": "MODE", "value": "x"}
    written = cli("config", "set", payload=payload)
    assert written.code == 0 and "legacy alias" in written.stderr
    assert cli("config", "get", "local", "MODE").result["value"] == "x"

    monkeypatch.setenv("GREENTIC_DEV_ALIAS", "off")
    refused = cli("config", "get", "dev", "LOG_LEVEL")
    assert refused.code == 2 and "GREENTIC_DEV_ALIAS=off" in refused.stderr
    assert cli("config", "get", "local", "LOG_LEVEL").code == 0

    again = cli("env", "migrate-dev", "--check")
    assert again.code == 0 and again.result["outcome"] == "clean"


def test_unsafe_migration_keeps_dev_and_warns_on_use(
    cli: AnswersCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("env", "init").code == 0  # 'local' exists too: a rename cannot merge them
    check = cli("env", "migrate-dev", "--check")
    assert check.code == 0 and check.result["outcome"] == "would-alias"
    assert check.result["safe"] is False
    before = {k: v for k, v in cli.tree().items() if k != "aliases.json"}

    aliased = cli("env", "migrate-dev")
    assert aliased.code == 0, aliased.stderr
    assert aliased.result["outcome"] == "aliased"
    assert aliased.result["alias"]["target"] == "dev"
    names = sorted(e["environment_id"] for e in cli("env", "list").result["environments"])
    assert names == ["dev", "local"]
    # Nothing moved: both secret files and both states are as they were (plus audit lines).
    assert (cli.home / "secrets" / "dev.json").exists()
    after = cli.tree()
    assert all(after[k] == v for k, v in before.items() if "audit" not in k)

    used = cli("config", "get", "dev", "LOG_LEVEL")
    assert used.code == 0 and used.result["value"] == "debug"
    assert "migrating it is unsafe" in used.stderr
    monkeypatch.setenv("GREENTIC_DEV_ALIAS", "0")
    refused = cli("config", "get", "dev", "LOG_LEVEL")
    assert refused.code == 2 and "GREENTIC_DEV_ALIAS=off" in refused.stderr


def test_without_a_grant_for_dev_nothing_moves(
    cli: AnswersCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GREENTIC_GRANT")
    before = cli.tree()
    denied = cli("env", "migrate-dev")
    assert denied.code == 2 and "denied" in denied.stderr
    changed = {k for k, v in cli.tree().items() if before.get(k) != v}
    assert changed == {"environments/dev/audit/events.jsonl"}  # the denial, audited
    events = cli("audit", "list", "dev").result["events"]
    assert events[-1]["verb"] == "env migrate-dev" and events[-1]["decision"] == "deny"


def test_a_clean_home_and_bad_targets(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert run_cli(home, "env", "init").code == 0
    clean = run_cli(home, "env", "migrate-dev", "--check")
    assert clean.code == 0 and clean.result["clean"] is True
    assert clean.result["outcome"] == "clean"
    for bad, field in (("dev", "cannot be 'dev'"), ("Bad", "environment_id")):
        outcome = run_cli(home, "env", "migrate-dev", bad)
        assert outcome.code == 2 and field in outcome.stderr

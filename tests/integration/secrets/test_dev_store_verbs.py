"""``secrets put/get/list`` on the local environment's dev-store, through the CLI."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tests.integration.secrets.conftest import Outcome, home_text, put, run_cli

pytestmark = pytest.mark.integration

VALUE = "local-dev-value-7f3a"


def test_dev_store_round_trip_keeps_the_value_out_of_state_and_audit(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert run_cli(home, "env", "init").code == 0

    def cli(*argv: str) -> Outcome:
        return run_cli(home, *argv)

    first = put(cli, tmp_path, "local", "api-key", VALUE)
    assert first.code == 0, first.stderr
    assert first.result["outcome"] == "created"
    assert first.result["backend"] == "greentic.secrets.dev-store"
    second = put(cli, tmp_path, "local", "api-key", VALUE + "2")
    assert second.result["outcome"] == "updated"
    assert run_cli(home, "secrets", "get", "local", "api-key").result["value"] == VALUE + "2"
    assert run_cli(home, "secrets", "list", "local").result["secrets"] == [{"name": "api-key"}]

    store = home / "secrets" / "local.json"
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    outside_store = home_text(tmp_path).replace(store.read_text(encoding="utf-8"), "")
    assert VALUE not in outside_store
    audit = run_cli(home, "audit", "list", "local").result["events"]
    puts = [e for e in audit if e["verb"] == "secrets put"]
    assert len(puts) >= 2
    assert all(e["result"]["name"] == "api-key" for e in puts)
    assert VALUE not in first.stdout + second.stdout


def test_missing_dev_secret_is_exit_2(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert run_cli(home, "env", "init").code == 0
    outcome = run_cli(home, "secrets", "get", "local", "nope")
    assert outcome.code == 2 and "'nope' is not set" in outcome.stderr

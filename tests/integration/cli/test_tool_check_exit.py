"""``env tool-check`` exits 3 (preflight failed) when any check fails, 0 when all pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli_runner import run_cli

pytestmark = pytest.mark.integration

AWS_ANSWERS = Path(__file__).resolve().parents[3] / "examples" / "aws-ecs" / "environment.json"


def test_a_failed_check_exits_3_with_the_whole_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("GREENTIC_GRANT", "prod-eu")
    created = run_cli(home, "env", "create", "--answers", str(AWS_ANSWERS))
    assert created.code == 0, created.stderr
    # No pulumi, no aws on PATH, and an STS endpoint that refuses at once (never the cloud).
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    outcome = run_cli(home, "env", "tool-check", "prod-eu", "--timeout", "5")
    assert outcome.code == 3, outcome.stderr
    assert outcome.result["failed_checks"] >= 2
    assert outcome.result["total_checks"] >= outcome.result["failed_checks"]


def test_all_checks_passing_exits_0(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert run_cli(home, "env", "init", "local").code == 0
    outcome = run_cli(home, "env", "tool-check", "local")
    assert outcome.code == 0, outcome.stderr
    assert outcome.result["failed_checks"] == 0

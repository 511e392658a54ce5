"""Global flags anywhere on the line, one JSON switch, and text documents that stay text."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from greentic_iac.cli.main import run
from greentic_iac.errors import GreenticError
from tests.support.cli_runner import run_argv


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    assert run_argv("--home", str(path), "env", "init").code == 0
    return path


def test_flags_after_the_verb_and_between_noun_and_verb(home: Path) -> None:
    after = run_argv("env", "list", "--home", str(home), "--output", "table")
    assert after.code == 0, after.stderr
    assert "local" in after.stdout and not after.stdout.lstrip().startswith("{")
    between = run_argv("env", "--home", str(home), "-o", "json", "list")
    assert between.code == 0, between.stderr
    assert [e["environment_id"] for e in between.result["environments"]] == ["local"]


def test_a_flag_before_the_noun_is_not_reset_by_the_verb(home: Path) -> None:
    outcome = run_argv("--home", str(home), "-o", "table", "env", "list")
    assert outcome.code == 0
    assert not outcome.stdout.lstrip().startswith("{")


def test_piped_result_verbs_stay_the_envelope(home: Path) -> None:
    outcome = run_argv("env", "list", "--home", str(home))
    assert outcome.json["op"] == "list"


def test_piped_preview_is_text_unless_json_is_asked(home: Path) -> None:
    text = run_argv("preview", "local", "--home", str(home))
    assert text.code == 0, text.stderr
    assert text.stdout.startswith("Preview of local")
    asked = run_argv("preview", "local", "--home", str(home), "-o", "json")
    assert json.loads(asked.stdout)["environment_id"] == "local"


def test_plan_canonical_is_the_plan_and_json_is_only_an_old_spelling(home: Path) -> None:
    canonical = run_argv("plan", "local", "--canonical", "--home", str(home))
    assert json.loads(canonical.stdout)["environment_id"] == "local"
    summary = run_argv("plan", "local", "-o", "json", "--home", str(home))
    assert summary.json["op"] == "plan" and "content_hash" in summary.result
    old = run_argv("plan", "local", "--json", "--home", str(home))
    assert old.stdout == canonical.stdout
    assert "plan --canonical" in old.stderr
    assert "--json" not in run_argv("plan", "--help").stdout


def test_debug_anywhere_reraises(home: Path) -> None:
    with pytest.raises(GreenticError), contextlib.redirect_stderr(io.StringIO()):
        run(["env", "show", "nope", "--home", str(home), "--debug"])

"""Issue 17: a denied ``env create``/``env init`` changes nothing on disk: no
``environments/<id>/`` is left behind. The denial is still audited, in the store's own
log (``audit/denied.jsonl``), and ``audit list <id>`` shows it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import ConsoleScript

pytestmark = [pytest.mark.integration, pytest.mark.reliability]  # the console script runs

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "k8s" / "environment.json"


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.mark.parametrize("verb", ["init", "create"])
def test_a_denied_create_leaves_no_environment_directory(script: ConsoleScript, verb: str) -> None:
    assert script.in_process("env", "init", "local").code == 0  # a used home, as in the attack
    before = _files(script.home)
    if verb == "init":
        outcome = script("env", "init", "zain-prod")
    else:
        outcome = script("env", "create", answers=json.loads(EXAMPLE.read_text()))

    assert outcome.code == 2, outcome.stdout
    assert "environment zain-prod: mutation denied" in outcome.stderr
    assert not (script.home / "environments" / "zain-prod").exists()
    assert _files(script.home) - before == {"audit", "audit/denied.jsonl"}

    audit = script.in_process("audit", "list", "zain-prod")
    assert audit.code == 0, audit.stderr
    [event] = audit.result["events"]
    assert (event["verb"], event["decision"], event["outcome"]) == (
        f"env {verb}",
        "deny",
        "error",
    )
    assert not (script.home / "environments" / "zain-prod").exists()


def test_a_denied_create_in_a_fresh_home_writes_only_the_denial(tmp_path: Path) -> None:
    home = tmp_path / "fresh"
    script = ConsoleScript(home, tmp_path)

    outcome = script("env", "init", "prod")

    assert outcome.code == 2
    assert _files(home) == {"audit", "audit/denied.jsonl"}

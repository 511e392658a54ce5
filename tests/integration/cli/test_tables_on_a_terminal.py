"""Tables as a person sees them on a terminal: `status` with its rollout rows, the list
verbs' curated columns, ids never cut, and `--wide`'s extra columns.

The environment is built through the CLI in this process against a real store; the rollout
is moved to a mid-way step by the runner's own transactions (rollout_steps.py, the path
`rollout run` takes). What is on screen is read through a real pseudo-terminal from the
console script.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from greentic_iac.operations import rollout_steps as steps
from greentic_iac.spec.rollout import AnalysisFigure, AnalysisResult
from greentic_iac.store import open_store
from tests.support.cli_runner import run_cli
from tests.support.pty_screen import plain, screen

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

SCRIPT = str(Path(sys.executable).parent / "greentic-iac")
STEPS = [
    {"kind": "set_weight", "weight_bps": 1000},
    {"kind": "analysis", "window_seconds": 60,
     "checks": [{"metric": "error_rate", "max": 0.05, "min_requests": 10}]},
    {"kind": "pause", "seconds": 600},
    {"kind": "set_weight", "weight_bps": 5000},
]  # fmt: skip


def _ok(home: Path, *argv: str, answers: dict[str, Any] | None = None) -> Any:
    if answers is not None:
        path = home.parent / f"answers-{len(list(home.parent.glob('answers-*')))}.json"
        path.write_text(json.dumps({"environment_id": "local", **answers}))
        argv = (*argv, "--answers", str(path))
    outcome = run_cli(home, *argv)
    assert outcome.code == 0, (argv, outcome.stderr)
    return outcome.result


@pytest.fixture(scope="module")
def rolled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """``local`` with ``shop`` at 90/10 in the pause step (3/4) of a rollout whose analysis
    passed, waited 100 s of its 600."""
    home = tmp_path_factory.mktemp("tables") / "home"
    _ok(home, "env", "init")
    _ok(home, "bundles", "add",
        answers={"bundle_id": "shop", "route_binding": {"host": "shop.localhost"}})  # fmt: skip
    for digit in "12":
        _ok(home, "revisions", "stage", answers={
            "deployment_id": "shop", "bundle_digest": "sha256:" + digit * 64,
            "command": ["true"]})  # fmt: skip
        _ok(home, "revisions", "warm", answers={"revision_id": f"shop@{digit}"})
    _ok(home, "traffic", "set", "local", "--deployment", "shop", "--weight", "shop@1=100")
    rollout_id = _ok(home, "rollout", "start", answers={
        "targets": [{"deployment_id": "shop", "stable_revision_id": "shop@1",
                     "canary_revision_id": "shop@2"}],
        "definition": {"steps": STEPS}})["rollout_id"]  # fmt: skip
    store = open_store(None, home=home)
    state = store.load("local")
    stable = state.rollouts[rollout_id].targets[0].stable_revision_id
    canary = state.rollouts[rollout_id].targets[0].canary_revision_id
    deployment = state.rollouts[rollout_id].targets[0].deployment_id
    now = datetime.now(UTC)
    figure = AnalysisFigure(deployment_id=deployment, revision_id=canary, metric="error_rate",
                            value=0.0125, requests=120, max=0.05, passed=True)  # fmt: skip
    result = AnalysisResult(step_index=1, passed=True, at=now, figures=[figure])
    for change in (
        lambda s: steps.apply_weight_step(s, rollout_id, 0),
        lambda s: steps.begin_wait(s, rollout_id, 1, now - timedelta(seconds=200), None),
        lambda s: steps.record_analysis(s, rollout_id, 1, result),
        lambda s: steps.begin_wait(s, rollout_id, 2, now - timedelta(seconds=100), None),
    ):
        store.mutate("local", change, verb="rollout step")
    return home, {
        "rollout_id": rollout_id, "stable": stable, "canary": canary, "deployment": deployment
    }  # fmt: skip


def _columns(text: str) -> list[str]:
    """Each table column's cells read top to bottom and joined: an id folded over several
    lines of its cell comes out whole, a cut one does not."""
    rows = [line.split("│")[1:-1] for line in text.splitlines() if line.count("│") >= 3]
    width = max((len(row) for row in rows), default=0)
    return ["".join(row[j].strip() for row in rows if len(row) == width) for j in range(width)]


def _terminal(home: Path, *argv: str, columns: int = 100, **extra: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in {"NO_COLOR", "GREENTIC_STORE"}}
    env.update(TERM="xterm-256color", **extra)
    code, text = screen([SCRIPT, "--home", str(home), *argv], env, columns=columns)
    assert code == 0, text[-2000:]
    return text


def test_status_json_carries_each_active_rollout_as_structured_fields(
    rolled: tuple[Path, dict[str, Any]],
) -> None:
    home, ids = rolled
    [environment] = _ok(home, "status", "local")["environments"]
    [rollout] = environment["rollouts"]
    assert rollout["rollout_id"] == ids["rollout_id"]
    assert (rollout["step"], rollout["step_kind"], rollout["status"]) == ("3/4", "pause", "running")
    assert rollout["weights"] == "shop@1 90% / shop@2 10%"
    [target] = rollout["targets"]
    assert target["canary"] == {"revision_id": ids["canary"], "name": "shop@2", "weight_bps": 1000}
    analysis = rollout["last_analysis"]
    assert analysis["verdict"] == "passed" and analysis["step"] == 2
    [figure] = analysis["figures"]
    assert (figure["metric"], figure["value"], figure["requests"], figure["name"]) == (
        "error_rate", 0.0125, 120, "shop@2")  # fmt: skip
    assert 480 < rollout["next_step_in_seconds"] <= 500
    assert rollout["next_step"].startswith("in 8m")


def test_status_on_a_terminal_shows_rollout_rows_not_raw_records(
    rolled: tuple[Path, dict[str, Any]],
) -> None:
    home, ids = rolled
    text = plain(_terminal(home, "status", "local", columns=120))
    assert "rollouts" in text and "3/4 pause" in text
    assert "shop@1 90% / shop@2 10%" in text
    assert "error_rate 0.0125 <= 0.05 (120 req)" in text and "passed (step 2)" in text
    assert "in 8m" in text
    assert any(ids["rollout_id"] in column for column in _columns(text))
    # No record dumped as a dict, no id cut short.
    assert "{'" not in text and '{"' not in text and "…" not in text


@pytest.mark.parametrize(
    ("argv", "narrow", "wide_only"),
    [
        (["revisions", "list", "local"], ["revision", "lifecycle", "shop@2"], ["bundle digest"]),
        (["traffic", "show", "local"], ["deployment", "shop@1", "90.00%"], ["generation"]),
        (["traffic", "history", "local"], ["traffic set", "100.00%"], ["principal"]),
        (["env", "list"], ["environment", "local"], ["tenant"]),
        (["bundles", "list", "local"], ["shop.localhost", "active"], ["customer"]),
        (["rollout", "status", "local"], ["3/4 pause", "shop@1"], ["canary weight"]),
        (["status", "local"], ["shop@2", "shop.localhost/"], ["host/path", "split gen"]),
    ],
)
def test_list_tables_never_cut_ids_and_wide_adds_columns(
    rolled: tuple[Path, dict[str, Any]], argv: list[str], narrow: list[str], wide_only: list[str]
) -> None:
    home, ids = rolled
    normal = plain(_terminal(home, *argv, columns=72))
    wide = plain(_terminal(home, *argv, "--wide", columns=200))
    assert "…" not in normal and "…" not in wide
    for text in narrow:
        assert text in normal, (text, normal)
    for column in wide_only:
        assert column not in normal and column in wide, (column, wide)
    # Every id on the narrow screen is whole, read down its column.
    columns = _columns(normal)
    # (`traffic history` lists `traffic set` calls: the stable revision's 100 %.)
    expected = {"rollout": ids["rollout_id"], "traffic": ids["stable"],
                "bundles": ids["deployment"]}.get(argv[0], ids["canary"])  # fmt: skip
    if argv[0] != "env":
        assert any(expected in column for column in columns), normal
    if argv[0] == "rollout":  # the weights by name, read down their column
        assert any("shop@190%/shop@210%" in column.replace(" ", "") for column in columns)

"""`traffic history` lists the splits a rollout set, not only `traffic set`'s: an operator
reading why shop@2 got 10 % at 02:00 finds the rollout step that did it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.rollouts.test_rollout_progress import _ok, _shop, _start
from tests.support.cli_runner import run_cli

pytestmark = pytest.mark.timeout(60)


def test_a_rollouts_steps_and_its_rollback_appear_in_traffic_history(tmp_path: Path) -> None:
    home = tmp_path / "home"
    canary = _shop(home)
    _start(home, [{"kind": "set_weight", "weight_bps": 1000}])
    # The runtime is not up, so the canary is unhealthy: one step, then the rollback.
    ran = run_cli(home, "rollout", "run", "local", "--poll", "0.1")
    assert ran.code == 0, ran.stderr
    assert ran.result["rollout"]["status"] == "rolled_back"

    changes = _ok(home, "traffic", "history", "local")["changes"]
    verbs = [c["verb"] for c in changes]
    assert verbs[0] == "traffic set"
    rollout_changes = [c for c in changes if c["verb"].startswith("rollout ")]
    canary_weights = [
        next(e["weight_bps"] for e in c["entries"] if e["revision_id"] == canary)
        for c in rollout_changes
    ]
    assert canary_weights == [1000, 0]
    generations = [c["generation"] for c in changes]
    assert generations == sorted(generations)

"""Verbs that change a split refuse one the target can't realise, before it is stored.

The seeded AWS environment serves one deployment 90/10 behind an ALB, whose forward action
takes at most five weighted target groups: a sixth weighted revision is refused by the
target (its compiler's finding, the same one preview shows) in ``traffic set``, file form
and quick form alike, with the store untouched; five are accepted.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.integration.verbs.conftest import Outcome, Seeded, tree_snapshot

pytestmark = pytest.mark.integration

Cli = Callable[..., Outcome]


def _answers(tmp_path: Path, payload: dict[str, Any]) -> str:
    path = tmp_path / f"answers-{len(list(tmp_path.glob('answers-*')))}.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    return str(path)


def _six_ready_revisions(cli: Cli, seeded: Seeded, tmp_path: Path) -> tuple[str, list[str]]:
    deployment, revisions = seeded.deployments["prod-eu"]
    revisions = list(revisions)
    for digit in "cdef":
        stage = {"environment_id": "prod-eu", "deployment_id": deployment,
                 "bundle_digest": "sha256:" + digit * 64}  # fmt: skip
        revision = cli("revisions", "stage", "--answers", _answers(tmp_path, stage))
        assert revision.code == 0, revision.stderr
        warm = {"environment_id": "prod-eu", "revision_id": revision.result["revision_id"]}
        warmed = cli("revisions", "warm", "--skip-health-check", "--answers",
                     _answers(tmp_path, warm))  # fmt: skip
        assert warmed.code == 0, warmed.stderr
        revisions.append(revision.result["revision_id"])
    return deployment, revisions


def test_traffic_set_refuses_six_weighted_target_groups_and_stores_nothing(
    cli: Cli, seeded: Seeded, tmp_path: Path
) -> None:
    deployment, revisions = _six_ready_revisions(cli, seeded, tmp_path)
    six = [5_000, 1_000, 1_000, 1_000, 1_000, 1_000]
    entries = [{"revision_id": r, "weight_bps": w} for r, w in zip(revisions, six, strict=True)]
    payload = {"environment_id": "prod-eu", "deployment_id": deployment, "entries": entries}
    before = tree_snapshot(seeded.home / "environments")
    refused = cli("traffic", "set", "--answers", _answers(tmp_path, payload))
    assert refused.code == 2
    [line] = refused.stderr.strip().splitlines()
    assert "greentic.deployer.aws-ecs can't realise this split: alb-weighted-target-groups" in line
    assert "at most 5 weighted target groups" in line
    weights = [f"--weight={r}={w}bps" for r, w in zip(revisions, six, strict=True)]
    quick = cli("traffic", "set", "prod-eu", "--deployment", deployment, *weights)
    assert quick.code == 2 and "alb-weighted-target-groups" in quick.stderr
    assert tree_snapshot(seeded.home / "environments") == before

    five = [6_000, 1_000, 1_000, 1_000, 1_000, 0]
    entries = [{"revision_id": r, "weight_bps": w} for r, w in zip(revisions, five, strict=True)]
    payload["entries"] = entries
    accepted = cli("traffic", "set", "--answers", _answers(tmp_path, payload))
    assert accepted.code == 0, accepted.stderr
    preview = cli("preview", "prod-eu", "--format", "json")
    assert json.loads(preview.stdout)["limits"] == []

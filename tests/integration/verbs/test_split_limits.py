"""Verbs that change a split refuse one the target can't realise, before it is stored.

The seeded AWS environment serves one deployment 90/10 behind an ALB, whose forward action
takes at most five weighted target groups: a sixth weighted revision is refused by the
target (its compiler's finding, the same one preview shows) in ``traffic set``, file form
and quick form alike, with the store untouched; five are accepted.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.verbs.conftest import Seeded
from tests.support.seeding import AnswersCli

pytestmark = pytest.mark.integration


def test_traffic_set_refuses_six_weighted_target_groups_and_stores_nothing(
    seeded: Seeded, tmp_path: Path
) -> None:
    cli = AnswersCli(seeded.home, tmp_path / "answers")
    deployment, revisions = seeded.deployments["prod-eu"]
    revisions = list(revisions)
    for digit in "cdef":
        stage = {"environment_id": "prod-eu", "deployment_id": deployment,
                 "bundle_digest": "sha256:" + digit * 64}  # fmt: skip
        revision = cli.ok("revisions", "stage", payload=stage)["revision_id"]
        warm = {"environment_id": "prod-eu", "revision_id": revision}
        cli.ok("revisions", "warm", "--skip-health-check", payload=warm)
        revisions.append(revision)

    def split(weights: list[int]) -> dict[str, object]:
        entries = [{"revision_id": r, "weight_bps": w}
                   for r, w in zip(revisions, weights, strict=True)]  # fmt: skip
        return {"environment_id": "prod-eu", "deployment_id": deployment, "entries": entries}

    six = [5_000, 1_000, 1_000, 1_000, 1_000, 1_000]
    before = cli.tree()
    refused = cli("traffic", "set", payload=split(six))
    assert refused.code == 2
    [line] = refused.stderr.strip().splitlines()
    assert "greentic.deployer.aws-ecs can't realise this split: alb-weighted-target-groups" in line
    assert "at most 5 weighted target groups" in line
    weights = [f"--weight={r}={w}bps" for r, w in zip(revisions, six, strict=True)]
    quick = cli("traffic", "set", "prod-eu", "--deployment", deployment, *weights)
    assert quick.code == 2 and "alb-weighted-target-groups" in quick.stderr
    assert cli.tree() == before

    cli.ok("traffic", "set", payload=split([6_000, 1_000, 1_000, 1_000, 1_000, 0]))
    preview = cli("preview", "prod-eu", "--format", "json")
    assert json.loads(preview.stdout)["limits"] == []

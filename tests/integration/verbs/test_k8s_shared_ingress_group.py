"""Issue 16 on the k8s target, through the CLI: three ``alb`` environments in one local store
share IngressGroup ``greentic`` on context ``zain-prod-eks``; their listener rules are counted
together in the group's claim record, so the third environment's ``traffic set`` (its first
rule) is refused at the quota, and ``env remove`` of another one makes room.

The rules quota is lowered to 2 for the test (one rule per routed deployment, so 100 would
take 100 deployments); the counting, the store record and the refusal are the real ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from greentic_iac.store.claims import read_claim
from greentic_iac.targets.k8s import group_claims
from tests.integration.verbs.conftest import SeedEnvironment, tree_snapshot
from tests.support.cli_runner import run_cli

REPO_ROOT = Path(__file__).resolve().parents[3]
ALB_ANSWERS = json.loads((REPO_ROOT / "examples" / "k8s" / "environment-alb.json").read_text())
SCOPE = "ingress-group:zain-prod-eks/greentic"
ENVIRONMENTS = ("alb-one", "alb-two", "alb-three")


def _answers(directory: Path, name: str, payload: dict[str, object]) -> Path:
    path = directory / f"{name}.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    return path


def test_the_third_environment_in_a_group_is_refused_at_the_rules_quota(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed_environment: SeedEnvironment
) -> None:
    monkeypatch.setitem(group_claims.QUOTAS, group_claims.RULES_QUOTA, 2)
    monkeypatch.setenv("GREENTIC_GRANT", ",".join(ENVIRONMENTS))
    home, answers = tmp_path / "home", tmp_path / "answers"
    answers.mkdir()
    for index, environment_id in enumerate(ENVIRONMENTS[:2]):
        env_answers = _answers(
            tmp_path, environment_id, {**ALB_ANSWERS, "environment_id": environment_id}
        )
        seed_environment(home, answers, env_answers, f"shop{index}.example.com")
    record = read_claim(home, SCOPE, group_claims.KIND)
    assert sorted(record["holders"]) == ["alb-one", "alb-two"]

    third = ENVIRONMENTS[2]
    created = run_cli(
        home, "env", "create", "--answers",
        str(_answers(tmp_path, third, {**ALB_ANSWERS, "environment_id": third})),
    )  # fmt: skip
    assert created.code == 0, created.stderr
    add = {"environment_id": third, "bundle_id": "fast2flow",
           "route_binding": {"host": "shop2.example.com", "path_prefix": "/"}}  # fmt: skip
    deployment = run_cli(home, "bundles", "add", "--answers", str(_answers(answers, "add", add)))
    deployment_id = deployment.result["deployment_id"]
    stage = {"environment_id": third, "deployment_id": deployment_id,
             "bundle_digest": "sha256:" + "c" * 64}  # fmt: skip
    revision_id = run_cli(
        home, "revisions", "stage", "--answers", str(_answers(answers, "stage", stage))
    ).result["revision_id"]
    warm = {"environment_id": third, "revision_id": revision_id}
    # Offline: no cloud to ask for health, so the check is skipped (as the seeding does).
    warmed = run_cli(
        home, "revisions", "warm", "--skip-health-check",
        "--answers", str(_answers(answers, "warm", warm)),
    )  # fmt: skip
    assert warmed.code == 0, warmed.stderr
    traffic = _answers(
        answers,
        "traffic",
        {"environment_id": third, "deployment_id": deployment_id,
         "entries": [{"revision_id": revision_id, "weight_bps": 10_000}]},
    )  # fmt: skip

    before = tree_snapshot(home / "environments")
    assert any(path.endswith(".json") for path in before)
    refused = run_cli(home, "traffic", "set", "--answers", str(traffic))
    assert refused.code == 2, refused.stderr
    [line] = refused.stderr.strip().splitlines()
    assert "ALB listener rules" in line and "IngressGroup zain-prod-eks/greentic" in line
    assert "across environments alb-one, alb-three, alb-two" in line
    assert "Traceback" not in refused.stderr
    assert tree_snapshot(home / "environments") == before
    assert sorted(read_claim(home, SCOPE, group_claims.KIND)["holders"]) == ["alb-one", "alb-two"]

    # alb-one was never applied: removing it frees its rule at once.
    remove = {"environment_id": "alb-one", "force": True}
    removed = run_cli(home, "env", "remove", "--answers", str(_answers(answers, "remove", remove)))
    assert removed.code == 0, removed.stderr
    accepted = run_cli(home, "traffic", "set", "--answers", str(traffic))
    assert accepted.code == 0, accepted.stderr
    assert sorted(read_claim(home, SCOPE, group_claims.KIND)["holders"]) == ["alb-three", "alb-two"]

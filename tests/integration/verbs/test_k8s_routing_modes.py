"""Issue #10's "done when": plan, preview and export on a sample Kubernetes environment in
each routing mode (gateway, nginx, alb), each made with ``env create`` from examples/k8s/."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[3]

MODES = {
    "gateway": ("environment.json", "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"),
    "nginx": ("environment-nginx.json", "kubernetes:networking.k8s.io/v1:Ingress"),
    "alb": ("environment-alb.json", "kubernetes:networking.k8s.io/v1:Ingress"),
}


def _routes(plan: dict, type_token: str) -> list[dict]:
    return [r for r in plan["resources"] if r["type"] == type_token]


@pytest.mark.parametrize("mode", sorted(MODES))
def test_plan_preview_and_export_in_every_routing_mode(
    mode: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed_environment, run_cli
) -> None:
    answers_file, route_type = MODES[mode]
    answers = REPO_ROOT / "examples" / "k8s" / answers_file
    environment_id = json.loads(answers.read_text())["environment_id"]
    monkeypatch.setenv("GREENTIC_GRANT", environment_id)
    home, answers_dir = tmp_path / "home", tmp_path / "answers"
    answers_dir.mkdir()
    _, deployment, revisions = seed_environment(home, answers_dir, answers, "shop.example.com")

    planned = run_cli(home, "plan", environment_id, "--canonical")
    assert planned.code == 0, planned.stderr
    plan = json.loads(planned.stdout)
    routes = _routes(plan, route_type)
    assert routes, f"{mode}: no {route_type} in the plan"
    [traffic] = plan["traffic"]
    assert traffic["deployment_id"] == deployment
    requested = {r["revision_id"]: r["requested_bps"] for r in traffic["revisions"]}
    assert requested == {revisions[0]: 9000, revisions[1]: 1000}
    if mode == "nginx":
        # The stable Ingress plus exactly one canary carrying the 10 % in basis points.
        canaries = [
            r
            for r in routes
            if (r["properties"]["metadata"].get("annotations") or {}).get(
                "nginx.ingress.kubernetes.io/canary"
            )
            == "true"
        ]
        assert len(routes) == 2 and len(canaries) == 1
        notes = canaries[0]["properties"]["metadata"]["annotations"]
        assert notes["nginx.ingress.kubernetes.io/canary-weight"] == "1000"
        assert notes["nginx.ingress.kubernetes.io/canary-weight-total"] == "10000"

    previewed = run_cli(home, "preview", environment_id, "--format", "json")
    assert previewed.code == 0, previewed.stderr
    document = json.loads(previewed.stdout)
    assert document["baseline"]["source"] == "empty"
    assert document["summary"]["create"] == len(plan["resources"])
    assert not document["refused"]

    out = tmp_path / "manifests"
    exported = run_cli(home, "export", environment_id, "--format", "k8s-yaml", "--out", str(out))
    assert exported.code == 0, exported.stderr
    kinds = sorted(
        document["kind"]
        for path in out.glob("*.yaml")
        for document in yaml.safe_load_all(path.read_text())
        if document
    )
    expected_route_kind = "HTTPRoute" if mode == "gateway" else "Ingress"
    assert kinds.count("Deployment") == 2 and kinds.count("Service") == 2
    assert kinds.count(expected_route_kind) == len(routes)


@pytest.mark.parametrize(
    ("mode", "path", "rule"),
    [("gateway", "/shop//cart", "Gateway API HTTPRoute"), ("alb", "/shop(1)", "ALB path-pattern")],
)
def test_a_path_the_routing_mode_refuses_is_exit_2_naming_the_field_and_rule(
    mode: str,
    path: str,
    rule: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    seed_environment,
    run_cli,
) -> None:
    answers = REPO_ROOT / "examples" / "k8s" / MODES[mode][0]
    environment_id = json.loads(answers.read_text())["environment_id"]
    monkeypatch.setenv("GREENTIC_GRANT", environment_id)
    home, answers_dir = tmp_path / "home", tmp_path / "answers"
    answers_dir.mkdir()
    seed_environment(home, answers_dir, answers, "shop.example.com")
    bad = answers_dir / "bad.json"
    bad.write_text(
        json.dumps(
            {
                "environment_id": environment_id,
                "bundle_id": "cart",
                "route_binding": {"host": "shop.example.com", "path_prefix": path},
            }
        )
    )
    assert run_cli(home, "bundles", "add", "--answers", str(bad)).code == 0
    planned = run_cli(home, "plan", environment_id, "--canonical")
    assert planned.code == 2
    [line] = planned.stderr.strip().splitlines()
    assert ".route_binding.path_prefix: " in line and rule in line and "Traceback" not in line

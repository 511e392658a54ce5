"""Application config on ECS: the container environment, deployment keys over environment
keys, and greentic-iac's own keys never in a task definition (so setting one replaces
nothing)."""

from __future__ import annotations

import json
from typing import Any

from greentic_iac.targets.aws_ecs import compile_plan
from tests.targets.aws_ecs.cases import CASES, deployment_id


def _environments(plan: Any) -> list[dict[str, str]]:
    tasks = [r for r in plan.resources if r.type == "aws:ecs/taskDefinition:TaskDefinition"]
    assert tasks
    found = []
    for task in tasks:
        (container,) = json.loads(str(task.properties["containerDefinitions"]))
        found.append({e["name"]: e["value"] for e in container["environment"]})
    return found


def test_tool_keys_stay_out_and_deployment_keys_win() -> None:
    state = CASES["create-all-http-one-revision"]()
    baseline = compile_plan(state).content_hash()
    state.config["pulumi.backend_url"] = "s3://acme-pulumi-state"
    assert compile_plan(state).content_hash() == baseline
    state.deployment_config[deployment_id(1)] = {"LOG_LEVEL": "debug"}
    for environment in _environments(compile_plan(state)):
        assert environment["LOG_LEVEL"] == "debug"
        assert not any(name.startswith("pulumi.") for name in environment)

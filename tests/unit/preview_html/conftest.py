"""Hand-written preview documents (greentic.preview.v1) for the HTML renderer's tests."""

from __future__ import annotations

import copy
from typing import Any

import pytest

DEPLOYMENT = "01J9ZQ6W3K8Y2V5T7R4N1M0P9A"
REVISION_OLD = "01J9ZQ6W3K8Y2V5T7R4N1M0P9B"
REVISION_NEW = "01J9ZQ6W3K8Y2V5T7R4N1M0P9C"

DOCUMENT: dict[str, Any] = {
    "schema_version": "greentic.preview.v1",
    "environment_id": "prod-eu",
    "target": "greentic.deployer.aws-ecs",
    "baseline": {
        "source": "applied",
        "path": "/home/ops/.greentic/environments/prod-eu/applied-plan.json",
        "content_hash": "sha256:" + "a" * 64,
    },
    "plan_hash": "sha256:" + "b" * 64,
    "changed": True,
    "refused": False,
    "summary": {
        "create": 1,
        "update": 1,
        "replace": 0,
        "delete": 0,
        "unchanged": 26,
        "traffic_changes": 1,
    },
    "resources": [
        {
            "action": "create",
            "name": f"tg-{REVISION_NEW}",
            "type": "aws:lb/targetGroup:TargetGroup",
            "changes": [{"path": "port", "before": None, "after": 8080, "forces_replace": False}],
        },
        {
            "action": "update",
            "name": f"rule-{DEPLOYMENT}",
            "type": "aws:lb/listenerRule:ListenerRule",
            "changes": [
                {
                    "path": "actions[0].forward.targetGroups[1].weight",
                    "before": 990,
                    "after": 500,
                    "forces_replace": False,
                }
            ],
        },
    ],
    "traffic": [
        {
            "deployment_id": DEPLOYMENT,
            "method": "alb-weight-0-999",
            "changed": True,
            "revisions": [
                {
                    "revision_id": REVISION_OLD,
                    "before_bps": 9900,
                    "after_bps": 5000,
                    "applied_weight": 500,
                    "effective_bps": 5000.0,
                },
                {
                    "revision_id": REVISION_NEW,
                    "before_bps": 100,
                    "after_bps": 5000,
                    "applied_weight": 500,
                    "effective_bps": 5000.0,
                },
            ],
        }
    ],
    "limits": [],
    "policy": {"violations": [], "overridden": False},
    "warnings": [],
}


@pytest.fixture
def document() -> dict[str, Any]:
    """A fresh copy each test may change."""
    return copy.deepcopy(DOCUMENT)

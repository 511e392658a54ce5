"""Seed 000 §04, the operator transcript, end to end through the console script."""

from __future__ import annotations

from typing import Any

import pytest

CliRunner = Any

pytestmark = pytest.mark.integration


def test_seed_transcript(cli: CliRunner) -> None:
    init = cli("env", "init")
    assert init.code == 0, init.stderr
    assert init.json["noun"] == "env" and init.json["op"] == "init"
    assert init.result["outcome"] == "created"
    assert init.result["pack_count"] == 5
    again = cli("env", "init")
    assert again.result["outcome"] == "untouched"

    envs = cli("env", "list").result["environments"]
    assert [(e["environment_id"], e["pack_count"]) for e in envs] == [("local", 5)]

    packs = cli("env-packs", "list", "local")
    assert packs.code == 0, packs.stderr
    rows = packs.result["packs"]
    assert [(r["slot"], r["kind"]) for r in rows][:2] == [
        ("deployer", "greentic.deployer.local-process@0.1.0"),
        ("secrets", "greentic.secrets.dev-store@0.1.0"),
    ]

    added = cli(
        "bundles",
        "add",
        answers={
            "environment_id": "local",
            "bundle_id": "fast2flow",
            "route_binding": {"host": "localhost", "path_prefix": "/"},
        },
    )
    assert added.code == 0, added.stderr
    deployment_id = added.result["deployment_id"]
    assert added.result["customer_id"] == "local-dev"
    assert added.result["lifecycle"] == "active"
    assert (
        cli("bundles", "list", "local").result["deployments"][0]["deployment_id"] == deployment_id
    )

    staged = cli(
        "revisions",
        "stage",
        answers={
            "environment_id": "local",
            "deployment_id": deployment_id,
            "bundle_digest": "sha256:abc123",
        },
    )
    assert staged.code == 0, staged.stderr
    revision_id = staged.result["revision_id"]
    assert staged.result["lifecycle"] == "staged" and staged.result["sequence"] == 1
    assert staged.result["bundle_id"] == "fast2flow"

    warm = cli("revisions", "warm", answers={"environment_id": "local", "revision_id": revision_id})
    assert warm.code == 0, warm.stderr
    assert warm.result["lifecycle"] == "ready" and warm.result["sequence"] == 1

    traffic = cli(
        "traffic",
        "set",
        answers={
            "environment_id": "local",
            "deployment_id": deployment_id,
            "idempotency_key": "first-rollout",
            "entries": [{"revision_id": revision_id, "weight_percent": 100}],
        },
    )
    assert traffic.code == 0, traffic.stderr
    assert traffic.result == {
        "deployment_id": deployment_id,
        "entries": [{"revision_id": revision_id, "weight_bps": 10000}],
        "generation": 0,
        "has_previous": False,
    }

    events = cli("audit", "list", "local").result["events"]
    verbs = [e["verb"] for e in events if e.get("phase") == "done"]
    for verb in ["env init", "bundles add", "revisions stage", "revisions warm", "traffic set"]:
        assert verb in verbs, (verb, verbs)


def test_second_revision_and_rollback(cli: CliRunner) -> None:
    cli("env", "init")
    deployment_id = cli(
        "bundles",
        "add",
        answers={
            "environment_id": "local",
            "bundle_id": "b",
            "route_binding": {"host": "localhost"},
        },
    ).result["deployment_id"]
    revs = []
    for digest in ("sha256:aa", "sha256:bb"):
        rid = cli(
            "revisions",
            "stage",
            answers={
                "environment_id": "local",
                "deployment_id": deployment_id,
                "bundle_digest": digest,
            },
        ).result["revision_id"]
        assert (
            cli("revisions", "warm", answers={"environment_id": "local", "revision_id": rid}).code
            == 0
        )
        revs.append(rid)
    first = {
        "environment_id": "local",
        "deployment_id": deployment_id,
        "entries": [{"revision_id": revs[0], "weight_bps": 10000}],
    }
    assert cli("traffic", "set", answers=first).code == 0
    second = {
        "environment_id": "local",
        "deployment_id": deployment_id,
        "entries": [
            {"revision_id": revs[0], "weight_percent": 99},
            {"revision_id": revs[1], "weight_percent": 1},
        ],
        "idempotency_key": "canary-1",
    }
    result = cli("traffic", "set", answers=second).result
    assert result["generation"] == 1 and result["has_previous"] is True
    # A retry replays the first result; history below still lists one change for it.
    assert cli("traffic", "set", answers=second).result == result
    # A revision with weight cannot be drained; the error names the split that holds it.
    drain = cli("revisions", "drain", answers={"environment_id": "local", "revision_id": revs[1]})
    assert drain.code == 2
    assert "100 bps" in drain.stderr and "traffic set" in drain.stderr
    rolled = cli(
        "traffic", "rollback", answers={"environment_id": "local", "deployment_id": deployment_id}
    ).result
    assert rolled["entries"] == [{"revision_id": revs[0], "weight_bps": 10000}]
    assert (
        cli(
            "revisions", "drain", answers={"environment_id": "local", "revision_id": revs[1]}
        ).result["lifecycle"]
        == "draining"
    )
    history = cli("traffic", "history", "local").result["changes"]
    assert [c["generation"] for c in history] == [0, 1, 2]

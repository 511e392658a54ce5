"""Answers files name revisions ``shop@2`` or by a unique id prefix, deployments by bundle id.

Driven through the CLI in this process, against a real store on disk: the name is resolved
once when the payload is read, the verb acts on the full id, the audit log keeps full ids,
and an unknown or ambiguous name is exit 2 naming the field, with the store untouched.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli_runner import Outcome, run_cli

ENV = "local"


class Env:
    def __init__(self, home: Path, tmp_path: Path) -> None:
        self.home = home
        self.tmp_path = tmp_path
        self.count = 0

    def call(self, *argv: str, payload: dict[str, Any] | None = None) -> Outcome:
        args = list(argv)
        if payload is not None:
            self.count += 1
            path = self.tmp_path / f"answers-{self.count}.json"
            path.write_text(json.dumps({"environment_id": ENV, **payload}))
            args += ["--answers", str(path)]
        return run_cli(self.home, *args)

    def ok(self, *argv: str, payload: dict[str, Any] | None = None) -> Any:
        outcome = self.call(*argv, payload=payload)
        assert outcome.code == 0, outcome.stderr
        return outcome.result

    def deployment(self, bundle: str, host: str) -> tuple[str, list[str]]:
        deployment = self.ok(
            "bundles", "add",
            payload={"bundle_id": bundle, "route_binding": {"host": host}},
        )["deployment_id"]  # fmt: skip
        revisions = []
        for digit in "12":
            revisions.append(
                self.ok(
                    "revisions", "stage",
                    payload={"deployment_id": deployment, "bundle_digest": "sha256:" + digit * 64,
                             "command": ["true"]},
                )["revision_id"]
            )  # fmt: skip
        return deployment, revisions

    def state_bytes(self) -> bytes:
        return (self.home / "environments" / ENV / "state.json").read_bytes()


@pytest.fixture
def env(tmp_path: Path) -> Env:
    home = tmp_path / "home"
    home.mkdir()
    environment = Env(home, tmp_path)
    environment.ok("env", "init", ENV)
    return environment


def test_bundle_ids_and_sequences_name_deployments_and_revisions(env: Env) -> None:
    shop, (shop1, shop2) = env.deployment("shop", "shop.localhost")
    env.deployment("billing", "billing.localhost")

    for name in ("shop@1", "shop@2"):
        env.ok("revisions", "warm", payload={"revision_id": name})
    env.ok("traffic", "set", payload={
        "deployment_id": "shop",
        "entries": [{"revision_id": "shop@1", "weight_percent": 90},
                    {"revision_id": shop2[:10].lower(), "weight_percent": 10}],
        "idempotency_key": "shop-canary",
    })  # fmt: skip

    split = env.ok("traffic", "show", ENV)
    text = json.dumps(split)
    assert shop in text and shop1 in text and shop2 in text
    # The read verbs print the names beside the ids, as an answers file may use them.
    [shown] = [d for d in split["deployments"] if d["deployment_id"] == shop]
    assert shown["bundle_id"] == "shop"
    assert [(e["name"], e["revision_id"]) for e in shown["entries"]] == [
        ("shop@1", shop1),
        ("shop@2", shop2),
    ]
    listed = env.ok("revisions", "list", ENV)["revisions"]
    assert {(r["name"], r["revision_id"]) for r in listed} >= {("shop@1", shop1), ("shop@2", shop2)}
    # The audit event holds the ids the verb acted on, never the names it was given.
    [event] = env.ok("audit", "list", ENV, "--limit", "1")["events"]
    recorded = json.dumps(event)
    assert shop in recorded and shop1 in recorded and shop2 in recorded
    assert "shop@1" not in recorded and shop2[:10].lower() not in recorded


@pytest.mark.parametrize(
    ("payload", "field", "why"),
    [
        ({"revision_id": "shop@9"}, "revision_id", "has no revision 'shop@9'"),
        ({"revision_id": "nosuch@1"}, "revision_id", "has no revision 'nosuch@1'"),
        ({"revision_id": "01"}, "revision_id", "shorter than 6 characters"),
        ({"revision_id": "zzzzzzzz"}, "revision_id", "has no revision named"),
    ],
)
def test_unknown_names_are_exit_2_naming_the_field(
    env: Env, payload: dict[str, Any], field: str, why: str
) -> None:
    env.deployment("shop", "shop.localhost")
    before = env.state_bytes()
    outcome = env.call("revisions", "warm", payload=payload)
    assert outcome.code == 2
    [line] = outcome.stderr.splitlines()
    assert f": {field}: " in line and why in line, line
    assert "Traceback" not in outcome.stderr
    assert env.state_bytes() == before


def test_an_ambiguous_bundle_id_or_prefix_is_exit_2(env: Env) -> None:
    first, revisions = env.deployment("shop", "shop.localhost")
    env.deployment("shop", "shop2.localhost")
    before = env.state_bytes()

    outcome = env.call("traffic", "rollback", payload={"deployment_id": "shop"})
    assert outcome.code == 2
    [line] = outcome.stderr.splitlines()
    assert "deployment_id: 2 active deployments" in line and first in line

    outcome = env.call("revisions", "warm", payload={"revision_id": "shop@1"})
    assert outcome.code == 2 and "revision_id: 'shop@1' is ambiguous" in outcome.stderr

    # ULIDs created in the same millisecond share their first 10 characters.
    shared = revisions[0][:6]
    outcome = env.call("revisions", "warm", payload={"revision_id": shared})
    assert outcome.code == 2 and "revision_id: the id prefix" in outcome.stderr
    assert env.state_bytes() == before


def test_a_name_inside_deployments_is_resolved_per_deployment(env: Env) -> None:
    _, (shop1, _) = env.deployment("shop", "shop.localhost")
    billing, (billing1, _) = env.deployment("billing", "billing.localhost")
    for name in ("shop@1", "billing@1"):
        env.ok("revisions", "warm", payload={"revision_id": name})
    env.ok("traffic", "set", payload={"deployments": [
        {"deployment_id": "shop", "entries": [{"revision_id": "shop@1", "weight_percent": 100}]},
        {"deployment_id": "billing",
         "entries": [{"revision_id": "billing@1", "weight_percent": 100}]},
    ]})  # fmt: skip
    splits = json.dumps(env.ok("traffic", "show", ENV))
    assert shop1 in splits and billing1 in splits and billing in splits

    outcome = env.call("traffic", "set", payload={"deployments": [
        {"deployment_id": "billing", "entries": [{"revision_id": "nope@1", "weight_percent": 100}]},
    ]})  # fmt: skip
    assert outcome.code == 2
    assert "deployments[0].entries[0].revision_id:" in outcome.stderr


def _serving(env: Env, bundle: str, host: str) -> tuple[str, list[str]]:
    deployment, revisions = env.deployment(bundle, host)
    for sequence in (1, 2):
        env.ok("revisions", "warm", payload={"revision_id": f"{bundle}@{sequence}"})
    entries = [{"revision_id": f"{bundle}@1", "weight_percent": 100}]
    env.ok("traffic", "set", payload={"deployment_id": bundle, "entries": entries})
    return deployment, revisions


STEPS = {"steps": [{"kind": "set_weight", "weight_bps": 1000}]}


def test_a_rollout_definition_takes_names_and_stores_full_ids(env: Env) -> None:
    shop, (shop1, shop2) = _serving(env, "shop", "shop.localhost")
    started = env.ok("rollout", "start", payload={
        "targets": [{"deployment_id": "shop", "stable_revision_id": shop1.lower(),
                     "canary_revision_id": shop2[:12].lower()}],
        "definition": STEPS,
    })  # fmt: skip
    assert started["targets"] == [
        {"deployment_id": shop, "stable_revision_id": shop1, "canary_revision_id": shop2}
    ]
    state = json.loads(env.state_bytes())["state"]  # the state file's envelope
    [stored] = state["rollouts"].values()
    assert stored["targets"] == started["targets"]
    [event] = env.ok("audit", "list", ENV, "--limit", "1")["events"]
    recorded = json.dumps(event)
    assert event["verb"] == "rollout start" and shop1 in recorded and shop2 in recorded
    assert shop1.lower() not in recorded and shop2[:12].lower() not in recorded


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (
            {"deployment_id": "shop", "stable_revision_id": "shop@1",
             "canary_revision_id": "shop@9"},
            "targets[0].canary_revision_id: local has no revision 'shop@9'",
        ),
        (
            {"deployment_id": "nope", "stable_revision_id": "shop@1",
             "canary_revision_id": "shop@2"},
            "targets[0].deployment_id: no active deployment of local has the id or bundle id",
        ),
        (
            {"deployment_id": "shop", "stable_revision_id": "01",
             "canary_revision_id": "shop@2"},
            "targets[0].stable_revision_id: the id prefix '01' is shorter than 6",
        ),
    ],
)  # fmt: skip
def test_a_bad_name_in_a_rollout_definition_is_exit_2_naming_the_field(
    env: Env, target: dict[str, str], message: str
) -> None:
    _serving(env, "shop", "shop.localhost")
    before = env.state_bytes()
    outcome = env.call("rollout", "start", payload={"targets": [target], "definition": STEPS})
    assert outcome.code == 2
    [line] = outcome.stderr.splitlines()
    assert message in line, line
    assert env.state_bytes() == before

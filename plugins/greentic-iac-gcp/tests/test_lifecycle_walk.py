"""A revision's life through the real verbs, plan after plan: stage -> warm -> shift ->
drain -> deactivate -> archive. Names never change (logical and physical), capacity follows
the lifecycle, no step replaces a resource (pulumi-gcp's forces-new arguments), and once a revision is archived nothing of it
is left in the plan. Every step's plan goes through the core's emitter under mocks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from greentic_iac_gcp.replace_rules import replacements

from greentic_iac.plan import Plan
from greentic_iac.pulumi.testing import assert_registered_matches_plan

from .cli_walk import ENVIRONMENT, Walk

PER_REVISION = ("run-", "invoker-", "neg-", "backend-")
SHARED = {
    "address",
    "certificate",
    "forwarding-http",
    "forwarding-https",
    "http-proxy",
    "https-proxy",
    "runtime-account",
    "url-map",
    "url-map-http-redirect",
}


def _names(plan: dict[str, Any]) -> dict[str, str | None]:
    """logical name -> physical name (``name``/``accountId``, None when the cloud names it)."""
    return {
        r["name"]: r["properties"].get("name") or r["properties"].get("accountId")
        for r in plan["resources"]
    }


def _scaling(plan: dict[str, Any], revision: str) -> dict[str, Any]:
    found = [r for r in plan["resources"] if r["name"] == f"run-{revision.lower()}"]
    return dict(found[0]["properties"]["scaling"])


def _pinned(plan: dict[str, Any]) -> set[str]:
    url_map = next(r for r in plan["resources"] if r["name"] == "url-map")
    pins: set[str] = set()
    for matcher in url_map["properties"]["pathMatchers"]:
        for rule in matcher["routeRules"]:
            for match in rule["matchRules"]:
                pins |= {h["exactMatch"] for h in match.get("headerMatches", [])}
    return pins


def _expected_names(plan: dict[str, Any], revisions: list[str]) -> set[str]:
    per_revision = {f"{kind}{r.lower()}" for r in revisions for kind in PER_REVISION}
    secrets = {r["name"] for r in plan["resources"] if r["name"].startswith("secret-access-")}
    return SHARED | per_revision | secrets


@pytest.fixture
def walk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Walk:
    monkeypatch.setenv("GREENTIC_GRANT", ENVIRONMENT)
    return Walk(tmp_path)


def test_a_revision_walks_its_life_with_stable_names_and_nothing_left_behind(
    walk: Walk, tmp_path: Path
) -> None:
    walk.create()
    deployment = walk.add_bundle()
    plans: list[tuple[str, dict[str, Any]]] = []

    def step(label: str) -> dict[str, Any]:
        plan = walk.plan()
        assert not [f for f in plan["findings"] if f["severity"] == "error"], (label, plan)
        if plans:
            before = tmp_path / f"before-{len(plans)}.json"
            before.write_text(json.dumps(plans[-1][1]), encoding="utf-8")
            outcome = walk.run("preview", ENVIRONMENT, "--format", "json", "--against", str(before))
            assert outcome.code == 0, (label, outcome.stderr)
            preview = json.loads(outcome.stdout)
            assert not preview["refused"], (label, preview["limits"])
            # No step replaces anything (by pulumi-gcp's forces-new arguments: the core's
            # preview has no replace rules for gcp tokens).
            previous = Plan.model_validate(plans[-1][1])
            assert replacements(previous, Plan.model_validate(plan)) == [], label
        plans.append((label, plan))
        return plan

    old = walk.stage(deployment, "a")
    staged = step("stage old")
    assert _scaling(staged, old) == {"scalingMode": "MANUAL", "manualInstanceCount": 0}
    assert _pinned(staged) == set()
    walk.warm(old)
    assert walk.split(deployment, {old: 10_000}).code == 0
    serving = step("old serves")
    assert _scaling(serving, old) == {
        "scalingMode": "AUTOMATIC",
        "minInstanceCount": 1,
        "maxInstanceCount": 20,
    }

    new = walk.stage(deployment, "b")
    step("stage new")
    walk.warm(new)
    step("warm new")
    for weights in ({old: 9_000, new: 1_000}, {old: 5_000, new: 5_000}, {new: 10_000}):
        assert walk.split(deployment, weights).code == 0
        step(f"shift {weights}")
    walk.transition("drain", old)
    draining = step("drain old")
    assert _scaling(draining, old)["scalingMode"] == "AUTOMATIC"  # connections drain
    assert old in _pinned(draining)
    walk.transition("deactivate", old)
    inactive = step("deactivate old")
    assert _scaling(inactive, old) == {"scalingMode": "MANUAL", "manualInstanceCount": 0}
    assert _pinned(inactive) == {new}
    walk.transition("archive", old)
    archived = step("archive old")

    # Names: a resource keeps its logical and physical name at every step it exists in.
    seen: dict[str, str | None] = {}
    for label, plan in plans:
        for logical, physical in _names(plan).items():
            assert seen.setdefault(logical, physical) == physical, (label, logical)
    # Nothing leaks: the archived revision is gone from every resource, the rest is exact.
    assert set(_names(archived)) == _expected_names(archived, [new])
    assert old not in json.dumps(archived) and old.lower() not in json.dumps(archived)
    [traffic] = archived["traffic"]
    assert [r["revision_id"] for r in traffic["revisions"]] == [new]

    # Every step is a plan the typed pulumi-gcp classes take (one grouped run each).
    for _, plan in (plans[1], plans[-3], plans[-1]):
        assert_registered_matches_plan(Plan.model_validate(plan))

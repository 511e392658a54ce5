"""What the seed promises about state, held across restore, rollback and damage.

An archived revision is final (a restore never brings it back), a restore is a new
generation, the max-step policy gates every path that moves a split and every override
is audited, a drain can be cancelled with the verb the hint names, and one damaged state
neither hides the other environments nor blocks its own removal.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .exactly_once_support import Home, local_with_deployment, stage_payload

pytestmark = [pytest.mark.reliability, pytest.mark.integration]


def _ready(home: Home, deployment: str, digit: str) -> str:
    revision = str(
        home.ok("revisions", "stage", payload=stage_payload(deployment, digit))["revision_id"]
    )
    home.ok("revisions", "warm", payload={"environment_id": "local", "revision_id": revision})
    return revision


def _split(home: Home, deployment: str, weights: dict[str, int], **extra: Any) -> Any:
    return home.run(
        "traffic",
        "set",
        payload={
            "environment_id": "local",
            "deployment_id": deployment,
            "entries": [{"revision_id": r, "weight_bps": w} for r, w in weights.items()],
            **extra,
        },
    )


def _last_done(home: Home, verb: str) -> dict[str, Any]:
    events = home.ok("audit", "list", "local")["events"]
    return next(e for e in reversed(events) if e["verb"] == verb and e["phase"] == "done")


def test_restore_never_unarchives_and_is_a_new_generation(tmp_path: Path) -> None:
    home, deployment = local_with_deployment(tmp_path / "env")
    revision = str(home.ok("revisions", "stage", payload=stage_payload(deployment))["revision_id"])
    staged_generation = home.state()["generation"]
    home.ok("revisions", "archive", payload={"environment_id": "local", "revision_id": revision})
    before = home.state()["generation"]

    restored = home.ok("env", "restore", "local", "--generation", str(staged_generation))
    state = home.state()
    assert state["revisions"][revision]["lifecycle"] == "archived"
    assert restored["generation"] == state["generation"] == before + 1
    generations = [b["generation"] for b in home.ok("env", "backups", "local")["backups"]]
    assert max(generations) < state["generation"]


def test_restore_refuses_a_backup_that_gives_traffic_to_a_since_archived_revision(
    tmp_path: Path,
) -> None:
    home, deployment = local_with_deployment(tmp_path / "env")
    old = _ready(home, deployment, "a")
    new = _ready(home, deployment, "b")
    assert _split(home, deployment, {old: 10_000}).code == 0
    serving_old = home.state()["generation"]
    assert _split(home, deployment, {new: 10_000, old: 0}).code == 0
    for verb in ("drain", "deactivate", "archive"):
        home.ok("revisions", verb, payload={"environment_id": "local", "revision_id": old})
    before = home.state()

    refused = home.run("env", "restore", "local", "--generation", str(serving_old))
    assert refused.code == 2 and "archived revision is final" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert home.state() == before


def test_rollback_passes_the_max_step_gate_and_overrides_are_audited(tmp_path: Path) -> None:
    home, deployment = local_with_deployment(tmp_path / "env")
    first = _ready(home, deployment, "a")
    second = _ready(home, deployment, "b")
    assert _split(home, deployment, {first: 10_000}).code == 0
    assert _split(home, deployment, {first: 5_000, second: 5_000}).code == 0
    home.ok("env", "policy", payload={"environment_id": "local", "policy": {"max_step_bps": 1000}})
    rollback = {"environment_id": "local", "deployment_id": deployment}
    before = home.state()

    refused = home.run("traffic", "rollback", payload=rollback)
    assert refused.code == 2 and "max_step_bps of 1000" in refused.stderr
    assert home.state() == before

    forced = home.ok(
        "traffic",
        "rollback",
        payload={**rollback, "override_policy": True, "override_reason": "incident 42"},
    )
    assert forced["entries"] == [{"revision_id": first, "weight_bps": 10_000}]
    override = _last_done(home, "traffic rollback")
    assert override["principal"] and override["result"]["policy_override"] == {
        "max_step_bps": 1000,
        "violations": [{"deployment_id": deployment, "revision_id": first, "rise_bps": 5000}],
        "reason": "incident 42",
    }

    jump = _split(
        home,
        deployment,
        {first: 0, second: 10_000},
        override_policy=True,
        override_reason="roll forward",
    )
    assert jump.code == 0, jump.stderr
    audited = _last_done(home, "traffic set")
    assert audited["result"]["policy_override"]["reason"] == "roll forward"
    assert audited["result"]["policy_override"]["violations"][0]["rise_bps"] == 10_000
    # Without a violation there is nothing overridden, and nothing claims there was.
    assert _split(home, deployment, {first: 1000, second: 9000}, override_policy=True).code == 0
    assert "policy_override" not in _last_done(home, "traffic set")["result"]


def test_a_drain_is_cancelled_by_the_verb_the_rollback_hint_names(tmp_path: Path) -> None:
    home, deployment = local_with_deployment(tmp_path / "env")
    first = _ready(home, deployment, "a")
    second = _ready(home, deployment, "b")
    assert _split(home, deployment, {first: 10_000}).code == 0
    assert _split(home, deployment, {first: 0, second: 10_000}).code == 0
    home.ok("revisions", "drain", payload={"environment_id": "local", "revision_id": first})

    blocked = home.run(
        "traffic", "rollback", payload={"environment_id": "local", "deployment_id": deployment}
    )
    assert blocked.code == 4
    assert "draining; run `revisions warm` to cancel its drain" in blocked.stderr

    cancelled = home.ok(
        "revisions", "warm", payload={"environment_id": "local", "revision_id": first}
    )
    assert cancelled["lifecycle"] == "ready"
    rolled = home.ok(
        "traffic", "rollback", payload={"environment_id": "local", "deployment_id": deployment}
    )
    assert rolled["entries"] == [{"revision_id": first, "weight_bps": 10_000}]


def test_a_damaged_environment_is_listed_as_damaged_and_removable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GREENTIC_GRANT", "broken")
    home = Home(tmp_path / "env")
    home.ok("env", "init", "local")
    home.ok("env", "init", "broken")
    state_file = home.env_dir("broken") / "state.json"
    damaged_bytes = state_file.read_bytes()[:-40] + b"garbage"
    state_file.write_bytes(damaged_bytes)

    listed = {row["environment_id"]: row for row in home.ok("env", "list")["environments"]}
    assert listed["local"]["generation"] == 0 and "damaged" not in listed["local"]
    assert listed["broken"]["damaged"] is True and "state.json" in listed["broken"]["error"]

    plain = home.run("env", "remove", payload={"environment_id": "broken"})
    assert plain.code == 2 and "force: true" in plain.stderr
    assert state_file.read_bytes() == damaged_bytes

    removed = home.ok("env", "remove", payload={"environment_id": "broken", "force": True})
    kept = Path(removed["damaged_state_kept_as"])
    assert kept.read_bytes() == damaged_bytes and not state_file.exists()
    assert [row["environment_id"] for row in home.ok("env", "list")["environments"]] == ["local"]
    audit = home.env_dir("broken") / "audit" / "events.jsonl"
    last = json.loads(audit.read_text().splitlines()[-1])
    assert last["verb"] == "env remove" and last["result"]["kept_as"] == str(kept)
    # The id is free again.
    assert home.ok("env", "init", "broken")["outcome"] == "created"


def test_restore_passes_the_max_step_gate_unless_overridden(tmp_path: Path) -> None:
    home, deployment = local_with_deployment(tmp_path / "env")
    first = _ready(home, deployment, "a")
    second = _ready(home, deployment, "b")
    assert _split(home, deployment, {first: 10_000}).code == 0
    all_on_first = home.state()["generation"]
    assert _split(home, deployment, {first: 5_000, second: 5_000}).code == 0
    home.ok("env", "policy", payload={"environment_id": "local", "policy": {"max_step_bps": 1000}})
    before = home.state()

    refused = home.run("env", "restore", "local", "--generation", str(all_on_first))
    assert refused.code == 2 and "max_step_bps of 1000" in refused.stderr
    assert home.state() == before

    home.ok("env", "restore", "local", "--generation", str(all_on_first), "--override-policy")
    assert home.state()["traffic"][deployment]["entries"] == [
        {"revision_id": first, "weight_bps": 10_000}
    ]
    override = _last_done(home, "env restore")["result"]["policy_override"]
    assert override["violations"][0] == {
        "deployment_id": deployment,
        "revision_id": first,
        "rise_bps": 5000,
    }

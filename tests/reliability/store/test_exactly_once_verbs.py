"""Compare-and-swap and idempotency keys are honoured by every mutating verb.

A stale ``expected_generation`` is a conflict (exit 4) that changes nothing; a retry with
the same ``idempotency_key`` replays the first answer and changes nothing either. Each
verb is driven through the CLI in this process against a real local home.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .exactly_once_support import Home, local_with_deployment, stage_payload

pytestmark = [pytest.mark.reliability, pytest.mark.integration]


def _tree(home: Home) -> dict[str, bytes]:
    """Every file of the environment but its lock (a refused call must leave these as is)."""
    root = home.env_dir()
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != ".lock" and "audit" not in p.parts
    }


def _staged(home: Home, deployment: str, digit: str = "a") -> str:
    return str(
        home.ok("revisions", "stage", payload=stage_payload(deployment, digit))["revision_id"]
    )


def _revision(home: Home, revision: str) -> dict[str, Any]:
    return dict(home.state()["revisions"][revision])


@pytest.fixture
def seeded(tmp_path: Path) -> tuple[Home, str]:
    return local_with_deployment(tmp_path / "env")


def test_warm_with_expected_generation_commits_both_steps(seeded: tuple[Home, str]) -> None:
    home, deployment = seeded
    revision = _staged(home, deployment)
    generation = home.state()["generation"]
    warm = {"environment_id": "local", "revision_id": revision, "expected_generation": generation}
    result = home.ok("revisions", "warm", payload=warm)
    assert result["lifecycle"] == "ready"
    assert home.state()["generation"] == generation + 2

    stale = _staged(home, deployment, "b")
    before = _tree(home)
    refused = home.run(
        "revisions",
        "warm",
        payload={"environment_id": "local", "revision_id": stale, "expected_generation": 0},
    )
    assert refused.code == 4 and "stale generation" in refused.stderr
    assert _tree(home) == before
    assert _revision(home, stale)["lifecycle"] == "staged"


def test_a_change_elsewhere_during_the_health_wait_does_not_fail_a_warm(
    seeded: tuple[Home, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another operator's change lands between warm's two steps (while it waits for health):
    the expected generation guarded the first step, so the warm still completes."""
    from greentic_iac.cli.commands import deployers

    home, deployment = seeded
    revision = _staged(home, deployment)
    generation = home.state()["generation"]
    real_wait = deployers.wait_until_healthy

    def someone_else_changes_config(ctx: Any, state: Any, revision_id: str) -> dict[str, Any]:
        home.ok("config", "set", payload={"environment_id": "local", "key": "k", "value": "v"})
        return dict(real_wait(ctx, state, revision_id))

    monkeypatch.setattr(deployers, "wait_until_healthy", someone_else_changes_config)
    warm = {"environment_id": "local", "revision_id": revision, "expected_generation": generation}
    outcome = home.run("revisions", "warm", payload=warm)
    assert outcome.code == 0, outcome.stderr
    assert _revision(home, revision)["lifecycle"] == "ready"
    assert home.state()["generation"] == generation + 3  # warming, the config, ready


def test_a_retried_keyed_warm_replays_both_steps(seeded: tuple[Home, str]) -> None:
    home, deployment = seeded
    revision = _staged(home, deployment)
    warm = {"environment_id": "local", "revision_id": revision, "idempotency_key": "warm-1"}
    first = home.ok("revisions", "warm", payload=warm)
    generation = home.state()["generation"]
    assert home.ok("revisions", "warm", payload=warm) == first
    assert home.state()["generation"] == generation


def test_a_warm_whose_key_another_verb_used_changes_nothing(seeded: tuple[Home, str]) -> None:
    home, deployment = seeded
    revision = _staged(home, deployment)
    taken = {**stage_payload(deployment, "c"), "idempotency_key": "shared-key"}
    home.ok("revisions", "stage", payload=taken)
    before = _tree(home)
    warm = {"environment_id": "local", "revision_id": revision, "idempotency_key": "shared-key"}
    refused = home.run("revisions", "warm", payload=warm)
    assert refused.code == 4, refused.stderr
    assert "already used with a different payload" in refused.stderr
    assert _tree(home) == before
    assert _revision(home, revision)["lifecycle"] == "staged"


@pytest.mark.parametrize(
    ("verb", "lifecycle"),
    [("drain", "draining"), ("deactivate", "inactive"), ("archive", "archived")],
)
def test_transition_verbs_replay_a_retry_and_refuse_a_stale_generation(
    seeded: tuple[Home, str], verb: str, lifecycle: str
) -> None:
    home, deployment = seeded
    revision = _staged(home, deployment)
    home.ok("revisions", "warm", payload={"environment_id": "local", "revision_id": revision})
    path = {"drain": [], "deactivate": ["drain"], "archive": ["drain", "deactivate"]}[verb]
    for step in path:
        home.ok("revisions", step, payload={"environment_id": "local", "revision_id": revision})
    payload = {"environment_id": "local", "revision_id": revision}

    before = _tree(home)
    stale = home.run("revisions", verb, payload={**payload, "expected_generation": 1})
    assert stale.code == 4, stale.stderr
    assert _tree(home) == before

    keyed = {**payload, "idempotency_key": f"{verb}-1"}
    first = home.ok("revisions", verb, payload=keyed)
    assert first["lifecycle"] == lifecycle
    generation = home.state()["generation"]
    assert home.ok("revisions", verb, payload=keyed) == first  # not "already draining"
    assert home.state()["generation"] == generation


def test_env_remove_honours_expected_generation_and_replays(tmp_path: Path) -> None:
    home = Home(tmp_path / "env")
    home.ok("env", "init", "local")
    before = _tree(home)
    stale = home.run(
        "env", "remove", payload={"environment_id": "local", "expected_generation": 999}
    )
    assert stale.code == 4, stale.stderr
    assert _tree(home) == before and home.run("env", "show", "local").code == 0

    payload = {"environment_id": "local", "expected_generation": 0, "idempotency_key": "rm-1"}
    first = home.ok("env", "remove", payload=payload)
    assert home.ok("env", "remove", payload=payload) == first
    assert home.run("env", "show", "local").code == 2


def test_secrets_put_honours_expected_generation_and_replays(seeded: tuple[Home, str]) -> None:
    home, _ = seeded
    generation = home.state()["generation"]
    stale = home.run(
        "secrets",
        "put",
        payload={
            "environment_id": "local",
            "name": "db",
            "value": "first",
            "expected_generation": 0,
        },
    )
    assert stale.code == 4, stale.stderr
    assert home.run("secrets", "get", "local", "db").code != 0  # nothing was written

    keyed = {"environment_id": "local", "name": "db", "value": "first", "idempotency_key": "s-1"}
    first = home.ok("secrets", "put", payload=keyed)
    assert home.ok("secrets", "put", payload=keyed) == first
    assert home.state()["generation"] == generation + 1
    # The same key with another value is a conflict, never a silent overwrite.
    changed = home.run("secrets", "put", payload={**keyed, "value": "second"})
    assert changed.code == 4
    assert home.ok("secrets", "get", "local", "db")["value"] == "first"
    assert "first" not in home.env_dir().joinpath("audit", "events.jsonl").read_text()


@pytest.mark.parametrize("noun", ["env-packs", "extensions"])
def test_binding_payloads_carry_both_fields(seeded: tuple[Home, str], noun: str) -> None:
    home, _ = seeded
    if noun == "env-packs":
        listed = home.ok("env-packs", "list", "local")["packs"]
        telemetry = next(p for p in listed if p["slot"] == "telemetry")
        verb = "update"
        payload: dict[str, Any] = {
            "environment_id": "local",
            "slot": "telemetry",
            "kind": telemetry["kind"],
            "pack_ref": "builtin://retried",
        }
    else:
        verb = "add"
        payload = {
            "environment_id": "local",
            "kind": "acme.extension.audit@1.0.0",
            "pack_ref": "builtin://acme.extension.audit",
        }
    before = _tree(home)
    stale = home.run(noun, verb, payload={**payload, "expected_generation": 0})
    assert stale.code == 4, stale.stderr
    assert _tree(home) == before

    keyed = {**payload, "idempotency_key": f"{noun}-1"}
    first = home.run(noun, verb, payload=keyed)
    assert first.code == 0, first.stderr
    generation = home.state()["generation"]
    again = home.run(noun, verb, payload=keyed)
    assert again.code == 0 and again.result == first.result, again.stderr
    assert home.state()["generation"] == generation


def test_env_create_refuses_expected_generation_and_replays_a_key(tmp_path: Path) -> None:
    home = Home(tmp_path / "env")
    payload: dict[str, Any] = {
        "environment_id": "local",
        "packs": [
            {
                "slot": "deployer",
                "kind": "greentic.deployer.local-process@0.1.0",
                "pack_ref": "builtin://greentic.deployer.local-process",
            }
        ],
    }
    refused = home.run("env", "create", payload={**payload, "expected_generation": 0})
    assert refused.code == 2 and refused.stderr.strip().startswith("error: expected_generation")
    assert not home.env_dir().joinpath("state.json").exists()

    keyed = {**payload, "idempotency_key": "create-1"}
    first = home.run("env", "create", payload=keyed)
    assert first.code == 0, first.stderr
    again = home.run("env", "create", payload=keyed)
    assert again.code == 0 and again.result == first.result, again.stderr

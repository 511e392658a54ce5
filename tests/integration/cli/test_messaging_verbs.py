"""``messaging add|update|remove|rollback|list`` and ``env create``'s messaging_endpoints."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.seeding import AnswersCli

pytestmark = pytest.mark.integration

SLACK = "acme.messaging.slack@1.0.0"
SLACK_2 = "acme.messaging.slack@2.0.0"
TEAMS = "acme.messaging.teams@1.0.0"


@pytest.fixture
def cli(tmp_path: Path) -> AnswersCli:
    home = AnswersCli(tmp_path / "home", tmp_path / "answers")
    assert home("env", "init").code == 0
    return home


def _endpoint(endpoint_id: str = "support", kind: str = SLACK, **extra: Any) -> dict[str, Any]:
    return {"environment_id": "local", "endpoint_id": endpoint_id, "kind": kind, **extra}


def test_add_update_rollback_remove_walks_one_endpoint(cli: AnswersCli) -> None:
    added = cli("messaging", "add", payload=_endpoint(settings={"channel": "#help"}))
    assert added.code == 0, added.stderr
    assert added.result["generation"] == 0
    assert added.result["pack_ref"] == "builtin://acme.messaging.slack"
    assert added.result["has_previous"] is False

    again = cli("messaging", "add", payload=_endpoint(kind=SLACK_2))
    assert again.code == 4 and "already bound" in again.stderr

    # A second endpoint of the same kind is another channel, not a clash.
    assert cli("messaging", "add", payload=_endpoint("alerts")).code == 0

    updated = cli("messaging", "update", payload=_endpoint(kind=TEAMS, pack_ref="oci://teams"))
    assert updated.code == 0, updated.stderr
    assert (updated.result["kind"], updated.result["generation"]) == (TEAMS, 1)
    assert updated.result["has_previous"] is True

    rolled = cli("messaging", "rollback", payload=_endpoint_key())
    assert rolled.code == 0, rolled.stderr
    assert rolled.result["kind"] == SLACK and rolled.result["rolled_back_from"] == TEAMS
    assert rolled.result["generation"] == 2
    # One step only: the rolled-back binding keeps no history.
    twice = cli("messaging", "rollback", payload=_endpoint_key())
    assert twice.code == 2 and "no previous binding" in twice.stderr

    state = cli("env", "show", "local").result["environment"]
    support = next(e for e in state["messaging_endpoints"] if e["endpoint_id"] == "support")
    assert support["settings"] == {"channel": "#help"}

    listed = cli("messaging", "list", "local").result["messaging_endpoints"]
    assert [(r["endpoint_id"], r["kind"]) for r in listed] == [
        ("alerts", SLACK),
        ("support", SLACK),
    ]

    removed = cli("messaging", "remove", payload=_endpoint_key())
    assert removed.code == 0 and removed.result["removed"] is True
    after = cli("messaging", "rollback", payload=_endpoint_key())
    assert after.code == 2 and "not bound" in after.stderr
    assert [
        r["endpoint_id"] for r in cli("messaging", "list", "local").result["messaging_endpoints"]
    ] == ["alerts"]

    verbs = [e["verb"] for e in cli("audit", "list", "local").result["events"]]
    for verb in ("messaging add", "messaging update", "messaging rollback", "messaging remove"):
        assert verb in verbs


def _endpoint_key(endpoint_id: str = "support") -> dict[str, Any]:
    return {"environment_id": "local", "endpoint_id": endpoint_id}


@pytest.mark.parametrize(
    ("verb", "payload", "field"),
    [
        ("add", {"environment_id": "local", "endpoint_id": "Bad_Id", "kind": SLACK}, "endpoint_id"),
        ("add", {"environment_id": "local", "endpoint_id": "x", "kind": "slack"}, "kind"),
        ("add", {"environment_id": "local", "kind": SLACK}, "endpoint_id"),
        ("update", {**_endpoint(), "colour": "red"}, "colour"),
        ("remove", {"environment_id": "local"}, "endpoint_id"),
        ("update", _endpoint("nobody"), "endpoint_id"),
        # A registered kind of another slot is refused, naming the kind.
        ("add", _endpoint(kind="greentic.secrets.dev-store@0.1.0"), "messaging"),
    ],
)
def test_bad_input_is_exit_2_naming_the_field_and_changes_nothing(
    cli: AnswersCli, verb: str, payload: dict[str, Any], field: str
) -> None:
    before = cli.tree()
    outcome = cli("messaging", verb, payload=payload)
    assert outcome.code == 2, (outcome.code, outcome.stderr)
    lines = outcome.stderr.strip().splitlines()
    assert len(lines) == 1 and field in lines[0], lines
    assert "Traceback" not in outcome.stderr
    assert cli.tree() == before


def test_env_create_takes_endpoints_and_doctor_reports_them(
    cli: AnswersCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GREENTIC_GRANT", "chat,chat2")
    document = {
        "environment_id": "chat",
        "packs": [{"slot": "deployer", "kind": "greentic.deployer.local-process@0.1.0"}],
        "messaging_endpoints": [
            {"endpoint_id": "support", "kind": SLACK, "settings": {"channel": "#help"}},
            {"endpoint_id": "ops", "kind": TEAMS, "pack_ref": "oci://ghcr.io/acme/teams:1"},
        ],
    }
    created = cli("env", "create", payload=document)
    assert created.code == 0, created.stderr
    listed = cli("messaging", "list", "chat").result["messaging_endpoints"]
    assert [r["endpoint_id"] for r in listed] == ["ops", "support"]
    doctor = cli("env", "doctor", "chat").result
    unknown = doctor["messaging"]["unknown_kinds"]
    assert {u["endpoint_id"] for u in unknown} == {"ops", "support"}
    assert doctor["validate"] == {"status": "ok"}

    twice = {**document, "environment_id": "chat2"}
    twice["messaging_endpoints"] = [document["messaging_endpoints"][0]] * 2
    refused = cli("env", "create", payload=twice)
    assert refused.code == 2 and "messaging_endpoints" in refused.stderr
    assert "defined twice" in refused.stderr
    assert cli("env", "show", "chat2").code == 2


def test_doctor_flags_an_endpoint_bound_to_a_non_messaging_pack() -> None:
    # State written before the add-time check (or restored from an old backup) is
    # reported by doctor, not crashed on.
    from greentic_iac.envpacks import EnvPackRegistry
    from greentic_iac.envpacks import doctor as doctor_report
    from greentic_iac.spec import Environment, local_environment

    data = local_environment("local").model_dump(mode="json")
    data["messaging_endpoints"] = [
        {"endpoint_id": "odd", "kind": "greentic.secrets.dev-store@0.1.0", "pack_ref": "x"}
    ]
    report = doctor_report(Environment.model_validate(data), EnvPackRegistry.discover())
    assert report["messaging"]["slot_mismatches"] == [
        {
            "endpoint_id": "odd",
            "kind": "greentic.secrets.dev-store@0.1.0",
            "handler_slot": "secrets",
        }
    ]
    from greentic_iac.envpacks.doctor import is_healthy

    assert not is_healthy(report)


def test_schema_names_the_identity(cli: AnswersCli) -> None:
    schema = cli("messaging", "add", "--schema").json
    assert "endpoint_id" in schema["required"] and "kind" in schema["required"]
    assert schema["additionalProperties"] is False


def test_a_keyed_retry_replays_and_a_stale_generation_conflicts(cli: AnswersCli) -> None:
    first = cli("messaging", "add", payload=_endpoint(idempotency_key="add-support"))
    assert first.code == 0, first.stderr
    retry = cli("messaging", "add", payload=_endpoint(idempotency_key="add-support"))
    assert retry.code == 0 and retry.result == first.result
    stale = cli("messaging", "update", payload=_endpoint(kind=SLACK_2, expected_generation=0))
    assert stale.code == 4
    listed = cli("messaging", "list", "local").result["messaging_endpoints"]
    assert [(r["endpoint_id"], r["kind"]) for r in listed] == [("support", SLACK)]

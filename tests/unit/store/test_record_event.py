"""``store.record``: an audited decision that changes no state document."""

from __future__ import annotations

from pathlib import Path

from greentic_iac.operations.environments import new_local_state
from greentic_iac.store import current_principal, open_store


def test_record_appends_one_done_event_and_leaves_the_state_alone(tmp_path: Path) -> None:
    store = open_store(home=tmp_path)
    store.create(new_local_state("local"), verb="env init")
    before = store.load("local")
    events_before = store.audit_events("local")

    event = store.record(
        "local",
        "up",
        {"skip_preflight": True},
        environ={"GITHUB_ACTIONS": "true", "GITHUB_ACTOR": "bot", "GITHUB_REPOSITORY": "o/r"},
    )

    events = store.audit_events("local")
    assert len(events) == len(events_before) + 1
    assert events[-1].op_id == event.op_id
    assert events[-1].phase == "done"
    assert events[-1].verb == "up"
    assert events[-1].principal == current_principal({})  # the OS user, not the claim
    assert events[-1].claims == ["github: claimed GITHUB_ACTOR=bot, GITHUB_REPOSITORY=o/r"]
    assert events[-1].result == {"skip_preflight": True}
    assert store.load("local") == before
    assert store.pending_operations("local") == []

"""The store contract: every test runs against LocalFileStore and S3Store (moto)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from greentic_iac.errors import (
    AuthorizationError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    StateCorruptError,
)
from greentic_iac.spec import EnvironmentState
from greentic_iac.store import LocalFileStore

from .conftest import make_state, set_config, snapshot


def write_policy(store: Any, text: str) -> None:
    """The grants where the store reads them: its home's policy.json, or the bucket's."""
    if isinstance(store, LocalFileStore):
        (store.home / "policy.json").write_text(text)
    else:
        store.client.put_object(Bucket=store.bucket, Key=f"{store.prefix}policy.json", Body=text)


def test_create_then_load_round_trips(store: Any) -> None:
    created = store.create(make_state(), verb="env init")
    assert created.generation_before == -1
    assert created.generation_after == 0
    assert created.replayed is False
    loaded = store.load("local")
    assert loaded == created.state
    assert store.list_environments() == ["local"]
    assert store.exists("local") and not store.exists("other")


def test_create_twice_is_a_conflict(store: Any) -> None:
    store.create(make_state(), verb="env init")
    before = snapshot(store)
    with pytest.raises(ConflictError, match="already exists"):
        store.create(make_state(), verb="env init")
    events = store.audit_events("local")
    assert [e.phase for e in events] == ["intent", "done"]
    assert snapshot(store) == before


def test_mutate_bumps_generation_and_audits_intent_and_done(store: Any) -> None:
    store.create(make_state(), verb="env init")
    outcome = store.mutate("local", set_config("a", "1"), verb="config set")
    assert (outcome.generation_before, outcome.generation_after) == (0, 1)
    assert outcome.result == {"key": "a", "value": "1"}
    assert outcome.state.generation == 1
    assert store.load("local").config == {"a": "1"}
    events = store.audit_events("local")
    assert [(e.verb, e.phase, e.outcome) for e in events] == [
        ("env init", "intent", None),
        ("env init", "done", "ok"),
        ("config set", "intent", None),
        ("config set", "done", "ok"),
    ]
    assert events[2].op_id == events[3].op_id == outcome.op_id
    assert events[3].generation_before == 0 and events[3].generation_after == 1
    assert events[3].decision == "allow" and "@" in events[3].principal
    assert store.audit_events("local", limit=1) == events[-1:]
    assert store.pending_operations("local") == []


def test_a_change_that_raises_leaves_everything_as_it_was(store: Any) -> None:
    store.create(make_state(), verb="env init")
    before = snapshot(store)

    def refuse(state: EnvironmentState) -> tuple[EnvironmentState, dict[str, Any]]:
        raise InvalidInputError("answers.weight: must be positive")

    with pytest.raises(InvalidInputError, match=r"answers\.weight"):
        store.mutate("local", refuse, verb="traffic set")
    assert snapshot(store) == before


def test_a_change_that_breaks_the_model_is_invalid_input(store: Any) -> None:
    store.create(make_state(), verb="env init")
    before = snapshot(store)

    def dangling(state: EnvironmentState) -> tuple[EnvironmentState, dict[str, Any]]:
        state.deployment_config["01ARZ3NDEKTSV4RRFFQ69G5FAV"] = {"x": "1"}
        return state, {}

    with pytest.raises(InvalidInputError) as caught:
        store.mutate("local", dangling, verb="config set")
    assert "deployment_config" in str(caught.value) and "\n" not in str(caught.value)
    assert snapshot(store) == before


def test_a_stale_expected_generation_is_a_conflict(store: Any) -> None:
    store.create(make_state(), verb="env init")
    store.mutate("local", set_config("a", "1"), verb="config set", expected_generation=0)
    before = snapshot(store)
    with pytest.raises(ConflictError, match="stale generation: expected 0, the store has 1"):
        store.mutate("local", set_config("a", "2"), verb="config set", expected_generation=0)
    assert snapshot(store) == before
    assert store.load("local").config == {"a": "1"}


def test_idempotency_key_replays_the_first_result(store: Any) -> None:
    store.create(make_state(), verb="env init")
    first = store.mutate(
        "local", set_config("a", "1"), verb="config set", idempotency_key="k1", payload={"a": 1}
    )
    again = store.mutate(
        "local", set_config("a", "1"), verb="config set", idempotency_key="k1", payload={"a": 1}
    )
    assert again.replayed and not first.replayed
    assert (again.result, again.generation_after, again.op_id) == (
        first.result,
        first.generation_after,
        first.op_id,
    )
    assert store.load("local").generation == 1
    with pytest.raises(ConflictError, match="different payload"):
        store.mutate(
            "local", set_config("a", "9"), verb="config set", idempotency_key="k1", payload={"a": 9}
        )
    assert store.load("local").config == {"a": "1"}
    # A retry carrying the (now stale) generation it was first sent with still replays.
    stale = store.mutate(
        "local",
        set_config("a", "1"),
        verb="config set",
        idempotency_key="k1",
        payload={"a": 1},
        expected_generation=0,
    )
    assert stale.replayed


def test_idempotency_keys_are_scoped_per_environment(store_factory: Any) -> None:
    store = store_factory(environ={"GREENTIC_GRANT": "other"})
    store.create(make_state(), verb="env init")
    store.create(make_state("other"), verb="env create")
    store.mutate("local", set_config("a", "1"), verb="c", idempotency_key="same", payload=1)
    outcome = store.mutate(
        "other", set_config("a", "2"), verb="c", idempotency_key="same", payload=2
    )
    assert not outcome.replayed


def test_non_local_mutation_needs_a_grant_and_denials_are_audited(store: Any) -> None:
    with pytest.raises(AuthorizationError) as caught:
        store.create(make_state("prod-eu"), verb="env create")
    message = str(caught.value)
    assert message.startswith("environment prod-eu: mutation denied: no grant")
    assert "policy.json or set GREENTIC_GRANT=prod-eu" in message
    assert not store.exists("prod-eu")
    [denied] = store.audit_events("prod-eu")
    assert (denied.decision, denied.outcome, denied.verb) == ("deny", "error", "env create")


def test_the_grant_variable_allows_and_is_audited(store_factory: Any) -> None:
    store = store_factory(environ={"GREENTIC_GRANT": "staging, prod-eu"})
    store.create(make_state("prod-eu"), verb="env create")
    done = store.audit_events("prod-eu")[-1]
    assert (done.decision, done.grant) == ("allow", "GREENTIC_GRANT")


def test_a_policy_grant_allows_until_it_expires(store_factory: Any) -> None:
    store = store_factory()
    soon = datetime.now(UTC) + timedelta(hours=1)
    write_policy(
        store, json.dumps({"grants": [{"environments": ["prod-*"], "expires": soon.isoformat()}]})
    )
    store.create(make_state("prod-eu"), verb="env create")
    assert store.audit_events("prod-eu")[-1].grant.endswith("policy.json#grants[0]")
    past = datetime.now(UTC) - timedelta(hours=1)
    write_policy(
        store, json.dumps({"grants": [{"environments": ["prod-*"], "expires": past.isoformat()}]})
    )
    with pytest.raises(AuthorizationError, match="grant expired"):
        store.mutate("prod-eu", set_config("a", "1"), verb="config set")


def test_an_unreadable_policy_fails_closed(store: Any) -> None:
    write_policy(store, "{not json")
    with pytest.raises(AuthorizationError, match="failing closed"):
        store.create(make_state("prod-eu"), verb="env create")


@pytest.mark.parametrize("bad", ["../x", "Prod", "", "a/b", "-x"])
def test_bad_environment_ids_are_refused_before_any_path_is_built(store: Any, bad: str) -> None:
    before = snapshot(store)
    for call in (
        lambda: store.load(bad),
        lambda: store.exists(bad),
        lambda: store.mutate(bad, set_config("a", "1"), verb="c"),
        lambda: store.remove(bad, verb="env remove"),
        lambda: store.backups(bad),
    ):
        with pytest.raises(InvalidInputError, match="environment_id"):
            call()
    assert snapshot(store) == before


def test_missing_environment_is_not_found(store: Any) -> None:
    with pytest.raises(NotFoundError, match="environment nowhere: not found"):
        store.load("nowhere")
    with pytest.raises(NotFoundError):
        store.mutate("nowhere", set_config("a", "1"), verb="c")
    assert snapshot(store) == {} or not store.list_environments()


def test_backups_restore_generation_k(store: Any) -> None:
    store.create(make_state(), verb="env init")
    documents = {0: store.load("local")}
    for index in range(1, 6):
        documents[index] = store.mutate("local", set_config("n", str(index)), verb="c").state
    assert [b.generation for b in store.backups("local")] == [0, 1, 2, 3, 4]
    assert all(b.verified for b in store.backups("local"))
    restored = store.restore_backup("local", 2)
    assert restored.generation_after == 6
    assert restored.result == {"restored_generation": 2}
    assert restored.state.model_copy(update={"generation": 2}) == documents[2]


def test_only_the_newest_backups_are_kept(store_factory: Any) -> None:
    store = store_factory(keep_backups=3)
    store.create(make_state(), verb="env init")
    for index in range(6):
        store.mutate("local", set_config("n", str(index)), verb="c")
    assert [b.generation for b in store.backups("local")] == [3, 4, 5]


def test_remove_then_create_continues_the_generation(store: Any) -> None:
    store.create(make_state(), verb="env init")
    store.mutate("local", set_config("a", "1"), verb="c")
    removed = store.remove("local", verb="env remove")
    assert removed.state is None and removed.generation_before == 1
    assert not store.exists("local") and store.list_environments() == []
    again = store.create(make_state(), verb="env init")
    assert again.generation_after == 2
    assert store.load_backup("local", 1).config == {"a": "1"}


def _corrupt(store: Any, text: bytes) -> None:
    if isinstance(store, LocalFileStore):
        store.state_path("local").write_bytes(text)
    else:
        key = store._key("local", "state.json")
        head = store.client.head_object(Bucket=store.bucket, Key=key)
        store.client.put_object(Bucket=store.bucket, Key=key, Body=text, Metadata=head["Metadata"])


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],
        lambda data: data.replace(b'"generation": 1', b'"generation": 7'),
        lambda data: b"\x00\xff garbage",
        lambda data: data.replace(b"greentic.store.state-file.v1", b"greentic.store.state-file.v9"),
    ],
    ids=["truncated", "hand-edited", "garbage", "unknown-format"],
)
def test_a_damaged_state_is_refused_naming_the_file_and_the_backup(store: Any, damage: Any) -> None:
    store.create(make_state(), verb="env init")
    store.mutate("local", set_config("a", "1"), verb="c")
    good = store.load("local")
    from greentic_iac.store import encode_state

    _corrupt(store, damage(encode_state(good)))
    before = snapshot(store)
    with pytest.raises(StateCorruptError) as caught:
        store.load("local")
    message = str(caught.value)
    assert "state.json" in message and "\n" not in message
    assert "newest good backup is generation 0" in message
    assert "greentic-iac env restore local --generation 0" in message
    with pytest.raises(StateCorruptError):
        store.mutate("local", set_config("a", "2"), verb="c")
    assert snapshot(store) == before


def test_an_unknown_schema_version_is_corrupt(store: Any) -> None:
    store.create(make_state(), verb="env init")
    from greentic_iac.store.codec import canonical_json, sha256_hex

    document = store.load("local").to_json_dict()
    document["schema_version"] = "greentic.environment-state.v99"
    envelope = {
        "format": "greentic.store.state-file.v1",
        "sha256": sha256_hex(canonical_json(document)),
        "state": document,
    }
    _corrupt(store, json.dumps(envelope).encode())
    with pytest.raises(StateCorruptError, match="schema_version"):
        store.load("local")


def test_restore_repairs_a_damaged_state_and_keeps_the_damaged_file(store: Any) -> None:
    store.create(make_state(), verb="env init")
    store.mutate("local", set_config("a", "1"), verb="c")
    store.mutate("local", set_config("a", "2"), verb="c")
    from greentic_iac.store import encode_state

    _corrupt(store, encode_state(store.load("local"))[:40])
    restored = store.restore_backup("local", 1)
    assert restored.result["restored_generation"] == 1
    assert "damaged." in str(restored.result["damaged_state_kept_as"])
    assert restored.generation_after == 2  # the numbering continues after the newest backup
    assert store.load("local").config == {"a": "1"}
    assert [e.verb for e in store.audit_events("local")][-3:] == [
        "env restore",
        "env restore",
        "env restore",
    ]


def test_restore_brings_back_a_removed_environment(store: Any) -> None:
    store.create(make_state(), verb="env init")
    store.mutate("local", set_config("a", "1"), verb="c")
    store.remove("local", verb="env remove")
    restored = store.restore_backup("local", 1)
    assert restored.generation_after == 2
    assert store.load("local").config == {"a": "1"}


def test_restore_of_a_damaged_non_local_environment_needs_a_grant(store_factory: Any) -> None:
    granted = store_factory(environ={"GREENTIC_GRANT": "prod-eu"})
    granted.create(make_state("prod-eu"), verb="env create")
    granted.mutate("prod-eu", set_config("a", "1"), verb="c")
    if isinstance(granted, LocalFileStore):
        granted.state_path("prod-eu").write_bytes(b"{}")
    else:
        key = granted._key("prod-eu", "state.json")
        granted.client.put_object(Bucket=granted.bucket, Key=key, Body=b"{}")
    with pytest.raises(AuthorizationError):
        store_factory().restore_backup("prod-eu", 0)
    with pytest.raises(StateCorruptError):
        granted.load("prod-eu")


# ---- exactly once: remove, damaged removal, restore (issue 17) -----------------------------


def test_remove_honours_expected_generation_and_a_retry_replays(store: Any) -> None:
    store.create(make_state(), verb="env init")
    store.mutate("local", set_config("a", "1"), verb="c")
    with pytest.raises(ConflictError, match="stale generation"):
        store.remove("local", verb="env remove", expected_generation=0)
    assert store.load("local").generation == 1
    first = store.remove("local", verb="env remove", expected_generation=1, idempotency_key="rm")
    again = store.remove("local", verb="env remove", expected_generation=1, idempotency_key="rm")
    assert again.replayed and again.result == first.result
    with pytest.raises(NotFoundError):
        store.remove("local", verb="env remove", idempotency_key="another")


def test_a_damaged_generation_zero_can_be_removed_and_recreated(store: Any) -> None:
    from greentic_iac.store import encode_state

    store.create(make_state(), verb="env init")
    damaged = encode_state(store.load("local"))[:40]
    _corrupt(store, damaged)
    kept = store.remove_damaged("local", verb="env remove")
    assert kept is not None and "damaged." in kept
    assert store.list_environments() == []
    store.create(make_state(), verb="env init")
    assert store.load("local").generation >= 0


def test_a_record_lost_after_the_state_landed_still_replays(
    store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The state is written, the idempotency record is not (a full disk, a dropped PUT):
    the retry with the same key replays the first answer instead of applying again."""
    from greentic_iac.store.errors import StoreIOError

    store.create(make_state(), verb="env init")
    real_put = store._idempotency_put

    def lost(environment_id: str, record: Any) -> None:
        raise StoreIOError("record write failed (injected)")

    monkeypatch.setattr(store, "_idempotency_put", lost)
    with pytest.raises(StoreIOError):
        store.mutate("local", set_config("a", "1"), verb="c", idempotency_key="once")
    assert store.load("local").generation == 1
    monkeypatch.setattr(store, "_idempotency_put", real_put)
    retry = store.mutate("local", set_config("a", "1"), verb="c", idempotency_key="once")
    assert retry.replayed and retry.generation_after == 1
    assert store.load("local").generation == 1

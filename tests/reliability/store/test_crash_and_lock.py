"""kill -9 at random moments, the lock sequence, and backups that restore generation k."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time
from pathlib import Path

import pytest

from greentic_iac.errors import ConflictError
from greentic_iac.spec import EnvironmentState, local_environment
from greentic_iac.store import AuditEvent, LocalFileStore, state_digest

from . import workers

pytestmark = [pytest.mark.reliability, pytest.mark.integration]

FORK = multiprocessing.get_context("fork")


def _new_store(home: Path, **options: object) -> LocalFileStore:
    store = LocalFileStore(home, environ={}, **options)  # type: ignore[arg-type]
    if not store.exists("local"):
        store.create(EnvironmentState(environment=local_environment()), verb="env init")
    return store


def _last_audit_line(store: LocalFileStore) -> AuditEvent | None:
    lines = [line for line in store.audit_path("local").read_bytes().split(b"\n") if line]
    for line in reversed(lines):
        try:
            return AuditEvent.model_validate_json(line)
        except ValueError:
            return None  # a torn line: the crash hit the append itself
    return None


def _lock_holder(home: str, ready_fd: int, release_fd: int) -> None:
    store = LocalFileStore(Path(home), environ={})
    with store.lock("local", "held by child"):
        os.write(ready_fd, b"locked\n")
        os.read(release_fd, 1)  # blocks until the parent kills us


def test_lock_sequence_names_the_holder_and_survives_a_killed_holder(tmp_path: Path) -> None:
    a = _new_store(tmp_path, lock_timeout=0)
    b = LocalFileStore(tmp_path, environ={}, lock_timeout=0)
    held = rf"held by pid {os.getpid()} .*\(traffic set\)"
    with a.lock("local", "traffic set"), pytest.raises(ConflictError, match=held):
        b.mutate("local", workers.bump, verb="b")
    assert b.mutate("local", workers.bump, verb="b").generation_after == 1

    ready_read, ready_write = os.pipe()
    release_read, release_write = os.pipe()
    child = FORK.Process(target=_lock_holder, args=(str(tmp_path), ready_write, release_read))
    child.start()
    try:
        assert os.read(ready_read, 16) == b"locked\n"
        with pytest.raises(ConflictError, match=rf"held by pid {child.pid} .*\(held by child\)"):
            b.mutate("local", workers.bump, verb="b")
        os.kill(child.pid, signal.SIGKILL)  # type: ignore[arg-type]
        child.join(10)
        assert child.exitcode == -signal.SIGKILL
        # The kernel released the flock with the process: no wait, no stale-lock cleanup.
        assert b.mutate("local", workers.bump, verb="b").generation_after == 2
    finally:
        if child.is_alive():
            child.kill()
            child.join(5)
        for fd in (ready_read, ready_write, release_read, release_write):
            os.close(fd)


def test_kill_minus_nine_at_random_moments(tmp_path: Path) -> None:
    _new_store(tmp_path)
    rng = random.Random(20261122)
    pending_seen = applied_seen = 0
    last_acknowledged = 0
    for _ in range(100):
        ack_read, ack_write = os.pipe()
        child = FORK.Process(target=workers.crash_writer, args=(str(tmp_path), ack_write))
        child.start()
        os.close(ack_write)
        try:
            with os.fdopen(ack_read, "rb") as acks:
                assert acks.readline() == b"ready\n"
                time.sleep(rng.uniform(0, 0.02))  # a random moment, not a synchronisation
                os.kill(child.pid, signal.SIGKILL)  # type: ignore[arg-type]
                child.join(10)
                lines = acks.read().split()
        finally:
            if child.is_alive():
                child.kill()
                child.join(5)
        if lines:
            last_acknowledged = int(lines[-1])

        fresh = LocalFileStore(tmp_path, environ={}, lock_timeout=0)  # lock must be free at once
        state = fresh.load("local")  # loads and verifies
        assert state.generation >= last_acknowledged
        assert state.config.get("counter", "0") == str(state.generation)
        pending = fresh.pending_operations("local")
        tail = _last_audit_line(fresh)
        if tail is not None and tail.phase == "intent":
            assert [p.op_id for p in pending] == [tail.op_id]
            pending_seen += 1
            applied_seen += tail.state_sha256 == state_digest(state)
        else:
            assert pending == []
        last_acknowledged = max(last_acknowledged, state.generation)
    final = LocalFileStore(tmp_path, environ={}, lock_timeout=0)
    outcome = final.mutate("local", workers.bump, verb="after")
    assert final.pending_operations("local") == []
    generations = [
        e.generation_after
        for e in final.audit_events("local")
        if e.phase == "done" and e.outcome == "ok" and e.generation_after
    ]
    assert generations == list(range(1, outcome.generation_after + 1))
    print(f"crashes between intent and done: {pending_seen} ({applied_seen} already applied)")


def test_restoring_backup_k_reproduces_generation_k(tmp_path: Path) -> None:
    store = _new_store(tmp_path, keep_backups=60)
    rng = random.Random(7)
    documents = {0: store.load("local")}
    for _ in range(50):
        key, value = f"k{rng.randrange(5)}", str(rng.randrange(1000))

        def change(
            state: EnvironmentState, key: str = key, value: str = value
        ) -> tuple[EnvironmentState, dict[str, str]]:
            if rng.random() < 0.3 and state.config:
                state.config.pop(sorted(state.config)[0])
            else:
                state.config[key] = value
            return state, {}

        outcome = store.mutate("local", change, verb="random")
        assert outcome.state is not None
        documents[outcome.generation_after] = outcome.state
    for k in rng.sample(range(50), 5):
        restored = store.restore_backup("local", k)
        assert restored.state is not None
        assert restored.state.model_copy(update={"generation": k}) == documents[k]
        assert store.load("local").to_json_dict() | {"generation": k} == documents[k].to_json_dict()

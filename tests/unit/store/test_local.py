"""LocalFileStore specifics: write order, fault injection, recovery, migrations, layout."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from greentic_iac.errors import ConflictError, StateCorruptError
from greentic_iac.spec import local_environment
from greentic_iac.store import LocalFileStore, StoreIOError, greentic_home, open_store
from greentic_iac.store.atomic import FileOps, append_line, read_last_line, write_atomic

from .conftest import make_state, set_config


class RecordingOps(FileOps):
    def __init__(self, fail_fsync_of: str | None = None) -> None:
        self.calls: list[str] = []
        self.fail_fsync_of = fail_fsync_of

    def fsync(self, fd: int, path: Path) -> None:
        self.calls.append(f"fsync {path.name}")
        if self.fail_fsync_of and path.name.startswith(self.fail_fsync_of):
            raise OSError(5, "Input/output error")
        super().fsync(fd, path)

    def replace(self, source: Path, target: Path) -> None:
        self.calls.append(f"replace {source.name} -> {target.name}")
        super().replace(source, target)


def test_write_atomic_fsyncs_the_file_before_the_rename_and_the_directory_after(
    tmp_path: Path,
) -> None:
    ops = RecordingOps()
    write_atomic(tmp_path / "doc.json", b"new", ops)
    # The temp name carries the writer (pid, thread id) and a random part.
    temp = ops.calls[0].removeprefix("fsync ")
    assert temp.startswith(f".doc.json.{__import__('os').getpid()}-") and temp.endswith(".tmp")
    assert ops.calls == [f"fsync {temp}", f"replace {temp} -> doc.json", f"fsync {tmp_path.name}"]


def test_an_fsync_error_leaves_the_old_state_byte_identical(tmp_path: Path) -> None:
    LocalFileStore(tmp_path, environ={}).create(make_state(), verb="env init")
    store = LocalFileStore(tmp_path, environ={}, file_ops=RecordingOps(fail_fsync_of=".state.json"))
    before = store.state_path("local").read_bytes()
    with pytest.raises(StoreIOError, match=r"state\.json: write failed"):
        store.mutate("local", set_config("a", "1"), verb="config set")
    assert store.state_path("local").read_bytes() == before
    assert not list(store.environment_dir("local").glob(".state.json.*"))
    last = store.audit_events("local")[-1]
    assert (last.phase, last.outcome) == ("done", "error") and "write failed" in (last.error or "")
    assert store.pending_operations("local") == []


class Crash(BaseException):
    """Stands in for kill -9 at a chosen step (nothing after it runs)."""


@pytest.mark.parametrize(("phase", "applied"), [("after-intent", False), ("after-write", True)])
def test_a_crash_between_intent_and_done_is_reported_then_completed(
    tmp_path: Path, phase: str, applied: bool, caplog: pytest.LogCaptureFixture
) -> None:
    LocalFileStore(tmp_path, environ={}).create(make_state(), verb="env init")

    def crash_at(step: str) -> None:
        if step == phase:
            raise Crash

    crashing = LocalFileStore(tmp_path, environ={}, fault_hook=crash_at)
    with pytest.raises(Crash):
        crashing.mutate("local", set_config("a", "1"), verb="c", idempotency_key="k", payload=1)
    store = LocalFileStore(tmp_path, environ={})
    [pending] = store.pending_operations("local")
    assert (pending.phase, pending.verb, pending.idempotency_key) == ("intent", "c", "k")
    assert store.load("local").generation == (1 if applied else 0)
    with caplog.at_level(logging.WARNING, logger="greentic_iac.store"):
        retry = store.mutate(
            "local", set_config("a", "1"), verb="c", idempotency_key="k", payload=1
        )
    [recovered] = retry.recovered
    assert recovered.op_id == pending.op_id and recovered.recovered
    assert recovered.outcome == ("ok" if applied else "error")
    assert "interrupted operation" in caplog.text
    assert retry.replayed is applied
    assert store.load("local").generation == 1
    assert store.pending_operations("local") == []


def test_the_lock_names_its_holder(tmp_path: Path) -> None:
    store = LocalFileStore(tmp_path, environ={}, lock_timeout=0.05)
    store.create(make_state(), verb="env init")
    with store.lock("local", "traffic set"), pytest.raises(ConflictError) as caught:
        store.mutate("local", set_config("a", "1"), verb="c")
    message = str(caught.value)
    assert f"pid {__import__('os').getpid()}" in message and "(traffic set)" in message
    assert "gave up after 0.05s" in message
    store.mutate("local", set_config("a", "1"), verb="c")


def test_the_audit_log_is_where_the_seed_kept_it(tmp_path: Path) -> None:
    store = LocalFileStore(tmp_path, environ={})
    store.create(make_state(), verb="env init")
    lines = (tmp_path / "environments/local/audit/events.jsonl").read_text().splitlines()
    assert [json.loads(line)["phase"] for line in lines] == ["intent", "done"]
    assert json.loads((tmp_path / "store.json").read_text()) == {"store_schema": 1}


def test_read_last_line_skips_a_torn_tail(tmp_path: Path) -> None:
    path = tmp_path / "log"
    assert read_last_line(path) is None
    path.write_bytes(b"one\ntwo\nthr")
    assert read_last_line(path) == b"two"
    append_line(path, b"four\n")
    assert path.read_bytes() == b"one\ntwo\nthr\nfour\n"
    assert read_last_line(path) == b"four"
    path.write_bytes(b"x" * 20000 + b"\n")
    assert read_last_line(path, chunk=1000) == b"x" * 20000


def test_migrates_a_v0_layout_once_and_loudly(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    legacy_dir = tmp_path / "environments" / "local"
    (legacy_dir / "audit").mkdir(parents=True)
    (legacy_dir / "environment.json").write_text(local_environment().model_dump_json())
    (legacy_dir / "audit" / "events.jsonl").write_text('{"verb":"init"}\n')
    store = LocalFileStore(tmp_path, environ={})
    with caplog.at_level(logging.WARNING, logger="greentic_iac.store.migrations"):
        state = store.load("local")
    assert state.environment == local_environment() and state.generation == 0
    assert "migrating the store" in caplog.text
    assert store.migration_report is not None and store.migration_report.from_schema == 0
    assert not (legacy_dir / "environment.json").exists()
    assert (legacy_dir / "backups" / "environment.v0.json").exists()
    assert (legacy_dir / "audit" / "events.v0.jsonl").exists()
    assert json.loads((tmp_path / "store.json").read_text()) == {"store_schema": 1}
    again = LocalFileStore(tmp_path, environ={})
    assert again.ensure_layout().migrated is False
    assert again.mutate("local", set_config("a", "1"), verb="c").generation_after == 1


def test_a_broken_v0_document_refuses_to_migrate_and_changes_nothing(tmp_path: Path) -> None:
    legacy = tmp_path / "environments" / "local" / "environment.json"
    legacy.parent.mkdir(parents=True)
    legacy.write_text('{"environment_id": "local", "surprise": 1}')
    with pytest.raises(StateCorruptError, match=r"environment\.json: cannot migrate"):
        LocalFileStore(tmp_path, environ={}).load("local")
    assert legacy.exists() and not (tmp_path / "store.json").exists()
    assert sorted(p.name for p in legacy.parent.iterdir()) == ["environment.json"]


def test_a_newer_store_schema_is_refused(tmp_path: Path) -> None:
    (tmp_path / "store.json").write_text('{"store_schema": 99}')
    with pytest.raises(StateCorruptError, match="store_schema 99 is newer"):
        LocalFileStore(tmp_path, environ={}).list_environments()


def test_home_and_store_selection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GREENTIC_HOME", str(tmp_path / "h"))
    monkeypatch.delenv("GREENTIC_STORE", raising=False)
    assert greentic_home() == tmp_path / "h"
    assert greentic_home(tmp_path / "x") == tmp_path / "x"
    monkeypatch.delenv("GREENTIC_HOME")
    assert greentic_home() == Path.home() / ".greentic"
    store: Any = open_store(None, home=tmp_path)
    assert isinstance(store, LocalFileStore) and store.home == tmp_path
    store = open_store(f"file://{tmp_path / 'y'}")
    assert isinstance(store, LocalFileStore) and store.home == tmp_path / "y"
    monkeypatch.setenv("GREENTIC_STORE", "s3://bucket-a/team/x")
    from greentic_iac.store.s3 import S3Store

    remote = open_store(home=tmp_path)
    assert isinstance(remote, S3Store) and remote.url == "s3://bucket-a/team/x/"
    from greentic_iac.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match="not a store URL"):
        open_store("ftp://x")


def test_idempotency_records_are_bounded(tmp_path: Path) -> None:
    store = LocalFileStore(tmp_path, environ={}, keep_idempotency_keys=10)
    store.create(make_state(), verb="env init")
    for index in range(60):
        store.mutate("local", set_config("a", str(index)), verb="c", idempotency_key=f"k{index}")
    assert len(list((store.environment_dir("local") / "idempotency").iterdir())) <= 10 + 49
    assert store.mutate("local", set_config("a", "59"), verb="c", idempotency_key="k59").replayed

"""What killed writers leave behind is cleaned at the next transaction, and only that.

Temp files of a dead process are removed, a live writer's are kept; backups never exceed
the documented keep, even when crashes skipped the prune; temp names never collide between
two threads of one process.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from greentic_iac.spec import EnvironmentState, local_environment
from greentic_iac.store import LocalFileStore
from greentic_iac.store.atomic import write_atomic
from greentic_iac.store.transaction import DEFAULT_KEEP_BACKUPS

from . import workers

pytestmark = [pytest.mark.reliability, pytest.mark.integration]


def _store(home: Path, **options: object) -> LocalFileStore:
    store = LocalFileStore(home, environ={}, **options)  # type: ignore[arg-type]
    store.create(EnvironmentState(environment=local_environment()), verb="env init")
    return store


def _dead_pid() -> int:
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return int(child.stdout)


def test_temp_files_of_dead_writers_are_removed_live_ones_kept(tmp_path: Path) -> None:
    store = _store(tmp_path)
    directory = store.environment_dir("local")
    dead = _dead_pid()
    this_thread = threading.get_ident()
    litter = [
        directory / f".state.json.{dead}.tmp",  # the old naming
        directory / f".state.json.{dead}-77-0badcafe.tmp",
        directory / "backups" / f".state.0000000000.json.{dead}-5-00ff00ff.tmp",
        directory / "idempotency" / f".{'a' * 64}.json.{dead}-9-12345678.tmp",
    ]
    live = [
        # A writer that still runs: this thread of this process, and another process.
        directory / f".state.json.{__import__('os').getpid()}-{this_thread}-abcdef01.tmp",
        directory / f".state.json.{__import__('os').getppid()}-1-abcdef02.tmp",
    ]
    for path in [*litter, *live]:
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"half a document")
    store.mutate("local", workers.bump, verb="bump")
    assert [p for p in litter if p.exists()] == []
    assert all(p.exists() for p in live)


class Killed(BaseException):
    """Stands for a kill -9 at a chosen moment (nothing after it runs)."""


def test_backups_stay_at_the_keep_even_after_crashes_skipped_the_prune(tmp_path: Path) -> None:
    crash = {"on": True}

    def crash_after_done(phase: str) -> None:
        if phase == "after-done" and crash["on"]:
            raise Killed  # killed after the commit, before the prune

    _store(tmp_path)
    store = LocalFileStore(tmp_path, environ={}, fault_hook=crash_after_done)
    for _ in range(DEFAULT_KEEP_BACKUPS + 15):
        with pytest.raises(Killed):
            store.mutate("local", workers.bump, verb="bump")
    crash["on"] = False
    store.mutate("local", workers.bump, verb="bump")
    backups = store.backups("local")
    assert len(backups) == DEFAULT_KEEP_BACKUPS
    newest = store.load("local").generation - 1
    assert [b.generation for b in backups] == list(
        range(newest - DEFAULT_KEEP_BACKUPS + 1, newest + 1)
    )


def test_threads_of_one_process_never_share_a_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "doc.json"
    errors: list[BaseException] = []
    documents = [bytes([65 + n]) * 4096 for n in range(8)]

    def writer(document: bytes) -> None:
        try:
            for _ in range(150):
                write_atomic(target, document)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(d,)) for d in documents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert target.read_bytes() in documents
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []

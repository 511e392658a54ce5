"""Many writers, one environment: compare-and-swap never loses or repeats a generation."""

from __future__ import annotations

import multiprocessing
import uuid
from pathlib import Path
from typing import Any

import pytest

from greentic_iac.spec import EnvironmentState, local_environment
from greentic_iac.store import LocalFileStore

from . import workers

pytestmark = [pytest.mark.reliability, pytest.mark.integration]

FORK = multiprocessing.get_context("fork")


def _run(target: Any, args_per_process: list[tuple[Any, ...]]) -> None:
    processes = [FORK.Process(target=target, args=args) for args in args_per_process]
    for process in processes:
        process.start()
    try:
        for process in processes:
            process.join(timeout=90)
            assert process.exitcode == 0, f"worker exited with {process.exitcode}"
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()
                process.join(5)


def _check_history(store: Any, total: int) -> None:
    state = store.load("local")
    assert state.generation == total
    assert state.config["counter"] == str(total)
    done = [
        e
        for e in store.audit_events("local")
        if e.verb == "cas" and e.phase == "done" and e.outcome == "ok"
    ]
    assert len(done) == total
    assert sorted(e.generation_after for e in done) == list(range(1, total + 1))
    assert all(e.generation_after == e.generation_before + 1 for e in done)  # type: ignore[operator]
    assert store.pending_operations("local") == []


def test_eight_local_writers_times_a_hundred_cas_updates(tmp_path: Path) -> None:
    store = LocalFileStore(tmp_path, environ={})
    store.create(EnvironmentState(environment=local_environment()), verb="env init")
    _run(workers.local_cas_worker, [(str(tmp_path), 100)] * 8)
    _check_history(store, 800)


def test_eight_s3_writers_against_a_moto_server(moto_server: str, tmp_path: Path) -> None:
    from greentic_iac.store.s3 import S3Store

    bucket, prefix = "greentic-cas", f"run-{uuid.uuid4().hex[:8]}"
    client = workers.moto_client(moto_server)
    client.create_bucket(Bucket=bucket)
    store = S3Store(bucket, prefix, client=client, home=tmp_path, environ={})
    store.create(EnvironmentState(environment=local_environment()), verb="env init")
    rounds = 4  # moto answers one request at a time; 8 x 4 keeps the test short
    _run(workers.s3_cas_worker, [(moto_server, bucket, prefix, str(tmp_path), rounds)] * 8)
    _check_history(store, 8 * rounds)

"""Code that runs in the child processes of the reliability tests."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from greentic_iac.errors import ConflictError
from greentic_iac.spec import EnvironmentState


def bump(state: EnvironmentState) -> tuple[EnvironmentState, dict[str, Any]]:
    state.config["counter"] = str(int(state.config.get("counter", "0")) + 1)
    return state, {"counter": state.config["counter"]}


def cas_updates(store: Any, rounds: int) -> int:
    """Apply ``rounds`` compare-and-swap updates, retrying each on conflict; returns retries."""
    retries = 0
    done = 0
    while done < rounds:
        generation = store.load("local").generation
        try:
            store.mutate("local", bump, verb="cas", expected_generation=generation)
        except ConflictError:
            retries += 1
            continue
        done += 1
    return retries


def local_cas_worker(home: str, rounds: int) -> None:
    from greentic_iac.store import LocalFileStore

    cas_updates(LocalFileStore(Path(home), environ={}, lock_timeout=30), rounds)


def moto_client(endpoint: str) -> Any:
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def s3_cas_worker(endpoint: str, bucket: str, prefix: str, home: str, rounds: int) -> None:
    from greentic_iac.store.s3 import S3Store

    client = moto_client(endpoint)
    store = S3Store(bucket, prefix, client=client, home=Path(home), environ={}, lock_timeout=30)
    cas_updates(store, rounds)


def crash_writer(home: str, ack_fd: int) -> None:
    """Mutate forever, writing each acknowledged generation to ``ack_fd`` (until SIGKILL)."""
    from greentic_iac.store import LocalFileStore

    store = LocalFileStore(Path(home), environ={}, lock_timeout=30)
    os.write(ack_fd, b"ready\n")
    while True:
        outcome = store.mutate("local", bump, verb="crash-test")
        os.write(ack_fd, f"{outcome.generation_after}\n".encode())

"""Fixtures for the store contract tests: the same tests run on both implementations."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from greentic_iac.spec import EnvironmentState, local_environment
from greentic_iac.store import LocalFileStore

BUCKET = "greentic-store-test"


def make_state(environment_id: str = "local") -> EnvironmentState:
    return EnvironmentState(environment=local_environment(environment_id))


def set_config(
    key: str, value: str
) -> Callable[[EnvironmentState], tuple[EnvironmentState, dict[str, Any]]]:
    def change(state: EnvironmentState) -> tuple[EnvironmentState, dict[str, Any]]:
        state.config[key] = value
        return state, {"key": key, "value": value}

    return change


_FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture(scope="module")
def s3_client() -> Iterator[Any]:
    """One in-process moto S3 per module (starting one costs ~0.7 s); tests use prefixes.

    Not per session: moto resets its backends only when the outermost mock starts, so a
    session-long mock would leak this module's objects into every later in-process moto
    test (the AWS Secrets Manager tests saw them).
    """
    import os

    import boto3
    from moto import mock_aws

    saved = {name: os.environ.get(name) for name in [*_FAKE_AWS, "AWS_PROFILE", "AWS_ENDPOINT_URL"]}
    os.environ.update(_FAKE_AWS)
    os.environ.pop("AWS_PROFILE", None)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    try:
        with mock_aws():
            client = boto3.client("s3", region_name="us-east-1")
            client.create_bucket(Bucket=BUCKET)
            yield client
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture(params=["local", "s3"])
def store_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[..., Any]:
    """``store_factory(environ=..., **options)`` builds a fresh store of the param's kind."""
    home = tmp_path / "home"
    home.mkdir()
    if request.param == "local":

        def local(environ: dict[str, str] | None = None, **options: Any) -> LocalFileStore:
            return LocalFileStore(home, environ=environ or {}, lock_timeout=2, **options)

        return local
    client = request.getfixturevalue("s3_client")
    from greentic_iac.store.s3 import S3Store

    prefix = f"team/{uuid.uuid4().hex}"  # one area per test, shared by its stores

    def remote(environ: dict[str, str] | None = None, **options: Any) -> S3Store:
        return S3Store(
            BUCKET,
            prefix,
            client=client,
            home=home,
            environ=environ or {},
            lock_timeout=2,
            **options,
        )

    return remote


@pytest.fixture
def store(store_factory: Callable[..., Any]) -> Any:
    return store_factory()


def snapshot(store: Any) -> dict[str, bytes]:
    """Every stored name and its bytes (lock files excepted), to prove nothing changed."""
    if isinstance(store, LocalFileStore):
        return {
            str(p.relative_to(store.home)): p.read_bytes()
            for p in sorted(store.home.rglob("*"))
            if p.is_file() and p.name != ".lock"
        }
    found = {}
    paginator = store.client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=store.bucket, Prefix=store.prefix):
        for item in page.get("Contents", []):
            body = store.client.get_object(Bucket=store.bucket, Key=item["Key"])["Body"].read()
            found[item["Key"]] = body
    return found

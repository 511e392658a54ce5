"""Shared claim records: one value per holder across environments, quotas across them,
released values held back until the owning environment applied their deletion."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from greentic_iac.errors import StateCorruptError
from greentic_iac.spec.allocations import ClaimRequest, QuotaExceededError, WantedValue
from greentic_iac.store.claims import LocalClaims, S3Claims, claim_path
from tests.unit.store.conftest import BUCKET

SCOPE = "listener:arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/x/1/2"
KIND = "aws.alb.listener-rule-priority"


def _request(
    env: str,
    owners: dict[str, WantedValue],
    *,
    applied: int | None = None,
    generation: int = 1,
    quotas: dict[str, int] | None = None,
) -> ClaimRequest:
    return ClaimRequest(
        scope=SCOPE,
        kind=KIND,
        environment_id=env,
        wanted=owners,
        applied_generation=applied,
        released_at_generation=generation,
        quotas=quotas or {},
    )


def _band(*counts: str) -> WantedValue:
    return WantedValue(10, 20, counts=counts)


AppliedOf = Callable[[str], int | None]
MakeClaims = Callable[[AppliedOf], LocalClaims | S3Claims]


@pytest.fixture(params=["local", "s3"])
def make_claims(request: pytest.FixtureRequest, tmp_path: Path) -> MakeClaims:
    """Claim records in local files, or as objects beside an S3 store (moto, IfMatch)."""
    if request.param == "local":
        return lambda applied: LocalClaims(tmp_path, 5.0, applied)
    client = request.getfixturevalue("s3_client")
    prefix = f"team/{uuid.uuid4().hex}/"
    return lambda applied: S3Claims(client, BUCKET, prefix, applied)


def test_environments_never_share_a_value_and_keep_theirs(make_claims: MakeClaims) -> None:
    applied: dict[str, int | None] = {}
    claims = make_claims(applied.get)
    a = claims.hold(_request("a", {"a1": _band(), "a2": _band()}))
    b = claims.hold(_request("b", {"b1": _band()}))
    assert a == {"a1": 10, "a2": 11} and b == {"b1": 12}
    again = claims.hold(_request("a", {"a2": _band(), "a3": _band()}, generation=2))
    assert again["a2"] == 11  # kept
    assert again["a3"] == 13  # a1's 10 waits: env a has not applied generation 2


def test_a_released_value_is_reused_once_its_environment_applied(make_claims: MakeClaims) -> None:
    applied: dict[str, int | None] = {"a": None}
    claims = make_claims(applied.get)
    claims.hold(_request("a", {"a1": _band()}))
    claims.hold(_request("a", {}, generation=2))  # a1 released at generation 2
    assert claims.hold(_request("b", {"b1": _band()})) == {"b1": 11}
    applied["a"] = 2
    assert claims.hold(_request("b", {"b1": _band(), "b2": _band()})) == {"b1": 11, "b2": 10}


def test_quotas_count_every_environment(make_claims: MakeClaims) -> None:
    claims = make_claims({}.get)
    quotas = {"rules": 3}
    claims.hold(_request("a", {"a1": _band("rules"), "a2": _band("rules")}, quotas=quotas))
    claims.hold(_request("b", {"b1": _band("rules")}, quotas=quotas))
    with pytest.raises(QuotaExceededError) as refused:
        claims.hold(_request("b", {"b1": _band("rules"), "b2": _band("rules")}, quotas=quotas))
    assert refused.value.quota == "rules" and refused.value.owners == ["b2"]
    assert "(4 across 2 environments)" in str(refused.value)
    # Nothing was written by the refused request: b1 still holds 12, 13 is free.
    assert claims.hold(_request("c", {"c1": _band()})) == {"c1": 13}


@pytest.fixture(params=["local", "s3-server"])
def make_threaded_claims(request: pytest.FixtureRequest, tmp_path: Path) -> MakeClaims:
    """As ``make_claims``, but S3 through a moto_server process: moto's in-process mock is
    not thread-safe (its fake HTTP bodies close under concurrent requests)."""
    if request.param == "local":
        return lambda applied: LocalClaims(tmp_path, 5.0, applied)
    import boto3

    endpoint = request.getfixturevalue("moto_endpoint")
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    bucket = f"claims-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket)
    prefix = f"team/{uuid.uuid4().hex}/"
    return lambda applied: S3Claims(client, bucket, prefix, applied)


def test_concurrent_holders_get_distinct_values(make_threaded_claims: MakeClaims) -> None:
    results: dict[str, dict[str, int]] = {}

    def hold(env: str) -> None:
        claims = make_threaded_claims({}.get)
        wanted = {f"{env}-{n}": WantedValue(1, 500) for n in range(10)}
        results[env] = claims.hold(_request(env, wanted))

    threads = [threading.Thread(target=hold, args=(f"env{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    values = [v for held in results.values() for v in held.values()]
    assert len(results) == 4 and len(values) == len(set(values)) == 40


def test_a_damaged_record_is_refused(tmp_path: Path) -> None:
    path = claim_path(tmp_path, SCOPE)
    path.parent.mkdir(parents=True)
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(StateCorruptError, match="unreadable claim record"):
        LocalClaims(tmp_path, 5.0, {}.get).hold(_request("a", {"a1": _band()}))


@pytest.mark.parametrize("deployed", [False, True])
def test_a_removed_environment_leaves_the_claims(make_claims: MakeClaims, deployed: bool) -> None:
    claims = make_claims({}.get)
    claims.hold(_request("a", {"a1": _band()}))
    assert claims.forget("a", deployed=deployed, generation=7) == [SCOPE]
    # Never destroyed: its rule may still be on the listener, so its value stays taken.
    assert claims.hold(_request("b", {"b1": _band()})) == {"b1": 11 if deployed else 10}

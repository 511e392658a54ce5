"""Phase B acceptance test (seed 000 §05): real processes behind the real weighted router.

One runtime serves three deployments: D1 (app.local /) splits r1=99 % / r2=1 % and has a
warming r3; D2 (app.local /api) splits 50/50 between a and b; D3 (other.local /) has one
revision. Every request goes over HTTP on 127.0.0.1 to the router and on to a revision
process that names itself in its answer.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from greentic_iac.local import runtime_status, start_runtime, write_runtime_config

from .conftest import config, deployment, rev

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

D1, D2, D3 = (f"01J0000000000000000000D00{i}" for i in (1, 2, 3))
R1, R2, R3 = (f"01J0000000000000000000R00{i}" for i in (1, 2, 3))
RA, RB, RC = (f"01J0000000000000000000R0{c}0" for c in "ABC")
STAGED = "01J0000000000000000000S001"
CHI2_CRITICAL_1_DOF_95 = 3.841


def d1(generation: int = 1) -> Any:
    return deployment(
        D1,
        "app.local",
        "/",
        generation,
        [rev(R1, 9900), rev(R2, 100), rev(R3, 0, lifecycle="warming")],
    )


def d2(weights: tuple[int, int], generation: int = 1) -> Any:
    return deployment(
        D2,
        "app.local",
        "/api",
        generation,
        [rev(RA, weights[0]), rev(RB, weights[1])],
        bundle_id="api",
    )


def d3() -> Any:
    return deployment(D3, "other.local", "/", 1, [rev(RC, 10000)], bundle_id="other")


async def fetch(
    session: aiohttp.ClientSession,
    url: str,
    host: str,
    path: str,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any], Any]:
    async with session.get(url + path, headers={"Host": host, **(headers or {})}) as response:
        body = await response.json(content_type=None)
        return response.status, body, response.headers


def new_session() -> aiohttp.ClientSession:
    # No cookie jar: a request carries a cookie only when a test sets the header itself.
    return aiohttp.ClientSession(
        cookie_jar=aiohttp.DummyCookieJar(), timeout=aiohttp.ClientTimeout(total=10)
    )


async def many(
    url: str, host: str, path: str, count: int, concurrency: int = 16
) -> list[tuple[int, dict[str, Any]]]:
    results: list[tuple[int, dict[str, Any]]] = []
    async with new_session() as session:
        queue = iter(range(count))

        async def worker() -> None:
            for _ in queue:
                status, body, _ = await fetch(session, url, host, path)
                results.append((status, body))

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return results


def test_phase_b_acceptance(env_dir: Path, teardown: list[int]) -> None:
    # One runtime for the whole scenario: starting seven Python processes is the slow part.
    write_runtime_config(env_dir, config(1, [d1(), d2((5000, 5000)), d3()]))
    runtime = start_runtime(env_dir, port=0, detach=True, trust_override_header=True, rng_seed=11)
    teardown.append(runtime.pid)
    url = runtime.router_url
    asyncio.run(_weighted_split_and_isolation(url))
    asyncio.run(_sticky_cookie(url))
    asyncio.run(_override_header(url))
    asyncio.run(_split_change_under_load(url, env_dir))
    asyncio.run(_no_route(url))
    _status_and_dead_backend(runtime, env_dir)


async def _weighted_split_and_isolation(url: str) -> None:
    main, api, other = await asyncio.gather(
        many(url, "app.local", "/hello", 1000),
        many(url, "app.local", "/api/items", 200),
        many(url, "other.local", "/", 100),
    )
    assert all(status == 200 for status, _ in main + api + other)
    counts = Counter(body["revision_id"] for _, body in main)
    assert set(counts) <= {R1, R2}, counts
    assert abs(counts[R1] - 990) <= 20 and abs(counts[R2] - 10) <= 20, counts
    chi2 = (counts[R1] - 990) ** 2 / 990 + (counts[R2] - 10) ** 2 / 10
    assert chi2 < CHI2_CRITICAL_1_DOF_95, (chi2, counts)
    assert {body["deployment_id"] for _, body in main} == {D1}
    # The other deployments are unaffected: every request lands on their own revisions.
    assert {body["deployment_id"] for _, body in api} == {D2}
    assert set(Counter(body["revision_id"] for _, body in api)) == {RA, RB}
    assert {(body["deployment_id"], body["revision_id"]) for _, body in other} == {(D3, RC)}
    assert {body["path"] for _, body in api} == {"/api/items"}


async def _sticky_cookie(url: str) -> None:
    landed: set[str] = set()
    async with new_session() as session:
        for _ in range(6):
            status, body, headers = await fetch(session, url, "app.local", "/api/x")
            assert status == 200
            set_cookie = headers["Set-Cookie"]
            assert set_cookie.startswith("greentic-rev=") and "HttpOnly" in set_cookie
            assert "Path=/api" in set_cookie
            cookie = set_cookie.split(";", 1)[0]
            first = body["revision_id"]
            for _ in range(99):
                status, body, _ = await fetch(
                    session, url, "app.local", "/api/x", {"Cookie": cookie}
                )
                assert status == 200 and body["revision_id"] == first
            landed.add(first)
        # A tampered cookie is not honoured (the request is weighted like a new client).
        forged = cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB")
        status, _, headers = await fetch(session, url, "app.local", "/api/x", {"Cookie": forged})
        assert status == 200 and headers["Set-Cookie"].split(";", 1)[0] != forged
    # Each client stayed on its first revision for 100 requests while the clients as a
    # group landed on both halves of the 50/50 split (deterministic under the seed).
    assert landed == {RA, RB}


async def _override_header(url: str) -> None:
    async with new_session() as session:
        for _ in range(20):
            status, body, _ = await fetch(
                session, url, "app.local", "/", {"x-greentic-revision": R2}
            )
            assert status == 200 and body["revision_id"] == R2
        # Warming (running but not ready), staged (not running), another deployment's
        # revision: all ignored, so the weighted split decides (never r3: it has no weight).
        for named in (R3, STAGED, RA):
            seen = Counter()
            for _ in range(20):
                status, body, _ = await fetch(
                    session, url, "app.local", "/", {"x-greentic-revision": named}
                )
                assert status == 200
                seen[body["revision_id"]] += 1
            assert named not in seen and set(seen) <= {R1, R2}, (named, seen)


async def _split_change_under_load(url: str, env_dir: Path) -> None:
    records: list[tuple[float, int, str]] = []
    failures: list[str] = []
    warmed_up = asyncio.Event()
    stop = asyncio.Event()
    picked_up_at: list[float] = []

    async def worker(session: aiohttp.ClientSession) -> None:
        while not stop.is_set():
            started = time.monotonic()
            try:
                status, body, _ = await fetch(session, url, "app.local", "/api/load")
            except (aiohttp.ClientError, TimeoutError) as exc:
                failures.append(repr(exc))
                continue
            records.append((started, status, body.get("revision_id", "")))
            if len(records) >= 100:
                warmed_up.set()
            if picked_up_at and sum(1 for r in records if r[0] > picked_up_at[0]) >= 300:
                stop.set()

    async with new_session() as session:
        workers = [asyncio.create_task(worker(session)) for _ in range(8)]
        await asyncio.wait_for(warmed_up.wait(), 15)
        assert {r[2] for r in records} == {RA, RB}
        write_runtime_config(env_dir, config(2, [d1(), d2((0, 10000), generation=2), d3()]))
        deadline = time.monotonic() + 5
        while (await asyncio.to_thread(runtime_status, env_dir))["generation"] != 2:
            assert time.monotonic() < deadline, "router did not pick up generation 2"
        picked_up_at.append(time.monotonic())
        await asyncio.wait_for(stop.wait(), 20)
        await asyncio.gather(*workers)

    assert failures == []
    assert all(status == 200 for _, status, _ in records)
    after = [revision for started, _, revision in records if started > picked_up_at[0]]
    assert len(after) >= 300 and set(after) == {RB}


async def _no_route(url: str) -> None:
    async with new_session() as session:
        status, body, _ = await fetch(session, url, "nowhere.local", "/")
        assert status == 404 and body["error"] == "no_route"


def _status_and_dead_backend(runtime: Any, env_dir: Path) -> None:
    before = _revision(runtime_status(env_dir), RC)["requests"]
    asyncio.run(many(runtime.router_url, "other.local", "/", 30, concurrency=4))
    status = runtime_status(env_dir)
    assert status["running"] and status["generation"] == 2
    revision = _revision(status, RC)
    assert revision["requests"] == before + 30 and revision["process"]["healthy"]
    assert json.loads(json.dumps(status)) == status  # plain JSON for the CLI envelope
    # A pinned request to a dead backend is a 502 with a JSON reason.
    os.kill(revision["process"]["pid"], signal.SIGKILL)
    deadline = time.monotonic() + 5
    while _revision(runtime_status(env_dir), RC)["process"]["healthy"]:
        assert time.monotonic() < deadline
    code, body = asyncio.run(_one(runtime.router_url, "other.local", {"x-greentic-revision": RC}))
    assert code == 502 and body["error"] == "backend_unavailable" and body["revision_id"] == RC
    # ...and the supervisor restarts it.
    deadline = time.monotonic() + 15
    while not _revision(runtime_status(env_dir), RC)["process"]["healthy"]:
        assert time.monotonic() < deadline, "crashed revision was not restarted"
    assert _revision(runtime_status(env_dir), RC)["process"]["restarts"] == 1


def _revision(status: dict[str, Any], revision_id: str) -> dict[str, Any]:
    for d in status["deployments"]:
        for r in d["revisions"]:
            if r["revision_id"] == revision_id:
                return r
    raise AssertionError(revision_id)


async def _one(url: str, host: str, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    async with new_session() as session:
        status, body, _ = await fetch(session, url, host, "/", headers)
        return status, body

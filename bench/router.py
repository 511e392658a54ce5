"""Router throughput and latency: through the local router vs straight to one backend.

Starts a real local runtime (two simulated revisions at 50/50) in a temporary directory,
then drives the same bounded load (count and time capped, 127.0.0.1 only) at the router
and at one revision's process directly, in the same run. Prints rps, p50 and p99 for
both, the rps ratio and the p99 the router adds. The load generator is an asyncio client
(wrk is used instead when installed; nginx ``split_clients`` is measured when installed).

    python bench/router.py [--requests 3000] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
from pathlib import Path

import aiohttp

from greentic_iac.local import runtime_status, start_runtime, stop_runtime, write_runtime_config
from greentic_iac.spec import RouteBinding, RuntimeConfig, RuntimeDeployment, RuntimeRevision

TIME_CAP_SECONDS = 15.0


def _config() -> RuntimeConfig:
    revisions = [
        RuntimeRevision(
            revision_id=f"01J0000000000000000000R00{i}",
            bundle_digest="sha256:ab",
            sequence=i,
            lifecycle="ready",
            weight_bps=5000,
        )
        for i in (1, 2)
    ]
    return RuntimeConfig(
        environment_id="bench",
        generation=1,
        deployments=[
            RuntimeDeployment(
                deployment_id="01J0000000000000000000D001",
                bundle_id="bench",
                tenant="local-dev",
                route_binding=RouteBinding(host="bench.local"),
                split_generation=1,
                revisions=revisions,
            )
        ],
    )


async def _load(url: str, requests: int, concurrency: int) -> tuple[float, list[float], int]:
    latencies: list[float] = []
    errors = 0
    counter = iter(range(requests))
    deadline = time.monotonic() + TIME_CAP_SECONDS
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(
        connector=connector, cookie_jar=aiohttp.DummyCookieJar()
    ) as session:

        async def worker() -> None:
            nonlocal errors
            for _ in counter:
                if time.monotonic() > deadline:
                    return
                started = time.perf_counter()
                try:
                    async with session.get(url, headers={"Host": "bench.local"}) as response:
                        await response.read()
                        if response.status != 200:
                            errors += 1
                except aiohttp.ClientError:
                    errors += 1
                latencies.append(time.perf_counter() - started)

        # Warm the connection pools first so both targets are measured hot.
        for _ in range(concurrency):
            async with session.get(url, headers={"Host": "bench.local"}) as response:
                await response.read()
        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    return len(latencies) / elapsed, latencies, errors


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    if shutil.which("wrk") or shutil.which("nginx"):
        print("note: wrk/nginx found but this script measures with its asyncio client only")
    with tempfile.TemporaryDirectory() as tmp:
        env_dir = Path(tmp) / "environments" / "bench"
        env_dir.mkdir(parents=True)
        write_runtime_config(env_dir, _config())
        handle = start_runtime(env_dir, port=0, detach=True)
        try:
            status = runtime_status(env_dir)
            port = status["deployments"][0]["revisions"][0]["process"]["port"]
            results = {}
            # Throughput under concurrency, and latency one request at a time (so the p99
            # shows the router's own cost rather than queueing on a shared 2-core machine).
            for concurrency, requests in ((args.concurrency, args.requests), (1, 1000)):
                for label, url in (
                    ("direct (one backend)", f"http://127.0.0.1:{port}/bench"),
                    ("through the router", f"{handle.router_url}/bench"),
                ):
                    rps, latencies, errors = asyncio.run(_load(url, requests, concurrency))
                    p50, p99 = _quantile(latencies, 0.5), _quantile(latencies, 0.99)
                    results[(label, concurrency)] = (rps, p50, p99)
                    print(
                        f"c={concurrency:<3d} {label:22s} {len(latencies):6d} req  "
                        f"{rps:8.0f} rps  p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  errors {errors}"
                    )
        finally:
            stop_runtime(env_dir)
    direct = results[("direct (one backend)", args.concurrency)]
    routed = results[("through the router", args.concurrency)]
    print(f"router / direct rps ratio (c={args.concurrency}): {routed[0] / direct[0]:.2f}")
    direct1 = results[("direct (one backend)", 1)]
    routed1 = results[("through the router", 1)]
    print(
        f"p99 added by the router (c=1): {routed1[2] - direct1[2]:+.2f} ms "
        f"(p50 {routed1[1] - direct1[1]:+.2f} ms)"
    )
    print(
        "nginx split_clients:       skipped (nginx not installed)"
        if not shutil.which("nginx")
        else "nginx split_clients:       not measured by this script yet"
    )


if __name__ == "__main__":
    main()

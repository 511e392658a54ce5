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


NGINX_CONF = """
daemon off;
master_process off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    upstream r1 {{ server 127.0.0.1:{b1}; keepalive 32; }}
    upstream r2 {{ server 127.0.0.1:{b2}; keepalive 32; }}
    split_clients "$request_id" $revision {{ 50% r1; * r2; }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass http://$revision;
        }}
    }}
}}
"""


def _nginx_comparison(
    tmp: Path,
    backends: list[int],
    args: argparse.Namespace,
    results: dict[tuple[str, int], tuple[float, float, float]],
) -> str:
    """rps through nginx ``split_clients`` over the same two backends, when nginx exists."""
    import socket
    import subprocess

    nginx = shutil.which("nginx")
    if nginx is None:
        return "nginx split_clients:       skipped (nginx is not on PATH; install it to compare)"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    prefix = tmp / "nginx"
    prefix.mkdir()
    conf = prefix / "nginx.conf"
    conf.write_text(NGINX_CONF.format(tmp=prefix, b1=backends[0], b2=backends[1], port=port))
    process = subprocess.Popen(
        [nginx, "-p", str(prefix), "-c", str(conf)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    return "nginx split_clients:       skipped (nginx did not start; see its log)"
                time.sleep(0.05)
        rps, latencies, errors = asyncio.run(
            _load(f"http://127.0.0.1:{port}/bench", args.requests, args.concurrency)
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    routed = results[("through the router", args.concurrency)][0]
    return (
        f"nginx split_clients (c={args.concurrency}): {rps:8.0f} rps  "
        f"p99 {_quantile(latencies, 0.99):6.2f} ms  errors {errors}; "
        f"router / nginx rps ratio {routed / rps:.2f} (target >= 0.33)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    if shutil.which("wrk"):
        print("note: wrk found but this script measures with its asyncio client only")
    with tempfile.TemporaryDirectory() as tmp:
        env_dir = Path(tmp) / "environments" / "bench"
        env_dir.mkdir(parents=True)
        write_runtime_config(env_dir, _config())
        handle = start_runtime(env_dir, port=0, detach=True)
        try:
            status = runtime_status(env_dir)
            backends = [r["process"]["port"] for r in status["deployments"][0]["revisions"]]
            port = backends[0]
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
            nginx_line = _nginx_comparison(Path(tmp), backends, args, results)
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
    print(nginx_line)


if __name__ == "__main__":
    main()

"""``make demo``: the main job on the embedded default (the local environment).

Runs seed 000's operator transcript through the real CLI against a throwaway
GREENTIC_HOME (or ``--home DIR`` to keep it): init the local environment, list its packs,
add a bundle, stage and warm a revision, send it 100 % of the traffic, read the audit log.
Then Phase B on the same environment: a second bundle with two revisions split 90/10,
``local up --detach --port 0``, 1000 real HTTP requests through the router, the observed
split as bars, a shift to 50/50 picked up by the running router, 1000 more, ``local down``
(always, so no process outlives the demo). It ends with two automatic rollouts
(demo_rollout.py): a failing canary rolled back, then a good one promoted.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from greentic_iac.cli.main import run


def _step(home: Path, title: str, argv: list[str], answers: dict[str, Any] | None = None) -> Any:
    extra: list[str] = []
    if answers is not None:
        path = home / "demo-answers" / f"{argv[0]}-{argv[1]}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(answers, indent=2))
        extra = ["--answers", str(path)]
    shown = " ".join(["greentic-iac", *argv, *(["--answers", path.name] if answers else [])])
    # A step that continues the previous one has no heading of its own (no bare "#").
    print(f"\n# {title}\n$ {shown}" if title else f"\n$ {shown}")
    if answers is not None:
        print(json.dumps(answers, indent=2))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = run(["--home", str(home), "--output", "json", *argv, *extra])
    print(out.getvalue().rstrip())
    if code != 0:
        sys.exit(code)
    return json.loads(out.getvalue())["result"]


def transcript(home: Path) -> None:
    _step(home, "① bootstrap the local environment (idempotent)", ["env", "init"])
    _step(home, "② read-only: the bindings and the doctor", ["env-packs", "list", "local"])
    _step(home, "", ["env", "doctor", "local"])
    deployment = _step(
        home,
        "③ step 1: bundles add -> deployment_id",
        ["bundles", "add"],
        {
            "environment_id": "local",
            "bundle_id": "fast2flow",
            "route_binding": {"host": "localhost", "path_prefix": "/"},
        },
    )["deployment_id"]
    revision = _step(
        home,
        "③ step 2: revisions stage -> revision_id",
        ["revisions", "stage"],
        {"environment_id": "local", "deployment_id": deployment, "bundle_digest": "sha256:abc123"},
    )["revision_id"]
    _step(
        home,
        "③ step 3: revisions warm -> ready",
        ["revisions", "warm"],
        {"environment_id": "local", "revision_id": revision},
    )
    _step(
        home,
        "④ traffic set: 100 % to the new revision",
        ["traffic", "set"],
        {
            "environment_id": "local",
            "deployment_id": deployment,
            "idempotency_key": "first-rollout",
            "entries": [{"revision_id": revision, "weight_percent": 100}],
        },
    )
    events = _step(
        home, "⑤ the audit log recorded every mutation", ["audit", "list", "local", "--limit", "5"]
    )
    del events


DEMO_HOST = "shop.localhost"
REQUESTS = 1000
BAR_WIDTH = 40


def _send(router_url: str, count: int) -> dict[str, int]:
    """``count`` GETs through the router without cookies (bounded), counted by revision."""
    import asyncio

    import aiohttp

    async def send() -> dict[str, int]:
        counts: dict[str, int] = {}
        timeout = aiohttp.ClientTimeout(total=10)
        async with aiohttp.ClientSession(
            cookie_jar=aiohttp.DummyCookieJar(), timeout=timeout
        ) as session:
            queue = iter(range(count))

            async def worker() -> None:
                for _ in queue:
                    async with session.get(
                        router_url + "/checkout", headers={"Host": DEMO_HOST}
                    ) as response:
                        body = await response.json(content_type=None)
                        key = body.get("revision_id") or f"HTTP {response.status}"
                        counts[key] = counts.get(key, 0) + 1

            await asyncio.gather(*(worker() for _ in range(16)))
        return counts

    return asyncio.run(asyncio.wait_for(send(), 30))


def _bars(title: str, counts: dict[str, int], expected: dict[str, float]) -> None:
    total = sum(counts.values())
    print(f"\n{title}: {total} requests")
    print(f"{'revision':<28} {'expected':>8} {'observed':>8}  ")
    for revision, share in expected.items():
        seen = counts.get(revision, 0)
        bar = "█" * round(BAR_WIDTH * seen / total) if total else ""
        print(f"{revision:<28} {share:>7.1f}% {100 * seen / total:>7.1f}%  {bar} {seen}")
    for other in sorted(set(counts) - set(expected)):
        print(f"{other:<28} {'-':>8} {counts[other]:>8}  (unexpected)")


def _wait_for_generation(home: Path, generation: int, timeout: float = 10.0) -> None:
    """Poll ``local status`` until the router reports ``generation`` (bounded)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        status = _quiet(home, ["local", "status", "local"])
        if int(status.get("generation") or -1) >= generation:
            print(f"router applied generation {status['generation']}")
            return
        if time.monotonic() > deadline:
            sys.exit(f"the router did not apply generation {generation} within {timeout:.0f}s")
        time.sleep(0.1)


def _quiet(home: Path, argv: list[str]) -> Any:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = run(["--home", str(home), "--output", "json", *argv])
    if code != 0:
        sys.exit(code)
    return json.loads(out.getvalue())["result"]


def phase_b(home: Path) -> None:
    """The weighted router for real: 90/10, then 50/50, over HTTP on 127.0.0.1."""
    deployment = _step(
        home,
        "⑥ Phase B: a second bundle on its own host",
        ["bundles", "add"],
        {
            "environment_id": "local",
            "bundle_id": "shop",
            "route_binding": {"host": DEMO_HOST, "path_prefix": "/"},
        },
    )["deployment_id"]
    revisions = []
    for digest in ("sha256:5e0001", "sha256:5e0002"):
        revision = _step(
            home,
            "stage a revision",
            ["revisions", "stage"],
            {"environment_id": "local", "deployment_id": deployment, "bundle_digest": digest},
        )["revision_id"]
        _step(
            home,
            "warm it",
            ["revisions", "warm"],
            {"environment_id": "local", "revision_id": revision},
        )
        revisions.append(revision)
    blue, green = revisions
    _step(
        home,
        "⑦ split 90/10",
        ["traffic", "set"],
        {
            "environment_id": "local",
            "deployment_id": deployment,
            "entries": [
                {"revision_id": blue, "weight_percent": 90},
                {"revision_id": green, "weight_percent": 10},
            ],
        },
    )
    try:
        up = _step(
            home,
            "⑧ start the runtime on a free port",
            ["local", "up", "local", "--detach", "--port", "0"],
        )
        router_url = up["router_url"]
        _bars(
            f"⑨ GET {router_url}/checkout (Host: {DEMO_HOST})",
            _send(router_url, REQUESTS),
            {blue: 90.0, green: 10.0},
        )
        shifted = _step(
            home,
            "⑩ shift to 50/50 while it runs",
            ["traffic", "set"],
            {
                "environment_id": "local",
                "deployment_id": deployment,
                "entries": [
                    {"revision_id": blue, "weight_percent": 50},
                    {"revision_id": green, "weight_percent": 50},
                ],
            },
        )
        state_generation = _quiet(home, ["local", "status", "local"])["state_generation"]
        del shifted
        _wait_for_generation(home, state_generation)
        _bars("⑪ after the shift", _send(router_url, REQUESTS), {blue: 50.0, green: 50.0})
        status = _quiet(home, ["local", "status", "local"])
        print("\n# ⑫ requests per revision since start\n$ greentic-iac local status local")
        for revision_id, count in sorted(status["requests"].items()):
            print(f"{revision_id:<28} {count:>6}")
    finally:
        _step(home, "⑬ stop everything", ["local", "down", "local"])


def demo(home: Path) -> None:
    transcript(home)
    phase_b(home)
    preview_section = _preview_section()
    if preview_section is not None:
        preview_section(home)
    from greentic_iac.demo_rollout import rollout_section

    rollout_section(home, _step)


def _preview_section() -> Callable[[Path], object] | None:
    # Written by another part of the project; the demo runs without it.
    try:
        from greentic_iac.demo_preview import preview_section
    except ImportError:
        return None
    return preview_section


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--home", help="keep the demo's state here instead of a temporary directory"
    )
    args = parser.parse_args(argv)
    if args.home:
        demo(Path(args.home))
        return
    with tempfile.TemporaryDirectory(prefix="greentic-demo-") as home:
        demo(Path(home))


if __name__ == "__main__":
    main()

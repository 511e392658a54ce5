"""The closing part of ``make demo``: offline previews of a traffic shift on AWS and Kubernetes.

For the sample AWS ECS environment (``examples/aws-ecs/environment.json``) and the sample
Kubernetes one (``examples/k8s/environment.json``): create it, add a bundle, stage and warm
two revisions, send 100 % to the first, record that plan as applied (the baseline ``up``
would write), shift to 90/10 and print the offline preview in terminal format. Everything
goes through the real CLI (``greentic_iac.cli.main.run``); no cloud is touched.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from greentic_iac.cli.main import run
from greentic_iac.resources import data_dir

SAMPLES = (("aws-ecs", "prod-eu"), ("k8s", "zain-prod"))


@contextlib.contextmanager
def granted(*environment_ids: str) -> Iterator[None]:
    """``GREENTIC_GRANT`` for these environments while the block runs, restored after."""
    previous = os.environ.get("GREENTIC_GRANT")
    os.environ["GREENTIC_GRANT"] = ",".join(environment_ids)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("GREENTIC_GRANT", None)
        else:
            os.environ["GREENTIC_GRANT"] = previous


def cli_json(home: Path, argv: list[str], answers: dict[str, Any] | None = None) -> Any:
    """Run one verb with JSON output and return its ``result`` (raises on a non-zero exit)."""
    extra: list[str] = []
    if answers is not None:
        directory = home / "demo-answers"
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{argv[0]}-{argv[1]}-{sum(1 for _ in directory.iterdir())}.json"
        path.write_text(json.dumps(answers), encoding="utf-8")
        extra = ["--answers", str(path)]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = run(["--home", str(home), "--output", "json", *argv, *extra])
    if code != 0:
        raise RuntimeError(f"greentic-iac {' '.join(argv)} exited {code}: {out.getvalue()}")
    return json.loads(out.getvalue())["result"]


def _split(home: Path, env: str, deployment: str, entries: list[tuple[str, int]], key: str) -> None:
    cli_json(
        home,
        ["traffic", "set"],
        {
            "environment_id": env,
            "deployment_id": deployment,
            "idempotency_key": key,
            "entries": [{"revision_id": r, "weight_percent": p} for r, p in entries],
        },
    )


def prepare_sample(home: Path, example: str, env: str) -> dict[str, str]:
    """Create the sample environment, roll out two revisions at 100/0, record the applied
    baseline, then shift to 90/10 (not applied). Returns the ids it made."""
    from greentic_iac.operations.baseline import save_baseline
    from greentic_iac.operations.planning import compile_environment
    from greentic_iac.store import open_store

    answers = json.loads((data_dir("examples") / example / "environment.json").read_text())
    cli_json(home, ["env", "create"], answers)
    deployment = cli_json(
        home,
        ["bundles", "add"],
        {
            "environment_id": env,
            "bundle_id": "fast2flow",
            "route_binding": {"host": "shop.acme.example.com", "path_prefix": "/"},
        },
    )["deployment_id"]
    revisions = []
    for digest in ("sha256:" + "1" * 64, "sha256:" + "2" * 64):
        revision = cli_json(
            home,
            ["revisions", "stage"],
            {"environment_id": env, "deployment_id": deployment, "bundle_digest": digest},
        )["revision_id"]
        # Offline: no cloud to ask, so the health check is skipped (and audited).
        cli_json(
            home,
            ["revisions", "warm", "--skip-health-check"],
            {"environment_id": env, "revision_id": revision},
        )
        revisions.append(revision)
    first, second = revisions
    _split(home, env, deployment, [(first, 100), (second, 0)], f"{env}-100-0")
    state = open_store(None, home=home).load(env)
    save_baseline(home, compile_environment(state))
    _split(home, env, deployment, [(first, 90), (second, 10)], f"{env}-90-10")
    return {"deployment_id": deployment, "first": first, "second": second}


def preview_section(home: Path) -> None:
    """Print the demo's closing part (see the module docstring)."""
    with granted(*(env for _, env in SAMPLES)):
        for example, env in SAMPLES:
            print(f"\n# offline preview: {example} sample ({env}), split 100/0 -> 90/10")
            prepare_sample(home, example, env)
            print(f"$ greentic-iac preview {env} --format text")
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                code = run(["--home", str(home), "preview", env, "--format", "text"])
            print(out.getvalue().rstrip())
            if code != 0:
                raise SystemExit(code)


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory(prefix="greentic-demo-preview-") as directory:
        preview_section(Path(directory))

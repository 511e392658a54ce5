"""``make demo``: the main job on the embedded default (the local environment).

Runs seed 000's operator transcript through the real CLI against a throwaway
GREENTIC_HOME (or ``--home DIR`` to keep it): init the local environment, list its packs,
add a bundle, stage and warm a revision, send it 100 % of the traffic, read the audit log.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
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
    print(f"\n# {title}\n$ {shown}")
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--home", help="keep the demo's state here instead of a temporary directory"
    )
    args = parser.parse_args(argv)
    if args.home:
        transcript(Path(args.home))
        return
    with tempfile.TemporaryDirectory(prefix="greentic-demo-") as home:
        transcript(Path(home))


if __name__ == "__main__":
    main()

"""A local home driven through the CLI in this process, for the exactly-once tests."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.cli_runner import Outcome, run_cli


@dataclass
class Home:
    root: Path
    _answers: Path = field(init=False)

    def __post_init__(self) -> None:
        self._answers = self.root.parent / f"{self.root.name}-answers"
        self._answers.mkdir(exist_ok=True)

    @property
    def home(self) -> Path:
        return self.root / "home"

    def run(self, *argv: str, payload: dict[str, Any] | None = None) -> Outcome:
        extra: list[str] = []
        if payload is not None:
            path = self._answers / f"{len(list(self._answers.iterdir()))}.json"
            path.write_text(json.dumps(payload), encoding="utf-8")
            extra = ["--answers", str(path)]
        return run_cli(self.home, *argv, *extra)

    def ok(self, *argv: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        outcome = self.run(*argv, payload=payload)
        assert outcome.code == 0, outcome.stderr
        return dict(outcome.result)

    def state(self, environment_id: str = "local") -> dict[str, Any]:
        return self.ok("env", "show", environment_id)

    def env_dir(self, environment_id: str = "local") -> Path:
        return self.home / "environments" / environment_id


def local_with_deployment(root: Path) -> tuple[Home, str]:
    """``env init local`` plus one bundle; the deployment id."""
    home = Home(root)
    home.ok("env", "init", "local")
    deployment = home.ok(
        "bundles",
        "add",
        payload={
            "environment_id": "local",
            "bundle_id": "fast2flow",
            "route_binding": {"host": "app.local", "path_prefix": "/"},
        },
    )["deployment_id"]
    return home, deployment


def stage_payload(deployment: str, digit: str = "a", **extra: Any) -> dict[str, Any]:
    return {
        "environment_id": "local",
        "deployment_id": deployment,
        "bundle_digest": "sha256:" + digit * 64,
        **extra,
    }

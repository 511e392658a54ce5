"""Drive the greentic-iac CLI in-process for the plug-in's walks: one call per verb, answers
files written where the test says, every outcome checked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support.cli_runner import Outcome, run_cli

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "environment.json"
ENVIRONMENT = "prod-gcp"


class Walk:
    def __init__(
        self, base: Path, environment: str = ENVIRONMENT, home: Path | None = None
    ) -> None:
        self.home = home or base / "home"
        self.answers = base / "answers"
        self.answers.mkdir(parents=True)
        self.calls = 0
        self.environment = environment

    def run(self, *argv: str, payload: dict[str, Any] | None = None) -> Outcome:
        extra: list[str] = []
        if payload is not None:
            self.calls += 1
            path = self.answers / f"{self.calls:03d}.json"
            path.write_text(json.dumps(payload), encoding="utf-8")
            extra = ["--answers", str(path)]
        return run_cli(self.home, *argv, *extra)

    def ok(self, *argv: str, payload: dict[str, Any] | None = None) -> Any:
        outcome = self.run(*argv, payload=payload)
        assert outcome.code == 0, f"{argv}: exit {outcome.code}: {outcome.stderr}{outcome.stdout}"
        return outcome.result

    def create(self, answers: Path = EXAMPLE, **settings: Any) -> None:
        document = json.loads(answers.read_text(encoding="utf-8"))
        document["environment_id"] = self.environment
        document["packs"][0]["settings"].update(settings)
        self.ok("env", "create", payload=document)

    def add_bundle(self, host: str = "shop.example.com", path: str = "/") -> str:
        result = self.ok(
            "bundles",
            "add",
            payload={
                "environment_id": self.environment,
                "bundle_id": "shop",
                "route_binding": {"host": host, "path_prefix": path},
            },
        )
        return str(result["deployment_id"])

    def stage(self, deployment: str, digit: str) -> str:
        result = self.ok(
            "revisions",
            "stage",
            payload={
                "environment_id": self.environment,
                "deployment_id": deployment,
                "bundle_digest": "sha256:" + digit * 64,
            },
        )
        return str(result["revision_id"])

    def transition(self, verb: str, revision: str, *flags: str) -> None:
        self.ok(
            "revisions",
            verb,
            *flags,
            payload={"environment_id": self.environment, "revision_id": revision},
        )

    def warm(self, revision: str) -> None:
        # Offline: no Cloud Run to ask for health, so the check is skipped (audited).
        self.transition("warm", revision, "--skip-health-check")

    def split(self, deployment: str, weights: dict[str, int]) -> Outcome:
        return self.run(
            "traffic",
            "set",
            payload={
                "environment_id": self.environment,
                "deployment_id": deployment,
                "entries": [{"revision_id": r, "weight_bps": w} for r, w in weights.items()],
            },
        )

    def plan(self) -> dict[str, Any]:
        outcome = self.run("plan", self.environment, "--canonical")
        assert outcome.code == 0, outcome.stderr
        return dict(json.loads(outcome.stdout))

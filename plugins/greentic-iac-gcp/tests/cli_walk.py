"""The plug-in's walks through the greentic-iac CLI in-process: the core's ``AnswersCli``
(tests/support/seeding.py) on one home, plus the verbs a Cloud Run environment's life
needs, each for one environment."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support.cli_runner import Outcome
from tests.support.seeding import AnswersCli

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "environment.json"
ENVIRONMENT = "prod-gcp"


class Walk:
    def __init__(
        self, base: Path, environment: str = ENVIRONMENT, home: Path | None = None
    ) -> None:
        self.cli = AnswersCli(home or base / "home", base / "answers")
        self.environment = environment

    def run(self, *argv: str, payload: dict[str, Any] | None = None) -> Outcome:
        return self.cli(*argv, payload=payload)

    def ok(self, *argv: str, payload: dict[str, Any] | None = None) -> Any:
        return self.cli.ok(*argv, payload=payload)

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

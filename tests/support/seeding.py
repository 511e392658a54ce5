"""Homes seeded through the CLI itself: the verbs a person runs, answers files and all.

Many integration tests start from the same place: an environment, one bundle deployed,
revisions staged (and warmed), a split. ``AnswersCli`` runs the CLI in this process on one
home and writes each payload to the next numbered answers file; ``seed_deployment`` runs
``bundles add``, ``revisions stage``/``warm`` and ``traffic set`` with it, asserting each
verb succeeded, so a test names what it needs and not the six payloads behind it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.cli_runner import Outcome, run_cli


class AnswersCli:
    """``greentic-iac --home HOME ...`` in this process; a payload becomes an answers file."""

    def __init__(self, home: Path, answers: Path) -> None:
        self.home = home
        self.answers = answers
        self.answers.mkdir(parents=True, exist_ok=True)

    def __call__(
        self, *argv: str, payload: Mapping[str, Any] | None = None, output: str = "json"
    ) -> Outcome:
        extra: list[str] = []
        if payload is not None:
            path = self.answers / f"{len(list(self.answers.iterdir()))}.json"
            path.write_text(json.dumps(payload), encoding="utf-8")
            extra = ["--answers", str(path)]
        return run_cli(self.home, *argv, *extra, output=output)

    def ok(self, *argv: str, payload: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The verb's result, asserting it exited 0."""
        outcome = self(*argv, payload=payload)
        assert outcome.code == 0, (argv, outcome.stderr)
        return dict(outcome.result)

    def tree(self) -> dict[str, bytes]:
        """Every file under the home with its bytes (to show a verb wrote nothing)."""
        return {
            str(p.relative_to(self.home)): p.read_bytes()
            for p in sorted(self.home.rglob("*"))
            if p.is_file()
        }


@dataclass(frozen=True)
class SeededDeployment:
    environment_id: str
    deployment_id: str
    revision_ids: list[str]


def seed_deployment(
    cli: AnswersCli,
    environment_id: str,
    *,
    bundle_id: str,
    host: str,
    digests: Sequence[str],
    warm: int | None = None,
    splits: Sequence[Sequence[int]] = (),
) -> SeededDeployment:
    """``bundles add`` into an existing environment, a revision staged per digest (the first
    ``warm`` of them warmed as they are staged; all by default), then one ``traffic set`` per
    split: the weights in basis points of the first revisions, in order."""
    deployment_id = cli.ok(
        "bundles",
        "add",
        payload={
            "environment_id": environment_id,
            "bundle_id": bundle_id,
            "route_binding": {"host": host, "path_prefix": "/"},
        },
    )["deployment_id"]
    revision_ids: list[str] = []
    for index, digest in enumerate(digests):
        stage = {"environment_id": environment_id, "deployment_id": deployment_id}
        revision_id = cli.ok("revisions", "stage", payload={**stage, "bundle_digest": digest})[
            "revision_id"
        ]
        revision_ids.append(revision_id)
        if warm is None or index < warm:
            # Offline seeding: no cloud to ask for health, so the check is skipped (audited).
            warming = {"environment_id": environment_id, "revision_id": revision_id}
            cli.ok("revisions", "warm", "--skip-health-check", payload=warming)
    for split in splits:
        entries = [
            {"revision_id": revision_id, "weight_bps": weight}
            for revision_id, weight in zip(revision_ids, split, strict=False)
        ]
        cli.ok(
            "traffic",
            "set",
            payload={
                "environment_id": environment_id,
                "deployment_id": deployment_id,
                "entries": entries,
            },
        )
    return SeededDeployment(environment_id, deployment_id, revision_ids)

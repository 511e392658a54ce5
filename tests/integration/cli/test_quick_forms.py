"""``traffic set ENV --deployment NAME --weight REV=PCT ...``: the answers payload, from flags."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli_runner import Outcome, run_cli


class Env:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.count = 0

    def __call__(self, *argv: str, answers: dict[str, Any] | None = None) -> Outcome:
        extra: list[str] = []
        if answers is not None:
            self.count += 1
            path = self.home.parent / f"answers-{self.count}.json"
            path.write_text(json.dumps(answers))
            extra = ["--answers", str(path)]
        return run_cli(self.home, *argv, *extra)


@pytest.fixture
def shop(tmp_path: Path) -> tuple[Env, str, list[str]]:
    cli = Env(tmp_path / "home")
    assert cli("env", "init").code == 0
    route = {"host": "localhost", "path_prefix": "/"}
    added = cli(
        "bundles",
        "add",
        answers={"environment_id": "local", "bundle_id": "shop", "route_binding": route},
    )
    deployment = added.result["deployment_id"]
    revisions = []
    for digest in ("sha256:aa", "sha256:bb"):
        staged = cli(
            "revisions",
            "stage",
            answers={
                "environment_id": "local",
                "deployment_id": deployment,
                "bundle_digest": digest,
            },
        ).result["revision_id"]
        warm = cli("revisions", "warm", answers={"environment_id": "local", "revision_id": staged})
        assert warm.code == 0, warm.stderr
        revisions.append(staged)
    return cli, deployment, revisions


def test_names_resolve_to_the_full_ids_of_the_answers_form(
    shop: tuple[Env, str, list[str]],
) -> None:
    cli, deployment, revisions = shop
    first = cli("traffic", "set", "local", "--deployment", "shop", "--weight", "shop@1=100")
    assert first.code == 0, first.stderr
    second = cli(
        "traffic",
        "set",
        "local",
        "--deployment",
        "shop",
        "--weight",
        "shop@1=99",
        "--weight",
        f"{revisions[1][:12]}=1",
        "--idempotency-key",
        "canary-1",
    )
    assert second.code == 0, second.stderr
    assert second.result["deployment_id"] == deployment
    assert [(e["revision_id"], e["weight_bps"]) for e in second.result["entries"]] == [
        (revisions[0], 9900),
        (revisions[1], 100),
    ]
    # The same key with the answers-file form of the same change is a replay, not a
    # conflict: the quick form produced exactly that payload (hashed in the audit log).
    replay = cli(
        "traffic",
        "set",
        answers={
            "environment_id": "local",
            "deployment_id": deployment,
            "entries": [
                {"revision_id": revisions[0], "weight_percent": "99"},
                {"revision_id": revisions[1], "weight_percent": "1"},
            ],
            "idempotency_key": "canary-1",
        },
    )
    assert replay.code == 0, replay.stderr
    assert replay.result == second.result
    events = [
        e for e in cli("audit", "list", "local").result["events"] if e["verb"] == "traffic set"
    ]
    keyed = [e for e in events if e["idempotency_key"] == "canary-1"]
    assert {e["payload_sha256"] for e in keyed} != {None}
    assert len({e["payload_sha256"] for e in keyed}) == 1


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (
            ("--deployment", "nope", "--weight", "x=100"),
            "--deployment: no active deployment of local has the id or bundle id 'nope'",
        ),
        (
            ("--deployment", "shop", "--weight", "shop@3=100"),
            "--weight shop@3: local has no revision 'shop@3'",
        ),
        (("--deployment", "shop", "--weight", "shop@1"), "expected REVISION=PERCENT"),
        (("--deployment", "shop", "--weight", "shop@1=60"), "weights sum to 60"),
        (
            (
                "--weight",
                "shop@1=100",
            ),
            "--deployment and --weight",
        ),
    ],
)
def test_bad_quick_forms_exit_2_naming_the_flag(
    shop: tuple[Env, str, list[str]], argv: tuple[str, ...], fragment: str
) -> None:
    cli, _, _ = shop
    before = cli("traffic", "show", "local").result
    outcome = cli("traffic", "set", "local", *argv)
    assert outcome.code == 2
    assert fragment in outcome.stderr.splitlines()[0]
    assert cli("traffic", "show", "local").result == before


def test_the_quick_form_refuses_names_as_an_answers_file_does(
    shop: tuple[Env, str, list[str]],
) -> None:
    """One resolver: a prefix too short to keep its meaning, or one two revisions share, is
    refused by the flags as by an answers file, naming the flag."""
    cli, _, revisions = shop
    short = cli("traffic", "set", "local", "--deployment", "shop", "--weight", "01=100")
    assert short.code == 2
    assert "--weight 01: the id prefix '01' is shorter than 6 characters" in short.stderr
    # Revisions staged in the same millisecond share their first 10 characters.
    common = next(n for n in range(10, 0, -1) if revisions[0][:n] == revisions[1][:n])
    if common >= 6:
        shared = revisions[0][:common]
        ambiguous = cli(
            "traffic", "set", "local", "--deployment", "shop", "--weight", f"{shared}=100"
        )
        assert ambiguous.code == 2
        assert f"--weight {shared}: the id prefix" in ambiguous.stderr
        assert "matches 2 revisions" in ambiguous.stderr

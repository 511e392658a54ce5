"""``traffic set ENV --deployment NAME --weight REV=PCT ...``: the answers payload, from flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.seeding import AnswersCli, seed_deployment


@pytest.fixture
def shop(tmp_path: Path) -> tuple[AnswersCli, str, list[str]]:
    cli = AnswersCli(tmp_path / "home", tmp_path / "answers")
    assert cli("env", "init").code == 0
    seeded = seed_deployment(
        cli, "local", bundle_id="shop", host="localhost", digests=["sha256:aa", "sha256:bb"]
    )
    return cli, seeded.deployment_id, seeded.revision_ids


def test_names_resolve_to_the_full_ids_of_the_answers_form(
    shop: tuple[AnswersCli, str, list[str]],
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
        payload={
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
    shop: tuple[AnswersCli, str, list[str]], argv: tuple[str, ...], fragment: str
) -> None:
    cli, _, _ = shop
    before = cli("traffic", "show", "local").result
    outcome = cli("traffic", "set", "local", *argv)
    assert outcome.code == 2
    assert fragment in outcome.stderr.splitlines()[0]
    assert cli("traffic", "show", "local").result == before


def test_the_quick_form_refuses_names_as_an_answers_file_does(
    shop: tuple[AnswersCli, str, list[str]],
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

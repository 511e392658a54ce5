"""Review, then apply: ``up``/``destroy`` ask on a terminal, need ``--yes`` without one,
``up --plan FILE`` applies exactly the reviewed plan, and ``up`` re-checks the policy.

Against the fake pulumi; the prompt is answered through a real pseudo-terminal by a
console-script subprocess (the fixture's PATH and fake-pulumi variables are inherited).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from greentic_iac.operations.baseline import baseline_path
from tests.support.pty_screen import screen as on_terminal

from .conftest import FakePulumi

pytestmark = pytest.mark.integration

SCRIPT = Path(sys.executable).parent / "greentic-iac"


def _answers(tmp_path: Path, payload: dict[str, Any]) -> str:
    path = tmp_path / f"answers-{len(list(tmp_path.glob('answers-*')))}.json"
    path.write_text(json.dumps(payload))
    return str(path)


def _ran_up(fake: FakePulumi) -> bool:
    return any(argv[:1] == ["up"] for argv in fake.argvs())


def converse(
    argv: list[str],
    answer: str,
    prompt: str = "Enter a value:",
    env: dict[str, str] | None = None,
) -> tuple[int, str]:
    """Run ``argv`` on a pseudo-terminal; type ``answer`` once ``prompt`` is on screen."""
    environment = {**{k: v for k, v in os.environ.items() if k != "NO_COLOR"}, **(env or {})}
    code, shown = on_terminal(argv, environment, answer=answer, prompt=prompt)
    # The prompt reached the screen, so it was answered (screen types it at once).
    assert prompt in shown, shown[-2000:]
    return code, shown


def test_without_a_terminal_up_and_destroy_need_yes(
    k8s_env: str, cli: Any, fake: FakePulumi, home: Path
) -> None:
    for verb in ("up", "destroy"):
        outcome = cli(verb, k8s_env)
        assert outcome.code == 2, outcome.stderr
        [line] = outcome.stderr.splitlines()
        assert line.startswith("error: --yes:") and "pass --yes" in line
    # Piped (no --output): the reason is that nothing can answer.
    for verb in ("up", "destroy"):
        proc = subprocess.run(
            [str(SCRIPT), "--home", str(home), verb, k8s_env],
            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL, check=False,
        )  # fmt: skip
        assert proc.returncode == 2, proc.stderr
        assert "stdin/stdout is not one" in proc.stderr.splitlines()[0]
    assert not _ran_up(fake)
    assert not any(argv[:1] == ["destroy"] for argv in fake.argvs())
    assert not baseline_path(home, k8s_env).exists()


@pytest.mark.parametrize(("answer", "applied"), [("no", False), ("yes", True)])
def test_on_a_terminal_up_shows_the_preview_and_asks(
    k8s_env: str, fake: FakePulumi, home: Path, answer: str, applied: bool
) -> None:
    code, screen = converse([str(SCRIPT), "--home", str(home), "up", k8s_env], answer)

    # The pulumi CLI is on PATH: the confirmation shows the engine's own preview.
    assert "Pulumi preview of zain-prod" in screen and "Resources" in screen
    assert "Do you want to up zain-prod?" in screen
    assert screen.index("Pulumi preview") < screen.index("Do you want to up")
    assert any(argv[:1] == ["preview"] for argv in fake.argvs())
    assert _ran_up(fake) is applied
    assert baseline_path(home, k8s_env).exists() is applied
    if applied:
        assert code == 0, screen[-2000:]
    else:
        assert code == 1 and "up cancelled: nothing was applied to zain-prod" in screen


def _step(op: str, token: str, name: str) -> dict[str, Any]:
    urn = f"urn:pulumi:zain-prod::greentic-iac::{token}::{name}"
    return {"resourcePreEvent": {"metadata": {"op": op, "urn": urn, "type": token, "provider": ""}}}


def test_up_confirmation_lists_pulumis_steps_and_counts(
    k8s_env: str, fake: FakePulumi, home: Path
) -> None:
    fake.scenario(preview={"events": [
        {"preludeEvent": {"config": {}}},
        _step("create", "kubernetes:core/v1:ConfigMap", "config-shop"),
        _step("update", "kubernetes:apps/v1:Deployment", "rev-shop-1"),
        _step("replace", "kubernetes:core/v1:Service", "svc-shop"),
        _step("create-replacement", "kubernetes:core/v1:Service", "svc-shop"),
        _step("delete", "kubernetes:apps/v1:Deployment", "rev-shop-0"),
        {"summaryEvent": {"resourceChanges": {"create": 1, "update": 1, "replace": 1,
                                              "delete": 1, "same": 4}}},
    ]})  # fmt: skip
    code, screen = converse([str(SCRIPT), "--home", str(home), "up", k8s_env], "no")
    assert code == 1 and not _ran_up(fake)
    text = re.sub(r"\x1b\[[0-9;]*m", "", screen).replace("\r\n", "\n")
    assert "+ create   kubernetes:core/v1:ConfigMap  config-shop" in text
    assert "~ update   kubernetes:apps/v1:Deployment  rev-shop-1" in text
    assert "+- replace  kubernetes:core/v1:Service  svc-shop" in text
    assert "- delete   kubernetes:apps/v1:Deployment  rev-shop-0" in text
    assert "create-replacement" not in text  # one line per replaced resource
    assert "Summary: 1 to create, 1 to update, 1 to replace, 1 to delete, 4 unchanged" in text
    # Coloured on the terminal, through rich: the create green, the delete red.
    assert "\x1b[32m" in screen and "\x1b[31m" in screen


def test_up_confirmation_falls_back_to_the_offline_preview_with_a_note(
    k8s_env: str, fake: FakePulumi, home: Path
) -> None:
    fake.scenario(preview={"events": [], "stderr": "error: the cluster is unreachable",
                           "exit": 255})  # fmt: skip
    code, screen = converse([str(SCRIPT), "--home", str(home), "up", k8s_env], "no")
    assert code == 1 and not _ran_up(fake)
    text = re.sub(r"\x1b\[[0-9;]*m", "", screen)
    assert "note: Pulumi's preview could not run (pulumi preview failed for zain-prod" in text
    assert "the cluster is unreachable" in text
    assert "Preview of zain-prod" in text and "Do you want to up zain-prod?" in text


def test_up_confirmation_without_the_pulumi_cli_shows_the_offline_preview(
    k8s_env: str, fake: FakePulumi, home: Path
) -> None:
    # No pulumi on PATH (--skip-preflight lets up reach the question without it).
    env_path = os.pathsep.join(
        d for d in os.environ["PATH"].split(os.pathsep) if d != str(fake.bin_dir)
    )
    code, screen = converse(
        [str(SCRIPT), "--home", str(home), "up", k8s_env, "--skip-preflight"], "no",
        env={"PATH": env_path},
    )  # fmt: skip
    assert code == 1
    assert "note: Pulumi's preview could not run (the pulumi CLI is not on PATH)" in screen
    assert "Preview of zain-prod" in screen and not fake.argvs()


def _destroyed(fake: FakePulumi) -> bool:
    return any(argv[:1] == ["destroy"] and "--preview-only" not in argv for argv in fake.argvs())


def test_on_a_terminal_destroy_shows_pulumis_preview_of_it_and_asks(
    k8s_env: str, cli: Any, fake: FakePulumi, home: Path
) -> None:
    assert cli("up", k8s_env, "--yes").code == 0
    code, screen = converse([str(SCRIPT), "--home", str(home), "destroy", k8s_env], "nope")
    assert code == 1 and "destroy cancelled" in screen
    text = re.sub(r"\x1b\[[0-9;]*m", "", screen)
    assert "Pulumi preview of destroying zain-prod" in text
    assert "- delete   kubernetes:apps/v1:Deployment  web" in text and "1 to delete" in text
    assert any(argv[:2] == ["destroy", "--preview-only"] for argv in fake.argvs())
    assert not _destroyed(fake)
    assert baseline_path(home, k8s_env).exists()


def test_on_a_terminal_destroy_falls_back_to_the_applied_plans_resources(
    k8s_env: str, cli: Any, fake: FakePulumi, home: Path
) -> None:
    assert cli("up", k8s_env, "--yes").code == 0
    fake.scenario(**{"preview-destroy": {"events": [], "stderr": "error: no access", "exit": 255}})
    code, screen = converse([str(SCRIPT), "--home", str(home), "destroy", k8s_env], "nope")
    assert code == 1 and "destroy cancelled" in screen
    assert "note: Pulumi's preview could not run" in screen and "no access" in screen
    assert "to delete" in screen and "k8s-namespace" in screen  # the applied plan's resources
    assert not _destroyed(fake)
    assert baseline_path(home, k8s_env).exists()


def test_up_plan_applies_the_reviewed_plan_and_refuses_a_moved_state(
    k8s_env: str, cli: Any, fake: FakePulumi, home: Path, tmp_path: Path
) -> None:
    reviewed = tmp_path / "plan.json"
    outcome = cli("preview", k8s_env, "--out", str(reviewed))
    assert outcome.code == 0, outcome.stderr
    document = json.loads(reviewed.read_text())
    assert document["schema_version"] == "greentic.preview.v1"  # .json -> the JSON document

    # The state moves after the review: the reviewed plan is no longer what would apply.
    config = {"environment_id": k8s_env, "key": "LOG_LEVEL", "value": "debug"}
    assert cli("config", "set", "--answers", _answers(tmp_path, config)).code == 0
    outcome = cli("up", k8s_env, "--plan", str(reviewed))
    assert outcome.code == 4, outcome.stderr
    [line] = outcome.stderr.splitlines()
    assert f"made at generation {document['generation']} of {k8s_env}" in line
    assert f"at generation {document['generation'] + 1} now" in line
    assert not _ran_up(fake)

    # Reviewed again: exactly that plan is applied, without a question (no --yes needed).
    assert cli("preview", k8s_env, "--out", str(reviewed)).code == 0
    outcome = cli("up", k8s_env, "--plan", str(reviewed))
    assert outcome.code == 0, outcome.stderr
    assert (
        outcome.result["baseline"]["content_hash"] == json.loads(reviewed.read_text())["plan_hash"]
    )

    other = tmp_path / "other.json"
    other.write_text(json.dumps({"schema_version": "nope"}))
    outcome = cli("up", k8s_env, "--plan", str(other))
    assert outcome.code == 2 and "--plan" in outcome.stderr


def test_up_rechecks_the_traffic_policy_against_the_applied_baseline(
    k8s_env: str, cli: Any, fake: FakePulumi, tmp_path: Path
) -> None:
    env = k8s_env
    policy = {"environment_id": env, "policy": {"max_step_bps": 1000}}
    assert cli("env", "policy", "--answers", _answers(tmp_path, policy)).code == 0
    add = {"environment_id": env, "bundle_id": "shop",
           "route_binding": {"host": "shop.example.com"}}  # fmt: skip
    assert cli("bundles", "add", "--answers", _answers(tmp_path, add)).code == 0
    for digit in "12":
        stage = {"environment_id": env, "deployment_id": "shop",
                 "bundle_digest": "sha256:" + digit * 64}  # fmt: skip
        assert cli("revisions", "stage", "--answers", _answers(tmp_path, stage)).code == 0
        warm = {"environment_id": env, "revision_id": f"shop@{digit}"}
        assert (
            cli(
                "revisions", "warm", "--skip-health-check", "--answers", _answers(tmp_path, warm)
            ).code
            == 0
        )
    first = {"environment_id": env, "deployment_id": "shop", "override_policy": True,
             "entries": [{"revision_id": "shop@1", "weight_percent": 100}]}  # fmt: skip
    assert cli("traffic", "set", "--answers", _answers(tmp_path, first)).code == 0
    assert cli("up", env, "--yes").code == 0

    # `traffic set` lets an audited override through; the applied baseline is still 100/0.
    jump = {"environment_id": env, "deployment_id": "shop", "override_policy": True,
            "entries": [{"revision_id": "shop@1", "weight_percent": 50},
                        {"revision_id": "shop@2", "weight_percent": 50}]}  # fmt: skip
    assert cli("traffic", "set", "--answers", _answers(tmp_path, jump)).code == 0
    ups = sum(argv[:1] == ["up"] for argv in fake.argvs())
    outcome = cli("up", env, "--yes")
    assert outcome.code == 2, outcome.stderr
    assert outcome.stderr.startswith("error: up refused: policy max-step")
    assert sum(argv[:1] == ["up"] for argv in fake.argvs()) == ups

    assert cli("up", env, "--yes", "--override-policy").code == 0
    assert sum(argv[:1] == ["up"] for argv in fake.argvs()) == ups + 1

"""Which environments a pull request touches: the path convention and its fall-backs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from greentic_iac.ci.touched import environment_ids, main, touched_environments

ALL = ["local", "prod-eu", "staging", "zain-prod"]


@pytest.mark.parametrize(
    ("changed", "expected"),
    [
        (["stacks/Pulumi.prod-eu.yaml"], ["prod-eu"]),
        (["stacks/Pulumi.staging.yml", "README.md"], ["staging"]),
        (["environments/zain-prod.json"], ["zain-prod"]),
        (["environments/prod-eu/traffic.yaml", "./environments/local.yaml"], ["local", "prod-eu"]),
        ([".greentic/environments/staging/state.json"], ["staging"]),
        (["docs/ci.md"], ALL),  # nothing names an environment: preview them all
        ([], ALL),
        (["stacks/Pulumi.prod-eu.yaml", "envpacks/aws-ecs.json"], ALL),  # shared: all
        (["greentic_iac/targets/aws_ecs/compile.py"], ALL),
        (["stacks/Pulumi.brand-new.yaml"], []),  # not an environment yet: nothing to preview
        (["stacks/Pulumi.brand-new.yaml", "stacks/Pulumi.local.yaml"], ["local"]),
        (["stacks/README.md", "environments/"], ALL),
    ],
)
def test_touched_environments_follow_the_path_convention(
    changed: list[str], expected: list[str]
) -> None:
    assert touched_environments(changed, ALL) == expected


def test_an_unknown_diff_previews_every_environment() -> None:
    assert touched_environments(None, ALL) == ALL


def test_a_custom_store_directory_is_recognised() -> None:
    changed = ["ops/store/environments/prod-eu/state.json"]
    assert touched_environments(changed, ALL, greentic_home="ops/store") == ["prod-eu"]
    assert touched_environments(changed, ALL) == ALL


def test_environment_ids_read_the_env_list_envelope() -> None:
    envelope = {
        "noun": "env",
        "op": "list",
        "result": {"environments": [{"environment_id": "local"}, {"environment_id": "prod-eu"}]},
    }
    assert environment_ids(envelope) == ["local", "prod-eu"]
    assert environment_ids(["a", "b"]) == ["a", "b"]
    with pytest.raises(ValueError, match="env list"):
        environment_ids("nope")


def test_main_prints_a_json_matrix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    environments = tmp_path / "environments.json"
    environments.write_text(
        json.dumps({"result": {"environments": [{"environment_id": e} for e in ALL]}})
    )
    changed = tmp_path / "changed.txt"
    changed.write_text("stacks/Pulumi.prod-eu.yaml\nREADME.md\n")
    assert main(["--changed", str(changed), "--environments", str(environments), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == ["prod-eu"]
    # A missing diff file is an unknown diff: everything.
    missing = str(tmp_path / "absent.txt")
    assert main(["--changed", missing, "--environments", str(environments)]) == 0
    assert capsys.readouterr().out.split() == ALL


def test_main_refuses_a_bad_environment_list_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    environments = tmp_path / "environments.json"
    environments.write_text(json.dumps(["../etc"]))
    assert main(["--environments", str(environments)]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: --environments") and error.count("\n") == 1

"""The core install (no extras) runs every verb that needs no cloud SDK, and a verb that
needs one exits 2 naming the extra to install, never with a ModuleNotFoundError."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.lock_venv import CORE_LOCK, ROOT, install_checkout, tree_size, venv_from_lock

CORE_SIZE_LIMIT = 100 * 1024 * 1024


@pytest.fixture(scope="module")
def core_venv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    venv = tmp_path_factory.mktemp("core") / "venv"
    python = venv_from_lock(venv, CORE_LOCK)
    install_checkout(python)
    yield venv


def greentic(venv: Path, home: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GREENTIC_", "AWS_", "PULUMI_")) and key != "PYTHONPATH"
    }
    environ |= {"GREENTIC_HOME": str(home), "GREENTIC_GRANT": "prod-eu,zain-prod"}
    return subprocess.run(
        [str(venv / "bin" / "greentic-iac"), "--output", "json", *argv],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        env=environ,
        cwd=home.parent,
    )


@pytest.mark.integration
@pytest.mark.timeout(600)
def test_the_core_install_has_no_cloud_sdk_and_stays_small(core_venv: Path) -> None:
    probe = "import importlib.util as u; print([m for m in ('boto3', 'botocore', 'pulumi', 'pulumi_aws', 'pulumi_kubernetes') if u.find_spec(m)])"
    out = subprocess.run(
        [str(core_venv / "bin" / "python"), "-c", probe],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.stdout.strip() == "[]"
    assert tree_size(core_venv) < CORE_SIZE_LIMIT


@pytest.mark.integration
@pytest.mark.timeout(600)
def test_core_verbs_run_and_cloud_verbs_name_their_extra(core_venv: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    for example in ("aws-ecs/environment.json", "k8s/environment.json"):
        created = greentic(
            core_venv, home, "env", "create", "--answers", str(ROOT / "examples" / example)
        )
        assert created.returncode == 0, created.stderr
    listed = greentic(core_venv, home, "env", "list")
    assert listed.returncode == 0, listed.stderr
    assert {"prod-eu", "zain-prod"} <= {
        e["environment_id"] for e in json.loads(listed.stdout)["result"]["environments"]
    }

    plan = greentic(core_venv, home, "plan", "prod-eu")
    assert plan.returncode == 0, plan.stderr
    assert any(token.startswith("aws:") for token in json.loads(plan.stdout)["result"]["by_type"])
    for fmt in ("text", "json", "markdown", "html"):
        out = tmp_path / f"preview.{fmt}"
        preview = greentic(
            core_venv, home, "preview", "zain-prod", "--format", fmt, "--out", str(out)
        )
        assert preview.returncode == 0, (fmt, preview.stderr)
        assert out.stat().st_size > 0
    assert greentic(core_venv, home, "env", "tool-check", "prod-eu").returncode in (0, 3)
    repo = tmp_path / "repo"
    repo.mkdir()
    assert greentic(core_venv, home, "ci", "init", "--dir", str(repo)).returncode == 0
    assert greentic(core_venv, home, "doctor", "secrets", str(repo)).returncode == 0

    cases = [
        (("export", "prod-eu", "--format", "pulumi-python", "--out", str(tmp_path / "x")), "[aws]"),
        (("up", "prod-eu"), "[aws]"),
        (("preview", "zain-prod", "--engine", "pulumi"), "[k8s]"),
        (("credentials", "validate", "prod-eu", "--timeout", "2"), "[aws]"),
        (("--store", "s3://bucket/prefix", "env", "list"), "[aws]"),
    ]
    for argv, extra in cases:
        refused = greentic(core_venv, home, *argv)
        assert refused.returncode == 2, (argv, refused.stderr)
        lines = refused.stderr.strip().splitlines()
        assert len(lines) == 1, (argv, lines)
        assert f"pip install 'greentic-iac{extra}'" in lines[0], (argv, lines)
        assert "ModuleNotFoundError" not in refused.stderr + refused.stdout
    assert not (tmp_path / "x").exists()

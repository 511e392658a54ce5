"""The aws-ecs pack asks for aws-cli 2; a v1 CLI (this machine has 1.45) fails clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from greentic_iac.preflight import CheckStatus, run_requirements
from greentic_iac.spec.checks import ToolRequirement
from tests.support.fake_kubectl import install_script

pytestmark = pytest.mark.integration


def test_aws_cli_v1_is_reported_as_a_different_major_version(tmp_path: Path) -> None:
    # aws-cli v1 prints its version on stderr.
    install_script(
        tmp_path,
        "aws",
        "import sys\nprint('aws-cli/1.45.11 Python/3.11.7 Linux/6.1 botocore/1.43.11', "
        "file=sys.stderr)\n",
    )
    (outcome,) = run_requirements(
        [ToolRequirement(tool="aws", min_version="2.0.0")], path=str(tmp_path), timeout=5
    )
    assert outcome.status is CheckStatus.FAILED
    assert outcome.found == "1.45.11"
    assert outcome.detail is not None
    assert "aws v1 (1.45.11); the pack needs v2 (>= 2.0.0)" in outcome.detail
    assert "separate install" in outcome.detail
    assert outcome.hint is not None and outcome.hint.startswith("upgrade aws to >= 2.0.0")

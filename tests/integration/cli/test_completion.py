"""``completion bash|zsh|fish``: the generated bash script, run by bash, completes what a
person types: nouns, verbs, flags, choices and the environment ids of the chosen home."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli_runner import run_cli

BIN = Path(sys.executable).parent
BASH = shutil.which("bash")

DRIVER = r"""
source <(greentic-iac completion bash)
while IFS= read -r line; do
    read -r -a COMP_WORDS <<< "$line"
    [[ "$line" == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
    COMPREPLY=()
    _greentic_iac
    echo "${COMPREPLY[*]}"
done
"""


@pytest.fixture
def homes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    first, second = tmp_path / "first", tmp_path / "second"
    monkeypatch.setenv("GREENTIC_GRANT", "staging")
    assert run_cli(first, "env", "init").code == 0
    assert run_cli(second, "env", "init", "staging").code == 0
    return first, second


def _complete(lines: list[str], home: Path) -> list[str]:
    assert BASH is not None
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "GREENTIC_HOME": str(home),
    }
    env = {k: v for k, v in env.items() if k != "GREENTIC_STORE"}
    done = subprocess.run(
        [BASH, "--norc", "-c", DRIVER],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout.splitlines()


@pytest.mark.skipif(BASH is None, reason="bash is not installed")
def test_bash_completes_nouns_verbs_flags_choices_and_environments(
    homes: tuple[Path, Path],
) -> None:
    first, second = homes
    answers = _complete(
        [
            "greentic-iac tr",
            "greentic-iac traffic s",
            "greentic-iac env show ",
            "greentic-iac env list --o",
            "greentic-iac preview local --format ",
            "greentic-iac -o ",
            "greentic-iac plan ",
            "greentic-iac plan local ",
            f"greentic-iac --home {second} env show ",
            "greentic-iac revisions wa",
        ],
        first,
    )
    assert answers == [
        "traffic",
        "set show",
        "local",
        "--output",
        "text json markdown html",
        "json table",
        "local",
        "",
        "staging",
        "warm",
    ]


@pytest.mark.skipif(BASH is None, reason="bash is not installed")
def test_export_formats_come_from_the_installed_deployer_targets(
    homes: tuple[Path, Path],
) -> None:
    [offered] = _complete(["greentic-iac export local --format "], homes[0])
    formats = offered.split()
    # The core's format and the Kubernetes target's; a plug-in's formats join them.
    assert {"pulumi-python", "k8s-yaml"} <= set(formats)
    assert formats == sorted(formats)


def test_every_shell_gets_a_script_naming_every_noun() -> None:
    from greentic_iac.cli.verbs import VERBS

    for shell in ("bash", "zsh", "fish"):
        outcome = run_cli(Path("/nonexistent"), "completion", shell)
        assert outcome.code == 0
        for noun in {v.noun for v in VERBS}:
            assert noun in outcome.stdout
    zsh = shutil.which("zsh")
    if zsh is not None:
        script = run_cli(Path("/nonexistent"), "completion", "zsh").stdout
        checked = subprocess.run([zsh, "-n"], input=script, text=True, timeout=30, check=False)
        assert checked.returncode == 0

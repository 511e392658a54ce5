"""``config set`` through the CLI: a key no workload can take, or a secret as a value, is
exit 2 naming the field, and the store is untouched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli_runner import run_cli

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("key", "value", "needle"),
    [
        ("log.level", "debug", "key: 'log.level' is not an environment variable name"),
        ("GREENTIC_TENANT", "x", "key: 'GREENTIC_TENANT' is set by greentic-iac"),
        ("DB_KEY", "AKIA" + "ABCDEFGHIJKLMNOP", "secrets put"),
    ],
)
def test_config_set_refuses_bad_keys_and_secret_values(
    tmp_path: Path, key: str, value: str, needle: str
) -> None:
    home = tmp_path / "home"
    assert run_cli(home, "env", "init").code == 0
    state = home / "environments" / "local" / "state.json"
    before = state.read_bytes()
    answers = tmp_path / "a.json"
    answers.write_text(json.dumps({"environment_id": "local", "key": key, "value": value}))
    outcome = run_cli(home, "config", "set", "--answers", str(answers))
    assert outcome.code == 2, outcome.stderr
    assert needle in outcome.stderr and outcome.stderr.count("\n") == 1
    assert value not in outcome.stderr
    assert state.read_bytes() == before

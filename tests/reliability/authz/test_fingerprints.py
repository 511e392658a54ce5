"""Issue 17: a secret's fingerprint is a hash only. ``doctor secrets`` printed
``hun...d6e4...`` for ``hunter2xyzzy``: the first characters narrow a guess."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from .conftest import ConsoleScript

pytestmark = [pytest.mark.integration, pytest.mark.reliability]  # the console script runs

VALUE = "hunter2" + "xyzzy"


@pytest.mark.parametrize("output", ["json", "table"])
def test_doctor_secrets_shows_a_hash_and_no_character_of_the_value(
    script: ConsoleScript, tmp_path: Path, output: str
) -> None:
    leaked = tmp_path / "app" / "settings.py"
    leaked.parent.mkdir()
    leaked.write_text(f'password = "{VALUE}"\n')

    outcome = script("--output", output, "doctor", "secrets", str(leaked.parent), home=False)

    assert outcome.code == 1, outcome.stderr
    expected = "sha256:" + hashlib.sha256(VALUE.encode()).hexdigest()[:12]
    assert expected in outcome.stdout
    assert "hun" not in outcome.stdout.replace(str(tmp_path), "")
    assert not re.search(r"\w\.\.\.[0-9a-f]", outcome.stdout)

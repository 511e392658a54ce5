"""Top-level verbs (``plan ENV``, ``preview ENV``, ``up ENV``): no sub-verb, same rules."""

from __future__ import annotations

import json

import pytest

from greentic_iac.cli.main import run
from greentic_iac.cli.verbs import verb_table

TOP_LEVEL = sorted(noun for noun, verbs in verb_table().items() if set(verbs) == {""})
# `completion SHELL` (as kubectl's) and `setup ARCHIVE` are top-level too, but they take no
# environment (setup has its own tests); `status` alone is every environment.
NOT_APPLY = ("completion", "setup", "status")
APPLY_SURFACE = [noun for noun in TOP_LEVEL if noun not in NOT_APPLY]


def test_the_top_level_verbs_are_the_apply_surface() -> None:
    assert APPLY_SURFACE == ["destroy", "drift", "export", "plan", "preview", "up"]
    assert sorted([*APPLY_SURFACE, *NOT_APPLY]) == TOP_LEVEL


@pytest.mark.parametrize("noun", APPLY_SURFACE)
def test_schema_of_a_top_level_verb(noun: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run([noun, "--schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["title"] == noun
    assert schema["required"] == ["environment_id"]
    assert schema["properties"]["environment_id"]["x-positional"] is True


@pytest.mark.parametrize("noun", APPLY_SURFACE)
def test_a_missing_environment_is_a_usage_error(
    noun: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run([noun])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert f"{noun}: the argument ENVIRONMENT_ID is required" in err
    assert "Traceback" not in err

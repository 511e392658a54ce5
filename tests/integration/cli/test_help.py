"""``--help`` at every level, a bare noun, a mistyped verb, and ``--schema`` for flag verbs."""

from __future__ import annotations

import json

import pytest

from greentic_iac.cli.verbs import VERBS, Verb, verb_table
from tests.support.cli_runner import run_argv


def _words(verb: Verb) -> list[str]:
    return verb.command.split()


@pytest.mark.parametrize("verb", VERBS, ids=lambda v: v.command)
def test_every_verb_has_help_with_an_example(verb: Verb) -> None:
    outcome = run_argv(*_words(verb), "--help")
    assert outcome.code == 0, outcome.stderr
    assert verb.help in " ".join(outcome.stdout.split())
    example = outcome.stdout.split("example:\n", 1)[1].splitlines()[0].strip()
    assert example.startswith(f"greentic-iac {verb.command}") or (
        f"| greentic-iac {verb.command}" in example
    )


@pytest.mark.parametrize("verb", [v for v in VERBS if v.payload], ids=lambda v: v.command)
def test_payload_verbs_list_their_fields_from_the_schema(verb: Verb) -> None:
    schema = json.loads(run_argv(*_words(verb), "--schema").stdout)
    text = run_argv(*_words(verb), "--help").stdout
    fields = text.split("answers fields", 1)[1]
    for name in schema["properties"]:
        need = "required" if name in schema.get("required", []) else "optional"
        line = next(line for line in fields.splitlines() if line.split()[:1] == [name])
        assert f"({need})" in line, line


def test_a_bare_noun_prints_its_verbs() -> None:
    outcome = run_argv("revisions")
    assert outcome.code == 0
    for name in verb_table()["revisions"]:
        assert f"\n    {name} " in outcome.stdout


@pytest.mark.parametrize(
    ("argv", "nearest"),
    [(("env", "lsit"), "list"), (("trafic", "show"), "traffic"), (("revisions", "wram"), "warm")],
)
def test_a_mistyped_word_suggests_the_nearest(argv: tuple[str, ...], nearest: str) -> None:
    outcome = run_argv(*argv)
    assert outcome.code == 2
    assert outcome.stderr.strip().endswith(f"did you mean '{nearest}'?")
    assert len(outcome.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("command", "flag"),
    [
        ("env init", "environment_id"),
        ("env restore", "--generation"),
        ("up", "--skip-preflight"),
        ("stack init", "--dir"),
        ("local up", "--port"),
        ("ci init", "--provider"),
    ],
)
def test_schema_of_a_flag_verb_shows_its_flags(command: str, flag: str) -> None:
    outcome = run_argv(*command.split(), "--schema")
    assert outcome.code == 0
    schema = json.loads(outcome.stdout)
    assert "read verb" not in outcome.stdout
    assert flag in schema["properties"]
    assert schema["title"] == command


def test_the_bare_program_prints_its_nouns_with_their_verbs() -> None:
    outcome = run_argv()
    assert outcome.code == 0
    assert "verbs: init, create, list" in " ".join(outcome.stdout.split())
    assert "completion" in outcome.stdout


@pytest.mark.parametrize(
    ("argv", "nearest"),
    [
        (("env", "list", "--ouptut", "table"), "--output"),
        (("preview", "local", "--fromat", "text"), "--format"),
        (("up", "prod-eu", "--skip-prefligth"), "--skip-preflight"),
    ],
)
def test_a_mistyped_flag_suggests_the_nearest(argv: tuple[str, ...], nearest: str) -> None:
    outcome = run_argv(*argv)
    assert outcome.code == 2
    assert outcome.stderr.strip().endswith(f"did you mean '{nearest}'?")

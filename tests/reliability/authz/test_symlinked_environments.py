"""Issue 17: an environment directory that resolves outside ``environments/<id>`` is refused
by every verb. The attack: ``environments/local -> prod``, then ``env restore local`` moved
prod's state aside with no prod grant (``local`` is always allowed)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.support.cli_runner import run_cli

from .conftest import ConsoleScript

pytestmark = [pytest.mark.integration, pytest.mark.reliability]  # the console script runs


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink() and p.name != ".lock"
    }


@pytest.fixture
def linked(script: ConsoleScript, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home with prod (two generations, so it has a backup) and environments/local -> prod."""
    home = script.home
    monkeypatch.setenv("GREENTIC_GRANT", "prod")
    assert run_cli(home, "env", "init", "prod").code == 0
    answers = home.parent / "set.json"
    answers.write_text(json.dumps({"environment_id": "prod", "key": "k", "value": "v"}))
    assert run_cli(home, "config", "set", "--answers", str(answers)).code == 0
    assert run_cli(home, "env", "init", "local").code == 0
    monkeypatch.delenv("GREENTIC_GRANT")
    shutil.rmtree(home / "environments" / "local")
    (home / "environments" / "local").symlink_to("prod")
    return home


def test_env_restore_through_a_symlink_is_refused(linked: Path, script: ConsoleScript) -> None:
    prod = linked / "environments" / "prod"
    before = _tree(prod)

    outcome = script("env", "restore", "local", "--generation", "0")

    assert outcome.code == 2, outcome.stdout
    assert "outside environments/local" in outcome.stderr
    assert "Traceback" not in outcome.stderr
    assert _tree(prod) == before


@pytest.mark.parametrize(
    ("argv", "payload"),
    [
        (("env", "show", "local"), None),
        (("env", "backups", "local"), None),
        (("audit", "list", "local"), None),
        (("config", "list", "local"), None),
        (("plan", "local"), None),
        (("env", "init", "local"), None),
        (("config", "set"), {"environment_id": "local", "key": "a", "value": "b"}),
        (("env", "remove"), {"environment_id": "local", "force": True}),
        (("secrets", "put"), {"environment_id": "local", "name": "db", "value": "pw"}),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, tuple) else "",
)
def test_every_verb_refuses_a_linked_environment(
    linked: Path, argv: tuple[str, ...], payload: dict[str, object] | None
) -> None:
    before = _tree(linked)
    extra: tuple[str, ...] = ()
    if payload is not None:
        path = linked.parent / "payload.json"
        path.write_text(json.dumps(payload))
        extra = ("--answers", str(path))
        before = _tree(linked)

    outcome = run_cli(linked, *argv, *extra)

    assert outcome.code == 2, outcome.stdout + outcome.stderr
    assert "outside environments/local" in outcome.stderr
    assert _tree(linked) == before


def test_a_linked_environments_directory_is_refused(tmp_path: Path) -> None:
    real = tmp_path / "real-home"
    assert run_cli(real, "env", "init", "local").code == 0
    evil = tmp_path / "evil-home"
    evil.mkdir()
    (evil / "environments").symlink_to(real / "environments")
    (evil / "store.json").write_bytes((real / "store.json").read_bytes())

    outcome = run_cli(evil, "env", "show", "local")

    assert outcome.code == 2
    assert "outside environments/local" in outcome.stderr


def test_a_home_that_is_itself_a_link_still_works(tmp_path: Path) -> None:
    real = tmp_path / "real-home"
    real.mkdir()
    link = tmp_path / "home-link"
    link.symlink_to(real)

    assert run_cli(link, "env", "init", "local").code == 0
    assert run_cli(link, "env", "show", "local").code == 0


@pytest.mark.parametrize("part", ["backups", "audit", "idempotency"])
def test_a_linked_part_of_an_environment_is_refused(linked: Path, part: str) -> None:
    home = linked
    (home / "environments" / "local").unlink()
    assert run_cli(home, "env", "init", "local").code == 0
    prod = home / "environments" / "prod"
    (home / "environments" / "local" / part).mkdir(exist_ok=True)
    shutil.rmtree(home / "environments" / "local" / part)
    (home / "environments" / "local" / part).symlink_to(
        prod / part if part != "idempotency" else prod
    )
    before = _tree(prod)
    answers = home.parent / "local-set.json"
    payload = {"environment_id": "local", "key": "k", "value": "v", "idempotency_key": "once"}
    answers.write_text(json.dumps(payload))

    outcome = run_cli(home, "config", "set", "--answers", str(answers))

    assert outcome.code == 2, outcome.stdout + outcome.stderr
    assert f"local/{part} is a symlink" in outcome.stderr
    assert _tree(prod) == before

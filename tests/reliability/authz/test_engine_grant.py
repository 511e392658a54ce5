"""Issue 17: ``up``, ``destroy``, ``drift`` and ``preview --engine pulumi`` need the grant a
state mutation needs, checked before any pulumi call (preflight's ``pulumi version`` too),
and ``--skip-preflight`` never skips it. Denials and allows are audited with the grant."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from greentic_iac.store import open_store
from tests.integration.apply.conftest import FakePulumi

pytestmark = [pytest.mark.integration, pytest.mark.reliability]

ENGINE_VERBS = (
    ("up",),
    ("destroy",),
    ("drift",),
    ("preview", "--engine", "pulumi"),
)


def _events(home: Path, environment: str) -> list[Any]:
    return open_store(home=home).audit_events(environment)


@pytest.mark.parametrize("skip_preflight", [False, True], ids=["preflight", "skip-preflight"])
@pytest.mark.parametrize("verb", ENGINE_VERBS, ids=" ".join)
def test_engine_verbs_without_a_grant_never_reach_pulumi(
    k8s_env: str,
    cli: Any,
    fake: FakePulumi,
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
    verb: tuple[str, ...],
    skip_preflight: bool,
) -> None:
    monkeypatch.delenv("GREENTIC_GRANT")
    calls_before = len(fake.calls())
    events_before = len(_events(home, k8s_env))
    flags = ("--skip-preflight",) if skip_preflight else ()

    outcome = cli(verb[0], k8s_env, *verb[1:], *flags)

    assert outcome.code == 2, outcome.stdout + outcome.stderr
    assert outcome.stderr.startswith(f"error: environment {k8s_env}: mutation denied: no grant")
    assert "Traceback" not in outcome.stderr
    assert len(fake.calls()) == calls_before, fake.argvs()[calls_before:]
    new = _events(home, k8s_env)[events_before:]
    assert [(e.verb, e.decision, e.outcome, e.grant) for e in new] == [
        (" ".join(verb), "deny", "error", None)
    ]
    assert "no grant" in (new[0].error or "")


@pytest.mark.parametrize("verb", ENGINE_VERBS, ids=" ".join)
def test_a_granted_engine_verb_is_audited_with_its_grant(
    k8s_env: str, cli: Any, fake: FakePulumi, home: Path, verb: tuple[str, ...]
) -> None:
    events_before = len(_events(home, k8s_env))
    # up and destroy ask on a terminal; this run has none, so it says yes up front.
    yes = ("--yes",) if verb[0] in ("up", "destroy") else ()

    outcome = cli(verb[0], k8s_env, *verb[1:], *yes, "--skip-preflight")

    assert outcome.code in (0, 5), outcome.stderr
    assert any(argv[:1] in (["up"], ["destroy"], ["preview"], ["refresh"]) for argv in fake.argvs())
    new = _events(home, k8s_env)[events_before:]
    gate = new[0]
    assert (gate.verb, gate.decision, gate.grant) == (" ".join(verb), "allow", "GREENTIC_GRANT")
    # Every later event of the run (skip-preflight, the engine's outcome) names the grant.
    assert new[1:] and all(e.grant == "GREENTIC_GRANT" for e in new[1:])

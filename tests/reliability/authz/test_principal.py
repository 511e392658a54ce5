"""Issue 17: the principal is not forgeable. ``USER=alice`` does not make the caller alice,
and ``GITHUB_ACTIONS=true GITHUB_REPOSITORY=acme/app`` is recorded as a claim that
satisfies a principal-scoped grant only when the grant trusts GitHub claims."""

from __future__ import annotations

import json
import os
import pwd
from typing import Any

import pytest

from greentic_iac.store import open_store

from .conftest import ConsoleScript

pytestmark = [pytest.mark.integration, pytest.mark.reliability]  # the console script runs

OS_USER = pwd.getpwuid(os.getuid()).pw_name
FORGED_GITHUB = {
    "GITHUB_ACTIONS": "true",
    "GITHUB_ACTOR": "mallory",
    "GITHUB_REPOSITORY": "acme/app",
}


def _prod(script: ConsoleScript, grants: list[dict[str, Any]]) -> None:
    created = script.in_process("env", "init", "prod", env={"GREENTIC_GRANT": "prod"})
    assert created.code == 0, created.stderr
    (script.home / "policy.json").write_text(json.dumps({"grants": grants}))


def _set(script: ConsoleScript, env: dict[str, str]) -> Any:
    payload = {"environment_id": "prod", "key": "greeting", "value": "hi"}
    return script("config", "set", answers=payload, env=env)


def test_user_variable_does_not_name_the_principal(script: ConsoleScript) -> None:
    if OS_USER == "alice":  # pragma: no cover (the forgery would be the truth)
        pytest.skip("the test runs as alice")
    _prod(script, [{"environments": ["prod"], "principals": ["alice@*"]}])

    outcome = _set(script, {"USER": "alice", "LOGNAME": "alice", "USERNAME": "alice"})

    assert outcome.code == 2, outcome.stdout
    assert f"no grant for {OS_USER}@" in outcome.stderr
    denied = open_store(home=script.home).audit_events("prod")[-1]
    assert denied.decision == "deny"
    assert denied.principal.startswith(f"{OS_USER}@")
    assert "alice" not in denied.principal


def test_ci_variables_are_a_claim_that_no_grant_trusts_by_default(script: ConsoleScript) -> None:
    _prod(script, [{"environments": ["prod"], "principals": ["github:*@acme/app"]}])

    outcome = _set(script, FORGED_GITHUB)

    assert outcome.code == 2, outcome.stdout
    assert "the claimed github:mallory@acme/app (github) is not verified" in outcome.stderr
    denied = open_store(home=script.home).audit_events("prod")[-1]
    assert denied.decision == "deny"
    assert denied.principal.startswith(f"{OS_USER}@")
    assert denied.claims == ["github: claimed GITHUB_ACTOR=mallory, GITHUB_REPOSITORY=acme/app"]
    assert open_store(home=script.home).load("prod").config == {}


def test_a_grant_that_trusts_github_claims_accepts_them_and_the_audit_says_so(
    script: ConsoleScript,
) -> None:
    _prod(
        script,
        [
            {
                "environments": ["prod"],
                "principals": ["github:*@acme/app"],
                "trust_claims": ["github"],
            }
        ],
    )

    outcome = _set(script, FORGED_GITHUB)

    assert outcome.code == 0, outcome.stderr
    done = open_store(home=script.home).audit_events("prod")[-1]
    assert (done.decision, done.grant) == ("allow", "policy.json#grants[0]")
    assert done.principal.startswith(f"{OS_USER}@")
    assert done.claims == ["github: claimed GITHUB_ACTOR=mallory, GITHUB_REPOSITORY=acme/app"]

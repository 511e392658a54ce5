"""The authorization gate: only ``local`` may be mutated without an explicit grant.

Grants come from two places, both non-interactive:

- ``$GREENTIC_HOME/policy.json``::

      {"schema": "greentic.policy.v1",
       "grants": [{"environments": ["prod-*"], "principals": ["github:*@acme/app"],
                   "expires": "2026-12-31T00:00:00Z", "note": "release pipeline"}]}

  ``environments`` and ``principals`` are shell-style patterns (``fnmatch``, case-sensitive);
  ``principals`` defaults to ``["*"]``; ``expires`` is optional (an expired grant is ignored).
- ``GREENTIC_GRANT=<env>[,<env>...]``: exact environment ids, for CI jobs.

The gate fails closed: a policy file that cannot be read or parsed denies every non-local
mutation (the reason names the file), it never falls back to "allow".
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from greentic_iac.errors import AuthorizationError
from greentic_iac.spec import format_validation_error

POLICY_FILE = "policy.json"
GRANT_VARIABLE = "GREENTIC_GRANT"
ALWAYS_ALLOWED = frozenset({"local"})


class Grant(BaseModel):
    model_config = ConfigDict(extra="forbid")

    environments: list[str] = Field(min_length=1)
    principals: list[str] = Field(default_factory=lambda: ["*"])
    expires: datetime | None = None
    note: str | None = None


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_: str = Field(default="greentic.policy.v1", alias="schema")
    grants: list[Grant] = Field(default_factory=list)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str  # "local", "grant policy.json#2", "GREENTIC_GRANT", or why denied
    grant: str | None = None

    def error(self, environment_id: str) -> AuthorizationError:
        return AuthorizationError(f"environment {environment_id}: mutation denied: {self.reason}")


def load_policy(home: Path) -> Policy:
    """The policy file, or an empty policy when there is none; raises ValueError if unusable."""
    path = home / POLICY_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Policy()
    except OSError as exc:
        raise ValueError(f"{path}: unreadable ({exc.strerror})") from None
    try:
        return Policy.model_validate(json.loads(text))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not JSON (line {exc.lineno})") from None
    except ValidationError as exc:
        raise ValueError(format_validation_error(exc, prefix=f"{path}: ")) from None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def authorize(
    environment_id: str,
    principal: str,
    home: Path,
    environ: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> Decision:
    """May ``principal`` mutate ``environment_id``? Never raises: errors become a denial."""
    if environment_id in ALWAYS_ALLOWED:
        return Decision(True, "local environment", None)
    env = os.environ if environ is None else environ
    granted = {part.strip() for part in env.get(GRANT_VARIABLE, "").split(",") if part.strip()}
    if environment_id in granted:
        return Decision(True, f"{GRANT_VARIABLE} names it", GRANT_VARIABLE)
    hint = f"add one to {home / POLICY_FILE} or set {GRANT_VARIABLE}={environment_id}"
    try:
        policy = load_policy(home)
    except Exception as exc:  # fail closed on anything at all
        return Decision(False, f"policy unusable, failing closed: {exc} ({hint})", None)
    moment = now or datetime.now(UTC)
    expired = False
    for index, grant in enumerate(policy.grants):
        if not any(fnmatchcase(environment_id, p) for p in grant.environments):
            continue
        if not any(fnmatchcase(principal, p) for p in grant.principals):
            continue
        if grant.expires is not None and _aware(grant.expires) <= moment:
            expired = True
            continue
        label = f"{POLICY_FILE}#grants[{index}]"
        return Decision(True, f"grant {label}", label)
    why = "grant expired" if expired else f"no grant for {principal}"
    return Decision(False, f"{why} ({hint})", None)

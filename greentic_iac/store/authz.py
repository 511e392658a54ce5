"""The authorization gate: only ``local`` may be mutated without an explicit grant.

Grants come from two places, both non-interactive:

- the store's policy (``policy.json`` beside the state it guards: ``$GREENTIC_HOME/policy.json``
  for the local store, ``s3://bucket/prefix/policy.json`` for the S3 store)::

      {"schema": "greentic.policy.v1",
       "grants": [{"environments": ["prod-*"], "principals": ["github:*@acme/app"],
                   "trust_claims": ["github"],
                   "expires": "2026-12-31T00:00:00Z", "note": "release pipeline"}]}

  ``environments`` and ``principals`` are shell-style patterns (``fnmatch``, case-sensitive);
  ``principals`` defaults to ``["*"]``; ``expires`` is optional (an expired grant is ignored).
  ``principals`` match the verified principal (``user@host``); a CI claim's subject
  (``github:<actor>@<repository>``) is matched only by a grant whose ``trust_claims`` names
  its issuer, because anyone can export the variables a claim is made of.
- ``GREENTIC_GRANT=<env>[,<env>...]``: exact environment ids, for CI jobs, unless the policy
  says ``"grant_variable": false`` (anyone can export a variable; a shared store that wants
  a real gate turns it off).

The gate fails closed: a policy that cannot be read or parsed denies every non-local
mutation (the reason names its location), it never falls back to "allow".
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from greentic_iac.errors import AuthorizationError
from greentic_iac.spec import format_validation_error
from greentic_iac.store.principal import Principal

POLICY_FILE = "policy.json"
GRANT_VARIABLE = "GREENTIC_GRANT"
ALWAYS_ALLOWED = frozenset({"local"})

ClaimIssuer = Literal["github", "gitlab", "ci"]


class Grant(BaseModel):
    model_config = ConfigDict(extra="forbid")

    environments: list[str] = Field(min_length=1)
    principals: list[str] = Field(default_factory=lambda: ["*"])
    trust_claims: list[ClaimIssuer] = Field(default_factory=list)
    expires: datetime | None = None
    note: str | None = None


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_: str = Field(default="greentic.policy.v1", alias="schema")
    # False: GREENTIC_GRANT is ignored, only this policy's grants count. Anyone can export a
    # variable, so a shared store that wants a real gate turns it off.
    grant_variable: bool = True
    grants: list[Grant] = Field(default_factory=list)


class PolicySource(Protocol):
    """Where a store keeps the policy that guards it."""

    @property
    def label(self) -> str:
        """How a grant is named in the audit log: ``<label>#grants[<i>]``."""

    @property
    def location(self) -> str:
        """A path or URL for messages (where to add a grant)."""

    def load(self) -> Policy:
        """The policy, or an empty one when there is none; ValueError if it is unusable."""


@dataclass(frozen=True)
class PolicyFile:
    """The local store's policy: ``policy.json`` in the home that holds the state."""

    home: Path

    @property
    def label(self) -> str:
        return POLICY_FILE

    @property
    def location(self) -> str:
        return str(self.home / POLICY_FILE)

    def load(self) -> Policy:
        path = self.home / POLICY_FILE
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return Policy()
        except OSError as exc:
            raise ValueError(f"{path}: unreadable ({exc.strerror})") from None
        return parse_policy(text, str(path))


def parse_policy(text: str | bytes, where: str) -> Policy:
    try:
        return Policy.model_validate(json.loads(text))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{where}: not JSON (line {exc.lineno})") from None
    except UnicodeDecodeError:
        raise ValueError(f"{where}: not UTF-8 text") from None
    except ValidationError as exc:
        raise ValueError(format_validation_error(exc, prefix=f"{where}: ")) from None


def load_policy(home: Path) -> Policy:
    """The home's policy file, or an empty policy when there is none; ValueError if unusable."""
    return PolicyFile(home).load()


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str  # "local", "grant policy.json#2", "GREENTIC_GRANT", or why denied
    grant: str | None = None

    def error(self, environment_id: str) -> AuthorizationError:
        return AuthorizationError(f"environment {environment_id}: mutation denied: {self.reason}")


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _subjects(grant: Grant, principal: Principal) -> list[tuple[str, str | None]]:
    """(subject, issuer of the claim or None) that this grant may match."""
    subjects: list[tuple[str, str | None]] = [(principal.name, None)]
    subjects += [(c.subject, c.issuer) for c in principal.claims if c.issuer in grant.trust_claims]
    return subjects


def _untrusted_note(principal: Principal) -> str:
    if not principal.claims:
        return ""
    names = ", ".join(f"{c.subject} ({c.issuer})" for c in principal.claims)
    issuers = json.dumps(sorted({c.issuer for c in principal.claims}))
    return (
        f"; the claimed {names} is not verified and satisfies only a grant with "
        f'"trust_claims": {issuers}'
    )


def authorize(
    environment_id: str,
    principal: Principal | str,
    policy: PolicySource | Path,
    environ: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> Decision:
    """May ``principal`` mutate ``environment_id``? Never raises: errors become a denial.

    ``policy`` is the store's policy source (a home directory means its ``policy.json``).
    """
    if environment_id in ALWAYS_ALLOWED:
        return Decision(True, "local environment", None)
    source: PolicySource = PolicyFile(policy) if isinstance(policy, Path) else policy
    who = Principal(principal) if isinstance(principal, str) else principal
    env = os.environ if environ is None else environ
    granted = {part.strip() for part in env.get(GRANT_VARIABLE, "").split(",") if part.strip()}
    try:
        loaded = source.load()
    except Exception as exc:  # fail closed on anything at all, the variable included: an
        # unreadable policy may be one that turned the variable off
        return Decision(False, f"policy unusable, failing closed: {exc} (fix it)", None)
    if loaded.grant_variable:
        if environment_id in granted:
            return Decision(True, f"{GRANT_VARIABLE} names it", GRANT_VARIABLE)
        hint = f"add one to {source.location} or set {GRANT_VARIABLE}={environment_id}"
    else:
        hint = (
            f"add one to {source.location}; {GRANT_VARIABLE} is ignored, the policy sets "
            '"grant_variable": false'
        )
    moment = now or datetime.now(UTC)
    expired = False
    for index, grant in enumerate(loaded.grants):
        if not any(fnmatchcase(environment_id, p) for p in grant.environments):
            continue
        matched = [
            (subject, issuer)
            for subject, issuer in _subjects(grant, who)
            if any(fnmatchcase(subject, p) for p in grant.principals)
        ]
        if not matched:
            continue
        if grant.expires is not None and _aware(grant.expires) <= moment:
            expired = True
            continue
        label = f"{source.label}#grants[{index}]"
        subject, issuer = matched[0]
        trusted = f" (trusting the {issuer} claim {subject})" if issuer else ""
        return Decision(True, f"grant {label}{trusted}", label)
    why = "grant expired" if expired else f"no grant for {who.name}"
    return Decision(False, f"{why} ({hint}){_untrusted_note(who)}", None)

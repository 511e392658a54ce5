"""The result of one preflight check, in the shape ``env tool-check`` prints.

One flat record per check keeps the JSON envelope stable for scripts and CI, and lets the
gate, the terminal table and the audit log read the same fields.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class CheckStatus(StrEnum):
    OK = "ok"
    FAILED = "failed"
    # Not run because another outcome in the same run already explains the failure
    # (e.g. ``probe:kubectl-can-i`` when ``tool:kubectl`` is missing).
    SKIPPED = "skipped"
    TIMEOUT = "timeout"


# A check blocks an apply when it failed or could not finish; skipped ones never do.
BLOCKING_STATUSES = frozenset({CheckStatus.FAILED, CheckStatus.TIMEOUT})


class CheckOutcome(BaseModel):
    """``{check, status, found, required, hint, detail}`` for one tool or probe."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # ``tool:<name>`` or ``probe:<name>``.
    check: str
    status: CheckStatus
    # What was observed: a version, an identity, ``yes``/``no``; None when nothing was.
    found: str | None = None
    # What the pack asked for: ``>= 3.100.0``, ``create deployments in ns x``.
    required: str | None = None
    # How to fix it (install commands, login command); set only when not ok.
    hint: str | None = None
    # Where it was found, what the tool printed (truncated), why it failed.
    detail: str | None = None

    @property
    def blocking(self) -> bool:
        return self.status in BLOCKING_STATUSES

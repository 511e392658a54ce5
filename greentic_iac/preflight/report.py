"""The ``env tool-check`` report and the gate that ``preview``/``up``/``destroy``/``drift``
put in front of every apply.

The report groups outcomes per binding in the seed's shape (``failed_checks``,
``total_checks``, ``per_binding: [{slot, kind, outcomes}]``); a binding whose pack needs
nothing (the local built-ins) simply has no outcomes. All bindings' checks run in one
concurrent batch, so the whole report costs one timeout, not one per binding.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import BaseModel, ConfigDict

from greentic_iac.errors import PreflightError
from greentic_iac.preflight.outcome import CheckOutcome
from greentic_iac.preflight.platforms import Platform
from greentic_iac.preflight.process import truncate
from greentic_iac.preflight.runner import DEFAULT_TIMEOUT, Requirement, run_requirements


class BindingOutcomes(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slot: str
    kind: str
    outcomes: list[CheckOutcome]


class ToolCheckReport(BaseModel):
    """``model_dump(mode="json")`` is the ``result`` of ``env tool-check``."""

    model_config = ConfigDict(extra="forbid")

    failed_checks: int
    total_checks: int
    per_binding: list[BindingOutcomes]

    def failures(self) -> list[tuple[BindingOutcomes, CheckOutcome]]:
        return [
            (binding, outcome)
            for binding in self.per_binding
            for outcome in binding.outcomes
            if outcome.blocking
        ]


def report_from_outcomes(
    bindings: Sequence[tuple[str, str, Sequence[CheckOutcome]]],
) -> ToolCheckReport:
    """Assemble a report from outcomes already computed (``(slot, kind, outcomes)``)."""
    per_binding = [
        BindingOutcomes(slot=slot, kind=kind, outcomes=list(outcomes))
        for slot, kind, outcomes in bindings
    ]
    all_outcomes = [outcome for binding in per_binding for outcome in binding.outcomes]
    return ToolCheckReport(
        failed_checks=sum(outcome.blocking for outcome in all_outcomes),
        total_checks=len(all_outcomes),
        per_binding=per_binding,
    )


def build_tool_check_report(
    bindings: Sequence[tuple[str, str, Sequence[Requirement]]],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    env: Mapping[str, str] | None = None,
    path: str | None = None,
    platform: Platform | None = None,
) -> ToolCheckReport:
    """Run every binding's requirements (one concurrent batch) and group the outcomes.

    ``bindings`` is ``[(slot, kind, requirements)]`` with placeholders already filled
    (``envpacks.binding_requirements`` fills them); ``kind`` is the binding's descriptor. Raises
    InvalidInputError only for a non-positive timeout.
    """
    flat = [requirement for _, _, requirements in bindings for requirement in requirements]
    outcomes = iter(run_requirements(flat, timeout=timeout, env=env, path=path, platform=platform))
    return report_from_outcomes(
        [
            (slot, kind, [next(outcomes) for _ in requirements])
            for slot, kind, requirements in bindings
        ]
    )


def gate(report: ToolCheckReport) -> None:
    """Raise PreflightError (exit 3) when any check failed or timed out.

    The message's first line is a summary naming the failing checks; each following line
    gives one failure with what was found and its hint.
    """
    failures = report.failures()
    if not failures:
        return
    names = ", ".join(dict.fromkeys(outcome.check for _, outcome in failures))
    lines = [f"preflight failed: {report.failed_checks} of {report.total_checks} checks ({names})"]
    for binding, outcome in failures:
        line = f"  {binding.slot}: {outcome.check} {outcome.status.value}"
        if outcome.detail:
            line += f": {truncate(outcome.detail, 200)}"
        lines.append(line)
        if outcome.hint:
            lines.append(f"    hint: {outcome.hint}")
    raise PreflightError("\n".join(lines))

"""A rollout as a person reads it: step n/total and kind, weights by revision name, the last
analysis with its verdict, and the time to the next step.

``status`` shows one of these per active rollout (a table row on a terminal, the same
fields in the JSON envelope); the figures are the stored ones, so every machine sharing the
store reads the same rollout.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from greentic_iac.operations.rollout_runner import time_to_next_step
from greentic_iac.preview.names import revision_name
from greentic_iac.spec.rollout import PauseStep, Rollout
from greentic_iac.spec.state import EnvironmentState


def short_percent(bps: int) -> str:
    """``9000`` -> ``90%``, ``50`` -> ``0.5%``, ``3333`` -> ``33.33%`` (no trailing zeros)."""
    return f"{bps / 100:.2f}".rstrip("0").rstrip(".") + "%"


def _side(state: EnvironmentState, bundle_id: str | None, revision_id: str) -> dict[str, Any]:
    revision = state.revisions.get(revision_id)
    split = state.traffic.get(revision.deployment_id) if revision is not None else None
    name = (
        revision_name(bundle_id, revision.sequence)
        if revision is not None and bundle_id is not None
        else None
    )
    return {
        "revision_id": revision_id,
        "name": name,
        "weight_bps": split.weight_of(revision_id) if split is not None else 0,
    }


def rollout_targets(rollout: Rollout, state: EnvironmentState) -> list[dict[str, Any]]:
    """Per target: its deployment (id, bundle id, route) and its stable and canary
    revisions, each with its name and current weight."""
    targets = []
    for target in rollout.targets:
        deployment = state.deployments.get(target.deployment_id)
        bundle_id = deployment.bundle_id if deployment is not None else None
        targets.append(
            {
                "deployment_id": target.deployment_id,
                "bundle_id": bundle_id,
                "route": None
                if deployment is None
                else f"{deployment.route_binding.host}{deployment.route_binding.path_prefix}",
                "stable": _side(state, bundle_id, target.stable_revision_id),
                "canary": _side(state, bundle_id, target.canary_revision_id),
            }
        )
    return targets


def weights_text(targets: list[dict[str, Any]]) -> str:
    """``shop@1 90% / shop@2 10%`` per target, ``; `` between targets."""
    return "; ".join(
        " / ".join(
            f"{side['name'] or side['revision_id']} {short_percent(side['weight_bps'])}"
            for side in (target["stable"], target["canary"])
        )
        for target in targets
    )


def figure_text(figure: dict[str, Any]) -> str:
    """``error_rate 0.012 <= 0.05 (120 req) pass``."""
    value = figure["value"]
    shown = "no data" if value is None else f"{value:.4g}"
    bounds = []
    if figure.get("max") is not None:
        bounds.append(f"<= {figure['max']:g}")
    if figure.get("min") is not None:
        bounds.append(f">= {figure['min']:g}")
    bound = f" {' and '.join(bounds)}" if bounds else ""
    verdict = "pass" if figure["passed"] else "FAIL"
    return f"{figure['metric']} {shown}{bound} ({figure['requests']} req) {verdict}"


def _analysis(rollout: Rollout, state: EnvironmentState) -> dict[str, Any] | None:
    analysis = rollout.last_analysis
    if analysis is None:
        return None
    names = {
        side["revision_id"]: side["name"]
        for t in rollout_targets(rollout, state)
        for side in (t["stable"], t["canary"])
    }
    return {
        "passed": analysis.passed,
        "verdict": "passed" if analysis.passed else "failed",
        "at": analysis.at.isoformat(),
        "step": analysis.step_index + 1,
        "figures": [
            {
                "revision_id": figure.revision_id,
                "name": names.get(figure.revision_id),
                "metric": figure.metric,
                "value": figure.value,
                "requests": figure.requests,
                "max": figure.max,
                "min": figure.min,
                "passed": figure.passed,
            }
            for figure in analysis.figures
        ],
    }


def next_step_text(rollout: Rollout, seconds: float | None) -> str:
    """``in 1m40s``, ``on rollout promote``, ``now`` or ``-`` (finished)."""
    if rollout.status.finished:
        return "-"
    step = rollout.current_step
    if rollout.status.value == "paused":
        return "paused (rollout resume)"
    if isinstance(step, PauseStep) and step.seconds is None:
        return "on rollout promote"
    if seconds is None:
        return "now"
    return f"in {duration_text(seconds)}"


def duration_text(seconds: float) -> str:
    """``100`` -> ``1m40s``, ``40`` -> ``40s`` (a part second counts as a whole one)."""
    whole = int(seconds + 0.999)
    minutes, rest = divmod(whole, 60)
    return f"{minutes}m{rest:02d}s" if minutes else f"{rest}s"


def rollout_summary(rollout: Rollout, state: EnvironmentState, now: datetime) -> dict[str, Any]:
    """One rollout for ``status`` (see the module docstring)."""
    total = len(rollout.definition.steps)
    step = rollout.current_step
    targets = rollout_targets(rollout, state)
    seconds = time_to_next_step(rollout, now)
    return {
        "rollout_id": rollout.rollout_id,
        "status": rollout.status.value,
        "step": f"{min(rollout.step_index + 1, total)}/{total}",
        "step_index": rollout.step_index,
        "steps": total,
        "step_kind": step.kind if step is not None else "done",
        "targets": targets,
        "weights": weights_text(targets),
        "last_analysis": _analysis(rollout, state),
        "next_step_in_seconds": seconds,
        "next_step": next_step_text(rollout, seconds),
        "reason": rollout.reason,
    }

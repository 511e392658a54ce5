"""The traffic diff: per deployment, each revision's share before and after, as applied.

Both sides come from the plans' ``traffic`` sections (what the target writes), not from
the state, so the baseline side is what was really applied. ``before_bps``/``after_bps``
are the requested basis points (0 for a revision absent on that side); ``applied_weight``
and ``effective_bps`` are what the new plan's target writes after rounding (``None`` when
the revision is not in the new plan). A deployment changes when a requested share, an
applied weight or the conversion method moves.
"""

from __future__ import annotations

from typing import Any

from greentic_iac.plan.model import DeploymentTraffic, Plan


def _by_deployment(plan: Plan | None) -> dict[str, DeploymentTraffic]:
    return {t.deployment_id: t for t in plan.traffic} if plan is not None else {}


def traffic_diff(before: Plan | None, after: Plan) -> list[dict[str, Any]]:
    """Every deployment in either plan, sorted by id (see the module docstring)."""
    old_all = _by_deployment(before)
    new_all = _by_deployment(after)
    result: list[dict[str, Any]] = []
    for deployment_id in sorted(old_all.keys() | new_all.keys()):
        old = old_all.get(deployment_id)
        new = new_all.get(deployment_id)
        old_revisions = {r.revision_id: r for r in old.revisions} if old else {}
        new_revisions = {r.revision_id: r for r in new.revisions} if new else {}
        order = list(new_revisions) + sorted(set(old_revisions) - set(new_revisions))
        revisions = []
        changed = old is None or new is None or old.method != new.method
        for revision_id in order:
            was = old_revisions.get(revision_id)
            now = new_revisions.get(revision_id)
            before_bps = was.requested_bps if was else 0
            after_bps = now.requested_bps if now else 0
            was_weight = was.applied_weight if was else 0
            now_weight = now.applied_weight if now else 0
            if before_bps != after_bps or was_weight != now_weight:
                changed = True
            revisions.append(
                {
                    "revision_id": revision_id,
                    "before_bps": before_bps,
                    "after_bps": after_bps,
                    "applied_weight": now.applied_weight if now else None,
                    "effective_bps": float(now.effective_bps) if now else None,
                }
            )
        result.append(
            {
                "deployment_id": deployment_id,
                "method": new.method if new is not None else (old.method if old else ""),
                "changed": changed,
                "revisions": revisions,
            }
        )
    return result

"""Deployer hooks the lifecycle verbs call: only the local target acts on them today."""

from __future__ import annotations

from greentic_iac.cli.context import Context


def wait_until_healthy(ctx: Context, environment_id: str, revision_id: str) -> None:
    """Before ``warm`` reports ready: the local runtime health-checks a running revision.

    Cloud targets report ``ready`` when the plan is applied (their health checks belong to
    the load balancer / readiness probes), so there is nothing to wait for here.
    """
    del ctx, environment_id, revision_id

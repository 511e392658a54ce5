"""Environment states for the example target: built from fixed ids so plans are stable."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from greentic_iac.spec import local_environment
from greentic_iac.spec.deployment import BundleDeployment, RouteBinding
from greentic_iac.spec.lifecycle import RevisionLifecycle
from greentic_iac.spec.revision import Revision
from greentic_iac.spec.state import EnvironmentState
from greentic_iac.spec.traffic import TrafficEntry, TrafficSplit

WHEN = datetime(2026, 5, 21, tzinfo=UTC)
DEPLOYMENT = "01JAAAAAAAAAAAAAAAAAAAAAD1"
REVISION_1 = "01JAAAAAAAAAAAAAAAAAAAAAR1"
REVISION_2 = "01JAAAAAAAAAAAAAAAAAAAAAR2"


def revision(revision_id: str, sequence: int, lifecycle: RevisionLifecycle) -> Revision:
    return Revision(
        revision_id=revision_id,
        deployment_id=DEPLOYMENT,
        bundle_digest=f"sha256:{sequence:064x}",
        sequence=sequence,
        lifecycle=lifecycle,
        created_at=WHEN,
        updated_at=WHEN,
    )


def example_state(*, with_second_revision: bool = False) -> EnvironmentState:
    revisions = {REVISION_1: revision(REVISION_1, 1, RevisionLifecycle.READY)}
    if with_second_revision:
        revisions[REVISION_2] = revision(REVISION_2, 2, RevisionLifecycle.STAGED)
    return EnvironmentState(
        environment=local_environment("demo"),
        deployments={
            DEPLOYMENT: BundleDeployment(
                deployment_id=DEPLOYMENT,
                bundle_id="shop",
                customer_id="acme",
                route_binding=RouteBinding(host="shop.example.com", path_prefix="/shop"),
                created_at=WHEN,
            )
        },
        revisions=revisions,
        traffic={
            DEPLOYMENT: TrafficSplit(
                deployment_id=DEPLOYMENT,
                entries=[TrafficEntry(revision_id=REVISION_1, weight_bps=10_000)],
            )
        },
        deployment_config={DEPLOYMENT: {"LOG_LEVEL": "info"}},
    )


@pytest.fixture
def state() -> EnvironmentState:
    return example_state()

"""The local target's plan mirrors what the runtime runs, with names from ids only."""

from __future__ import annotations

from datetime import UTC, datetime

from greentic_iac.local.routes import RouteTable
from greentic_iac.spec import (
    BundleDeployment,
    EnvironmentState,
    Revision,
    RouteBinding,
    TrafficEntry,
    TrafficSplit,
    local_environment,
    runtime_config_from_state,
)
from greentic_iac.targets.local import PROCESS_TYPE, ROUTE_TYPE, ROUTER_TYPE, compile_plan

T = datetime(2026, 1, 1, tzinfo=UTC)
D1, D2 = "01J0000000000000000000D001", "01J0000000000000000000D002"
R = [f"01J0000000000000000000R00{i}" for i in range(1, 6)]


def _state(extra_staged: bool = False) -> EnvironmentState:
    deployments = {
        D1: BundleDeployment(
            deployment_id=D1,
            bundle_id="demo",
            customer_id="acme",
            route_binding=RouteBinding(host="app.local"),
            created_at=T,
        ),
        D2: BundleDeployment(
            deployment_id=D2,
            bundle_id="other",
            customer_id="acme",
            route_binding=RouteBinding(host="app.local", path_prefix="/api"),
            created_at=T,
        ),
    }
    lifecycles = ["ready", "ready", "warming", "inactive"]
    revisions = {
        R[i]: Revision(
            revision_id=R[i],
            deployment_id=D1,
            bundle_digest="sha256:ab",
            sequence=i + 1,
            lifecycle=lifecycles[i],
            created_at=T,
            updated_at=T,
            command=["./serve"] if i == 1 else None,
        )
        for i in range(4)
    }
    if extra_staged:
        revisions[R[4]] = Revision(
            revision_id=R[4],
            deployment_id=D1,
            bundle_digest="sha256:cd",
            sequence=5,
            created_at=T,
            updated_at=T,
        )
    traffic = {
        D1: TrafficSplit(
            deployment_id=D1,
            generation=2,
            entries=[
                TrafficEntry(revision_id=R[0], weight_bps=9900),
                TrafficEntry(revision_id=R[1], weight_bps=100),
            ],
        )
    }
    return EnvironmentState(
        environment=local_environment(),
        deployments=deployments,
        revisions=revisions,
        traffic=traffic,
        generation=7,
    )


def test_plan_has_router_routes_and_live_processes() -> None:
    plan = compile_plan(_state())
    by_type: dict[str, list[str]] = {}
    for resource in plan.resources:
        by_type.setdefault(resource.type, []).append(resource.name)
    assert by_type[ROUTER_TYPE] == ["router"]
    assert by_type[ROUTE_TYPE] == [f"route-{D1.lower()}"]
    # warming and ready run; inactive does not; D2 has no split and is reported instead.
    assert sorted(by_type[PROCESS_TYPE]) == sorted(f"process-{r.lower()}" for r in R[:3])
    assert [f.code for f in plan.findings] == ["local.no-split"]
    route = plan.resource(f"route-{D1.lower()}")
    assert route.properties["weights_bps"] == {R[0]: 9900, R[1]: 100}
    assert plan.resource(f"process-{R[1].lower()}").properties["app"] == "command"
    assert plan.traffic[0].max_error_bps == 0
    assert plan.outputs == {"router_url": "http://127.0.0.1:8787"}


def test_staging_a_revision_renames_nothing_and_is_deterministic() -> None:
    before, after = compile_plan(_state()), compile_plan(_state(extra_staged=True))
    assert before.canonical_json() == compile_plan(_state()).canonical_json()
    assert [r.name for r in before.resources] == [r.name for r in after.resources]


def test_plan_and_runtime_config_agree() -> None:
    state = _state()
    table = RouteTable.from_config(runtime_config_from_state(state))
    route = table.match("app.local", "/x")
    assert route is not None and route.deployment_id == D1
    assert {r.revision_id: r.weight_bps for r in route.split.revisions} == {
        R[0]: 9900,
        R[1]: 100,
        R[2]: 0,
    }

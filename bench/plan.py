"""Plan bench: compile time, emit time under the capturing mocks, and a hand-written baseline.

For synthetic environments of 10, 100 and 1000 deployments x 3 revisions (example target:
5 resources per deployment + 3 per environment), it prints:
- compile time (target: 1000 x 3 under 1 s, and >= 50x faster than registering the same
  resources through the Pulumi mocks);
- emit time of our generic emitter under the capturing mocks;
- emit time of a hand-written program creating the identical resources (the exporter's
  typed-SDK source, executed under the same mocks), in the same run; target ratio <= 1.2.
Run: ``.venv/bin/python bench/plan.py`` (about 30-60 s on 2 cores).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from greentic_iac.pulumi.export import export_pulumi_python
from greentic_iac.pulumi.testing import emit_under_mocks, run_source_under_mocks
from greentic_iac.spec import local_environment
from greentic_iac.spec.deployment import BundleDeployment, RouteBinding
from greentic_iac.spec.lifecycle import RevisionLifecycle
from greentic_iac.spec.revision import Revision
from greentic_iac.spec.state import EnvironmentState
from greentic_iac.spec.traffic import TrafficEntry, TrafficSplit
from greentic_iac.targets.example import compile_plan

WHEN = datetime(2026, 5, 21, tzinfo=UTC)
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _ulid(kind: int, number: int) -> str:
    digits = []
    for _ in range(10):
        number, rest = divmod(number, 32)
        digits.append(_CROCKFORD[rest])
    return f"01J{kind}" + "A" * 12 + "".join(reversed(digits))


def synthetic_state(deployments: int, revisions: int = 3) -> EnvironmentState:
    deployment_map, revision_map, traffic = {}, {}, {}
    for d in range(deployments):
        deployment_id = _ulid(1, d)
        deployment_map[deployment_id] = BundleDeployment(
            deployment_id=deployment_id,
            bundle_id=f"bundle-{d}",
            customer_id="acme",
            route_binding=RouteBinding(host=f"app{d}.example.com"),
            created_at=WHEN,
        )
        entries = []
        for r in range(revisions):
            revision_id = _ulid(2, d * revisions + r)
            revision_map[revision_id] = Revision(
                revision_id=revision_id,
                deployment_id=deployment_id,
                bundle_digest=f"sha256:{d:032x}{r:032x}",
                sequence=r + 1,
                lifecycle=RevisionLifecycle.READY,
                created_at=WHEN,
                updated_at=WHEN,
            )
            entries.append(TrafficEntry(revision_id=revision_id, weight_bps=0))
        entries[-1] = TrafficEntry(revision_id=entries[-1].revision_id, weight_bps=10_000)
        traffic[deployment_id] = TrafficSplit(deployment_id=deployment_id, entries=entries)
    return EnvironmentState(
        environment=local_environment("bench"),
        deployments=deployment_map,
        revisions=revision_map,
        traffic=traffic,
    )


def _best_of(runs: int, work: object) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        work()  # type: ignore[operator]
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    # Warm-up: the first mocked run pays for importing the SDK modules.
    warm = compile_plan(synthetic_state(1))
    emit_under_mocks(warm)
    run_source_under_mocks(export_pulumi_python(warm), warm)

    print(
        f"{'deployments':>11} {'resources':>9} {'compile s':>9} {'emit s':>8} "
        f"{'hand s':>8} {'emit/hand':>9} {'mocks/compile':>13}"
    )
    for size in (10, 100, 1000):
        state = synthetic_state(size)
        compile_s = _best_of(3, lambda s=state: compile_plan(s))
        plan = compile_plan(state)
        # Registering 5000 resources through the mocks takes minutes on a shared 2-core
        # box, so the 1000 row times the first 200 deployments and scales per resource.
        mocked = size if size <= 200 else 200
        sample = plan if mocked == size else compile_plan(synthetic_state(mocked))
        scale = len(plan.resources) / len(sample.resources)
        source = export_pulumi_python(sample)
        runs = 3 if mocked <= 10 else 1
        emit_s = _best_of(runs, lambda p=sample: emit_under_mocks(p)) * scale
        hand_s = _best_of(runs, lambda p=sample, src=source: run_source_under_mocks(src, p))
        hand_s *= scale
        note = "" if mocked == size else f"  (mocks: {mocked} deployments, scaled)"
        print(
            f"{size:>11} {len(plan.resources):>9} {compile_s:>9.3f} {emit_s:>8.3f} "
            f"{hand_s:>8.3f} {emit_s / hand_s:>9.2f} {emit_s / compile_s:>13.1f}{note}"
        )
    print("targets: compile(1000x3) < 1 s; mocks/compile >= 50; emit/hand <= 1.2")


if __name__ == "__main__":
    main()

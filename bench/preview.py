"""Preview bench: diff two 10,000-resource plans and render the markdown comment.

Target: diff + markdown under 0.5 s. Printed against the compile time of the same two
plans (example target, synthetic states from bench/plan.py), measured in the same run.
Run: ``.venv/bin/python bench/preview.py``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from plan import synthetic_state

from greentic_iac.preview import Baseline, build_preview
from greentic_iac.preview.markdown import render_markdown
from greentic_iac.spec import TrafficEntry, TrafficSplit
from greentic_iac.targets.example import compile_plan

TARGET_SECONDS = 0.5


def _best_of(runs: int, work: Any) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def _shifted(state: Any) -> Any:
    """Every deployment moves 10 % to its second-newest revision."""
    traffic = {}
    for deployment_id, split in state.traffic.items():
        entries = [TrafficEntry(revision_id=e.revision_id, weight_bps=0) for e in split.entries]
        entries[-1] = TrafficEntry(revision_id=entries[-1].revision_id, weight_bps=9_000)
        entries[-2] = TrafficEntry(revision_id=entries[-2].revision_id, weight_bps=1_000)
        traffic[deployment_id] = TrafficSplit(deployment_id=deployment_id, entries=entries)
    return state.model_copy(update={"traffic": traffic})


def main() -> None:
    # Example target: 5 resources per deployment (3 revisions) + 3 per environment.
    deployments = 2_000
    before_state = synthetic_state(deployments)
    after_state = _shifted(before_state)
    compile_seconds = _best_of(3, lambda: (compile_plan(before_state), compile_plan(after_state)))
    before, after = compile_plan(before_state), compile_plan(after_state)
    hash_seconds = _best_of(1, lambda: (before.content_hash(), after.content_hash()))
    baseline = Baseline(
        plan=before, source="file", path="bench", content_hash=before.content_hash()
    )
    plan_hash = after.content_hash()

    def preview() -> str:
        return render_markdown(build_preview(after_state, after, baseline, plan_hash=plan_hash))

    seconds = _best_of(3, preview)
    document = build_preview(after_state, after, baseline)
    text = preview()
    print(f"resources per plan:            {len(after.resources):,}")
    print(f"changed resources:             {len(document['resources']):,}")
    print(f"markdown size:                 {len(text):,} chars (limit 65,536)")
    print(f"compile both plans (baseline): {compile_seconds * 1000:8.1f} ms")
    verdict = "ok" if seconds < TARGET_SECONDS else "MISSED"
    print(
        f"diff + markdown:               {seconds * 1000:8.1f} ms "
        f"(target < {TARGET_SECONDS * 1000:.0f} ms: {verdict})"
    )
    print(f"content hashes (not in diff):  {hash_seconds * 1000:8.1f} ms")
    print(f"ratio preview / compile:       {seconds / compile_seconds:8.2f}x")


if __name__ == "__main__":
    main()

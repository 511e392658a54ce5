"""Issue #12's leak gate: every output the project generates for its golden cases scans clean.

Secrets are references, never values (DESIGN §4.6). This test renders, into tmp_path, what
the project writes for users from every AWS ECS and Kubernetes golden case (the plan JSON,
the stack config, the exported Pulumi program, the Kubernetes manifests, the IAM policy or
RBAC Role, the preview in every format) plus the CI workflows, and runs the secret scanner
over all of it, together with the golden plans of every target: 0 findings. A planted key
in a copy of the same outputs must be found, so a clean result means clean, not blind.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from greentic_iac.bundles import scan_generated_outputs, scan_path
from greentic_iac.ci.workflows import PROVIDERS, render_workflow
from greentic_iac.plan import Plan
from greentic_iac.preview import FORMATS, Baseline, build_preview, render
from greentic_iac.pulumi.export import export_pulumi_python
from greentic_iac.pulumi.stack_config import render_stack_config
from greentic_iac.spec import EnvironmentState
from greentic_iac.targets import aws_ecs, k8s
from greentic_iac.targets.aws_ecs.credentials import iam_policy_for_plan
from greentic_iac.targets.k8s.credentials import rbac_role_for_plan
from tests.targets.aws_ecs.cases import CASES as AWS_CASES
from tests.targets.k8s.k8s_cases import CASES as K8S_CASES

pytestmark = pytest.mark.reliability

REPO_ROOT = Path(__file__).resolve().parents[3]
GOLDEN_PLANS = sorted(REPO_ROOT.glob("tests/targets/*/golden/*.json"))
TARGETS: dict[str, tuple[dict[str, Callable[[], EnvironmentState]], Callable[..., Plan]]] = {
    "aws_ecs": (AWS_CASES, aws_ecs.compile_plan),
    "k8s": (K8S_CASES, k8s.compile_plan),
}
# Secret names a pack might declare: rendered as `pulumi config set --secret` instructions.
SECRET_NAMES = ("greentic:dbPassword", "greentic:apiToken")


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _render_case(root: Path, state: EnvironmentState, plan: Plan, previous: Plan | None) -> None:
    """Everything a user gets for one case, under ``root``."""
    _write(root / "plan.json", plan.to_pretty_json())
    _write(
        root / "stacks" / f"Pulumi.{plan.environment_id}.yaml",
        render_stack_config(state, home="/srv/greentic", secret_names=SECRET_NAMES),
    )
    if plan.errors:
        return  # a refused plan is never exported, previewed or turned into a policy
    _write(root / "export" / "__main__.py", export_pulumi_python(plan))
    if plan.target == k8s.TARGET:
        k8s.export_k8s_yaml(plan, root / "manifests")
        _write(root / "rbac.yaml", rbac_role_for_plan(plan))
    else:
        _write(root / "iam-policy.json", json.dumps(iam_policy_for_plan(plan), indent=2))
    baselines = [Baseline.empty()]
    if previous is not None and previous.environment_id == plan.environment_id:
        baselines.append(Baseline(plan=previous, source="file", path="previous.plan.json"))
    for index, baseline in enumerate(baselines):
        document = build_preview(state, plan, baseline)
        for fmt in FORMATS:
            _write(root / "preview" / f"{index}.{fmt}", render(document, fmt))


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("generated")
    for target, (cases, compile_plan) in TARGETS.items():
        previous: Plan | None = None
        for case in sorted(cases):
            state = cases[case]()
            plan = compile_plan(state)
            _render_case(root / target / case, state, plan, previous)
            if not plan.errors:
                previous = plan
    for provider in PROVIDERS:
        relative, text = render_workflow(provider)
        _write(root / "ci" / provider / relative, text)
    return root


def test_every_golden_case_produced_its_outputs(generated: Path) -> None:
    # The gate is only as good as its coverage: each kind of output exists for each target.
    for target, (cases, _) in TARGETS.items():
        assert sorted(p.name for p in (generated / target).iterdir()) == sorted(cases)
        for pattern in ("*/plan.json", "*/stacks/*.yaml", "*/export/__main__.py", "*/preview/*"):
            assert list((generated / target).glob(pattern)), (target, pattern)
    assert list((generated / "k8s").glob("*/manifests/*.yaml"))
    assert list((generated / "aws_ecs").glob("*/iam-policy.json"))
    assert {p.suffix for p in generated.glob("*/*/preview/*")} == {f".{f}" for f in FORMATS}
    assert len(list((generated / "ci").rglob("*.yml"))) == len(PROVIDERS)
    assert {p.parent.name for p in GOLDEN_PLANS} == {"golden"}
    assert {p.parts[-3] for p in GOLDEN_PLANS} >= {"aws_ecs", "k8s", "example"}


def test_generated_outputs_and_golden_plans_have_no_secrets(generated: Path) -> None:
    findings = scan_generated_outputs([generated, *GOLDEN_PLANS])
    assert findings == [], "\n".join(f.describe() for f in findings)


def test_a_key_planted_in_generated_output_is_found(generated: Path, tmp_path: Path) -> None:
    def like_random(seed: str, alphabet: str, length: int) -> str:
        digest = hashlib.sha256(seed.encode()).digest() * 2
        return "".join(alphabet[b % len(alphabet)] for b in digest[:length])

    key_id = "AK" + "IA" + like_random("id", "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
    stack = next(generated.glob("aws_ecs/*/stacks/*.yaml"))
    leaked = _write(
        tmp_path / "stacks" / stack.name,
        stack.read_text(encoding="utf-8") + f"  aws:accessKey: {key_id}\n",
    )
    findings = scan_path(leaked)
    assert [(f.line, f.kind) for f in findings] == [
        (len(stack.read_text(encoding="utf-8").splitlines()) + 1, "aws-access-key-id")
    ]
    assert key_id not in findings[0].describe()

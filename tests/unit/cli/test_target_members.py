"""The CLI's generic target paths, with a third-party-like deployer registered in the test.

``credentials policy|validate|bootstrap``, ``export`` and ``preview`` reach a deployer only
through its ``Target``: a plug-in's members are used as they are (its policy printed, its
validation's verdict the exit code, its bootstrap's documents in the rules pack, its export
format written, its limit refusing a preview), and a deployer without one is exit 2,
"deployer X offers no ...". The plug-ins are in ``plugin_target.py``; they join the
registry every ``EnvPackRegistry.discover()`` builds, as an installed entry point would.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from greentic_iac.envpacks import EnvPackRegistry
from greentic_iac.plan.model import Plan, PlanResource
from greentic_iac.preview.checks import limit_violations
from tests.support.cli_runner import Outcome, run_cli
from tests.support.seeding import AnswersCli, seed_deployment
from tests.unit.cli import plugin_target

TINY_ENV = "tiny-prod"
BARE_ENV = "bare-prod"

Cli = Callable[..., Outcome]


def _install_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    discover = EnvPackRegistry.discover

    def with_plugins(*args: Any, **kwargs: Any) -> EnvPackRegistry:
        return plugin_target.registry_with_plugins(discover(*args, **kwargs))

    monkeypatch.setattr(EnvPackRegistry, "discover", with_plugins)
    monkeypatch.setenv("GREENTIC_GRANT", f"{TINY_ENV},{BARE_ENV}")


@pytest.fixture(autouse=True)
def plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    _install_plugins(monkeypatch)


def _environment(environment_id: str, kind: str) -> dict[str, Any]:
    return {
        "environment_id": environment_id,
        "tenant": {"tenant": "acme", "team": "edge"},
        "deployment": {"cloud": "other", "region": "nowhere-1", "platform": "baremetal"},
        "packs": [{"slot": "deployer", "kind": kind, "settings": {}}],
    }


def _seed(cli: AnswersCli, environment_id: str, kind: str, weights: list[int]) -> None:
    cli.ok("env", "create", payload=_environment(environment_id, kind))
    seed_deployment(
        cli,
        environment_id,
        bundle_id="shop",
        host=f"{environment_id}.example.com",
        digests=["sha256:" + digit * 64 for digit in "abc"[: len(weights)]],
        splits=[weights],
    )


@pytest.fixture(scope="module")
def seeded_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("plugin-seed")
    home = base / "home"
    cli = AnswersCli(home, base / "answers")
    with pytest.MonkeyPatch.context() as patch:
        _install_plugins(patch)
        _seed(cli, TINY_ENV, f"{plugin_target.TINY}@1.0.0", [5_000, 5_000])
        _seed(cli, BARE_ENV, f"{plugin_target.BARE}@1.0.0", [10_000])
    return home


@pytest.fixture
def home(seeded_home: Path, tmp_path: Path) -> Path:
    """A copy of the seeded home per test: a verb that writes can't affect another."""
    copy = tmp_path / "home"
    shutil.copytree(seeded_home, copy)
    return copy


@pytest.fixture
def cli(home: Path) -> Cli:
    def call(*argv: str, output: str = "json") -> Outcome:
        return run_cli(home, *argv, output=output)

    return call


def _one_line_exit_2(outcome: Outcome, *parts: str) -> None:
    assert outcome.code == 2, (outcome.stdout, outcome.stderr)
    assert outcome.stderr.count("\n") == 1 and "Traceback" not in outcome.stderr
    for part in parts:
        assert part in outcome.stderr


# -- credentials -----------------------------------------------------------------------------


def test_policy_is_the_plugins_document_and_a_deployer_without_one_is_exit_2(cli: Cli) -> None:
    outcome = cli("credentials", "policy", TINY_ENV)
    assert outcome.code == 0, outcome.stderr
    assert outcome.stdout.splitlines() == [f"route backend-{r}" for r in _revisions(cli)]
    for verb in ("policy", "validate", "bootstrap"):
        _one_line_exit_2(
            cli("credentials", verb, BARE_ENV),
            f"deployer {plugin_target.BARE} offers no credentials policy",
        )


def _revisions(cli: Cli) -> list[str]:
    listed = cli("revisions", "list", TINY_ENV).result["revisions"]
    return sorted(r["revision_id"].lower() for r in listed)


def test_validate_exits_by_the_plugins_verdict_with_its_report(cli: Cli, home: Path) -> None:
    missing = cli("credentials", "validate", TINY_ENV, "--timeout", "3")
    assert missing.code == 3
    assert missing.result == {"target": plugin_target.TINY, "ok": False, "timeout": 3.0}
    table = cli("credentials", "validate", TINY_ENV, output="table")
    assert table.code == 3 and "tiny roles missing" in table.stdout
    assert cli("credentials", "bootstrap", TINY_ENV).code == 0
    granted = cli("credentials", "validate", TINY_ENV)
    assert granted.code == 0, granted.stderr
    assert granted.result["ok"] is True and granted.result["timeout"] == 10.0


def test_bootstrap_runs_the_plugin_and_writes_its_rules_pack(cli: Cli, home: Path) -> None:
    pack = home.parent / "pack"
    made = cli("credentials", "bootstrap", TINY_ENV, "--role-name", "edge", "--rules-pack",
               str(pack))  # fmt: skip
    assert made.code == 0, made.stderr
    cloud = home / "tiny-cloud.json"
    assert made.result == {
        "target": plugin_target.TINY,
        "environment_id": TINY_ENV,
        "role": "edge",
        "changes": ["granted roles"],
        "cloud": str(cloud),
        "rules_pack": {"directory": str(pack), "written": ["roles.txt", "manifest.json"]},
    }
    assert json.loads(cloud.read_text(encoding="utf-8"))["role"] == "edge"
    manifest = json.loads((pack / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["target"] == plugin_target.TINY and manifest["identity"] == {"role": "edge"}
    printed = cli("credentials", "policy", TINY_ENV).stdout
    assert (pack / "roles.txt").read_text(encoding="utf-8") == printed
    events = cli("audit", "list", TINY_ENV).result["events"]
    [audited] = [e["result"] for e in events if e["verb"] == "credentials bootstrap"
                 and "authorized" not in (e["result"] or {})]  # fmt: skip
    assert audited["role"] == "edge" and "cloud" not in audited  # private stays out
    text = cli("credentials", "bootstrap", TINY_ENV, "--role-name", "edge", "--rules-pack",
               str(pack), output="table")  # fmt: skip
    assert text.code == 0
    assert text.stdout.splitlines()[0] == f"{plugin_target.TINY}: no change"
    assert f"tiny cloud: {cloud}" in text.stdout
    # validate --rules-pack: the pack against the plan, then the plug-in's live check.
    checked = cli("credentials", "validate", TINY_ENV, "--rules-pack", str(pack))
    assert checked.code == 0, checked.stderr
    assert checked.result["rules_pack"]["ok"] is True
    cloud.write_text(json.dumps({"role": "edge", "roles": "route everything\n"}), "utf-8")
    drifted = cli("credentials", "validate", TINY_ENV, "--rules-pack", str(pack))
    assert drifted.code == 3
    assert drifted.result["rules_pack"]["problems"] == [
        "role edge: the tiny cloud grants something else"
    ]


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (("--principal", "arn:aws:iam::123456789012:role/ci"),
         "--principal: only for greentic.deployer.aws-ecs environments"),
        (("--kubeconfig", "/tmp/k"), "--kubeconfig: only for greentic.deployer.k8s environments"),
        (("--role-name", "Edge"), "--role-name: 'Edge' must be lowercase for tiny"),
        (("--timeout", "0"), "--timeout"),
    ],
)  # fmt: skip
def test_bootstrap_refuses_flags_the_plugin_does_not_take_before_anything(
    cli: Cli, home: Path, flags: tuple[str, ...], message: str
) -> None:
    pack = home.parent / "pack"
    outcome = cli("credentials", "bootstrap", TINY_ENV, "--rules-pack", str(pack), *flags)
    _one_line_exit_2(outcome, message)
    assert not pack.exists() and not (home / "tiny-cloud.json").exists()
    events = cli("audit", "list", TINY_ENV).result["events"]
    assert not [e for e in events if e["verb"] == "credentials bootstrap"]


# -- export ----------------------------------------------------------------------------------


def test_export_writes_the_plugins_format(cli: Cli, home: Path) -> None:
    out = home.parent / "exported"
    outcome = cli("export", TINY_ENV, "--format", "tiny-json", "--out", str(out))
    assert outcome.code == 0, outcome.stderr
    assert outcome.result["files"] == ["backends.json"]
    body = json.loads((out / "backends.json").read_text(encoding="utf-8"))
    assert body["backends"] == [f"backend-{r}" for r in _revisions(cli)]
    record = json.loads((out / ".greentic-export.json").read_text(encoding="utf-8"))
    assert record["format"] == "tiny-json" and record["files"] == ["backends.json"]


def test_export_formats_a_target_does_not_offer_are_exit_2_listing_its_own(
    cli: Cli, home: Path
) -> None:
    out = home.parent / "x"
    other = cli("export", TINY_ENV, "--format", "k8s-yaml", "--out", str(out))
    _one_line_exit_2(
        other, "--format k8s-yaml", plugin_target.TINY, "use --format pulumi-python or tiny-json"
    )
    assert "greentic.deployer" not in other.stderr
    _one_line_exit_2(
        cli("export", BARE_ENV, "--format", "pulumi-python", "--out", str(out)),
        "--format pulumi-python",
        "local up",
        "it offers no export format",
    )
    _one_line_exit_2(
        cli("export", TINY_ENV, "--out", str(out)),
        "--format: required, one of pulumi-python, tiny-json",
    )
    assert not out.exists()


# -- limits ----------------------------------------------------------------------------------


def _preview(cli: Cli, environment_id: str) -> tuple[int, dict[str, Any]]:
    outcome = cli("preview", environment_id, "--format", "json")
    return outcome.code, json.loads(outcome.stdout)


def test_a_split_the_plugin_cannot_route_is_refused_and_preview_asks_its_limits(
    cli: Cli, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, document = _preview(cli, TINY_ENV)
    assert code == 0 and document["limits"] == [] and not document["refused"]
    answers = AnswersCli(home, tmp_path / "answers")
    revisions = [r["revision_id"] for r in answers.ok("revisions", "list", TINY_ENV)["revisions"]]
    deployment = answers.ok("bundles", "list", TINY_ENV)["deployments"][0]["deployment_id"]
    stage = {"environment_id": TINY_ENV, "deployment_id": deployment,
             "bundle_digest": "sha256:" + "d" * 64}  # fmt: skip
    third = answers.ok("revisions", "stage", payload=stage)["revision_id"]
    warm = {"environment_id": TINY_ENV, "revision_id": third}
    answers.ok("revisions", "warm", "--skip-health-check", payload=warm)

    def split(weights: list[int]) -> dict[str, Any]:
        entries = [{"revision_id": r, "weight_bps": w}
                   for r, w in zip([*revisions, third], weights, strict=False)]  # fmt: skip
        return {"environment_id": TINY_ENV, "deployment_id": deployment, "entries": entries}

    before = answers.tree()
    # The plug-in's Target.limits judges the verb that changes the split, not only preview.
    _one_line_exit_2(
        answers("traffic", "set", payload=split([4_000, 3_000, 3_000])),
        f"traffic: deployer {plugin_target.TINY} can't realise this split: tiny-max-weighted",
    )
    assert answers.tree() == before
    # A stored split the plug-in can no longer route (a newer version takes one backend):
    monkeypatch.setattr(plugin_target, "MAX_WEIGHTED", 1)
    code, document = _preview(cli, TINY_ENV)
    assert code == 2 and document["refused"] is True
    assert document["limits"] == [
        {
            "code": "tiny-max-weighted",
            "message": "2 weighted backends; the tiny router takes at most 1",
            "subject": deployment,
        }
    ]
    # Moving weight within it is not refused: the finding was there before the change.
    answers.ok("traffic", "set", payload=split([6_000, 4_000]))
    answers.ok("traffic", "set", payload=split([10_000, 0]))
    assert _preview(cli, TINY_ENV)[1]["limits"] == []


def test_a_target_without_limits_gets_only_its_compilers_findings(cli: Cli) -> None:
    code, document = _preview(cli, BARE_ENV)
    assert code == 0 and document["limits"] == []


def test_limit_violations_ask_the_plans_target_and_skip_an_uninstalled_one() -> None:
    backends = [
        PlanResource(type=plugin_target.BACKEND, name=f"b{i}",
                     properties={"deployment": "d", "weight": 1})
        for i in range(3)
    ]  # fmt: skip
    tiny = Plan(environment_id="e", target=plugin_target.TINY, resources=backends)
    assert [v["code"] for v in limit_violations(tiny)] == ["tiny-max-weighted"]
    # The same members the Target offers, asked directly (no registry lookup).
    assert [v["code"] for v in limit_violations(tiny, None, plugin_target.BARE_TARGET)] == []
    unknown = tiny.model_copy(update={"target": "acme.deployer.not-installed"})
    assert limit_violations(unknown) == []


def test_registered_targets_leave_out_a_plugin_that_fails_to_load() -> None:
    from greentic_iac.targets import registered_targets, target_by_descriptor

    registry = EnvPackRegistry.discover()  # the test's: built-ins plus both plug-ins
    registry.register(plugin_target.broken_handler("acme.deployer.broken"), origin="test")
    descriptors = {t.descriptor for t in registered_targets(registry)}
    assert {plugin_target.TINY, plugin_target.BARE, "greentic.deployer.aws-ecs"} <= descriptors
    assert "acme.deployer.broken" not in descriptors
    assert target_by_descriptor("greentic.secrets.dev-store", lambda: registry) is None

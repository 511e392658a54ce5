"""A plug-in deployer's lifecycle hooks run after the verbs that change its state.

The plug-in is a real distribution on ``sys.path`` (entry point in ``greentic_iac.envpacks``)
whose ``Target.hooks`` record every call, with the context the CLI passed, in a file under
the home; the verbs run in this process through the CLI's own ``run``. What a hook returns
is the verb's ``runtime`` detail; a hook that raises fails the verb after the state changed.
"""

from __future__ import annotations

import importlib
import json
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli_runner import run_cli

DESCRIPTOR = "hookcloud.deployer.recorder"
PLUGIN = '''
    """A deployer whose hooks write down each call (and refuse a drain of a marked revision)."""

    import json

    from greentic_iac.errors import GreenticError
    from greentic_iac.plan.model import Plan
    from greentic_iac.plan.target import Target
    from greentic_iac.spec import CapabilitySlot, VersionReq


    def compile_plan(state):
        return Plan(environment_id=state.environment.environment_id, target=DESCRIPTOR)


    class RecordingHooks:
        def _record(self, hook, state, context, revision_id=None):
            path = context.greentic_home / "hook-calls.jsonl"
            with path.open("a", encoding="utf-8") as calls:
                calls.write(json.dumps({
                    "hook": hook,
                    "generation": state.generation,
                    "revision_id": revision_id,
                    "timeout": context.timeout,
                }) + "\\n")
            context.progress(f"recorder: {hook}")
            return {"recorded": hook}

        def after_change(self, state, context):
            return self._record("after_change", state, context)

        def after_traffic_change(self, state, context):
            return self._record("after_traffic_change", state, context)

        def after_warm(self, state, revision_id, context):
            return self._record("after_warm", state, context, revision_id)

        def after_drain(self, state, revision_id, context):
            if (context.greentic_home / "refuse-drain").exists():
                raise GreenticError(f"revision {revision_id}: the recorder refuses to drain")
            return self._record("after_drain", state, context, revision_id)

        def after_stop(self, state, revision_id, context):
            return self._record("after_stop", state, context, revision_id)


    DESCRIPTOR = "hookcloud.deployer.recorder"
    TARGET = Target(descriptor=DESCRIPTOR, compile=compile_plan, hooks=RecordingHooks())


    class Handler:
        slot = CapabilitySlot.DEPLOYER
        descriptor_path = DESCRIPTOR
        supported_versions = VersionReq.parse("^1")
        target_path = "hookcloud_deployer:TARGET"

        def preflight(self):
            return []
'''
FILES = {
    "hookcloud_deployer.py": PLUGIN,
    "hookcloud_deployer-1.0.0.dist-info/METADATA": (
        "Metadata-Version: 2.1\nName: hookcloud-deployer\nVersion: 1.0.0\n"
    ),
    "hookcloud_deployer-1.0.0.dist-info/entry_points.txt": (
        f"[greentic_iac.envpacks]\n{DESCRIPTOR} = hookcloud_deployer:Handler\n"
    ),
}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("site")
    for name, text in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    sys.path.insert(0, str(root))
    importlib.invalidate_caches()
    try:
        yield root
    finally:
        sys.path.remove(str(root))
        sys.modules.pop("hookcloud_deployer", None)
        importlib.invalidate_caches()


def _calls(home: Path) -> list[dict[str, Any]]:
    path = home / "hook-calls.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_the_verbs_call_the_plugins_hooks_with_their_bounds(
    installed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GREENTIC_GRANT", "hooked")
    home = tmp_path / "home"

    def call(*argv: str, payload: dict[str, Any] | None = None, code: int = 0) -> Any:
        extra: list[str] = []
        if payload is not None:
            path = tmp_path / f"answers-{len(list(tmp_path.iterdir()))}.json"
            path.write_text(json.dumps(payload), encoding="utf-8")
            extra = ["--answers", str(path)]
        outcome = run_cli(home, *argv, *extra)
        assert outcome.code == code, outcome.stdout + outcome.stderr
        return outcome

    environment = {
        "environment_id": "hooked",
        "tenant": {"tenant": "acme", "team": "payments"},
        "deployment": {"cloud": "other", "platform": "nomad"},
        "packs": [{"slot": "deployer", "kind": f"{DESCRIPTOR}@1.0.0"}],
    }
    call("env", "create", payload=environment)
    assert _calls(home) == []  # creating an environment is no lifecycle change
    deployment = call(
        "bundles",
        "add",
        payload={
            "environment_id": "hooked",
            "bundle_id": "shop",
            "route_binding": {"host": "shop.example.com", "path_prefix": "/"},
        },
    ).result["deployment_id"]
    revision = call(
        "revisions",
        "stage",
        payload={
            "environment_id": "hooked",
            "deployment_id": deployment,
            "bundle_digest": "sha256:" + "a" * 64,
        },
    ).result["revision_id"]
    # A pulumi-engine target: warm asks the (absent) health source, then the hooks hear it.
    warmed = call(
        "revisions",
        "warm",
        "--skip-health-check",
        payload={"environment_id": "hooked", "revision_id": revision},
    )
    assert warmed.result["lifecycle"] == "ready"
    assert warmed.result["runtime"] == {"recorded": "after_change"}
    assert "recorder: after_change" in warmed.stderr
    moved = call(
        "traffic",
        "set",
        payload={
            "environment_id": "hooked",
            "deployment_id": deployment,
            "entries": [{"revision_id": revision, "weight_bps": 10_000}],
        },
    )
    assert moved.result["runtime"] == {"recorded": "after_traffic_change"}
    revision_b = call(
        "revisions",
        "stage",
        payload={
            "environment_id": "hooked",
            "deployment_id": deployment,
            "bundle_digest": "sha256:" + "b" * 64,
        },
    ).result["revision_id"]
    call(
        "revisions",
        "warm",
        "--skip-health-check",
        payload={"environment_id": "hooked", "revision_id": revision_b},
    )
    drained = call(
        "revisions", "drain", payload={"environment_id": "hooked", "revision_id": revision_b}
    )
    assert drained.result["runtime"] == {"recorded": "after_drain"}
    stopped = call(
        "revisions", "deactivate", payload={"environment_id": "hooked", "revision_id": revision_b}
    )
    assert stopped.result["runtime"] == {"recorded": "after_stop"}

    calls = _calls(home)
    assert [(c["hook"], c["revision_id"]) for c in calls] == [
        ("after_change", None),
        ("after_traffic_change", None),
        ("after_change", None),
        ("after_drain", revision_b),
        ("after_stop", revision_b),
    ]
    # Each hook sees the state the verb wrote, and the verb's own time bound.
    generations = [c["generation"] for c in calls]
    assert generations == sorted(generations) and len(set(generations)) == len(generations)
    assert [c["timeout"] for c in calls] == [10.0, 15.0, 10.0, 30.0, 40.0]


def test_a_failing_hook_fails_the_verb_after_the_change(
    installed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GREENTIC_GRANT", "refused")
    home = tmp_path / "home"
    answers = tmp_path / "answers.json"

    def call(*argv: str, payload: dict[str, Any]) -> Any:
        answers.write_text(json.dumps(payload), encoding="utf-8")
        return run_cli(home, *argv, "--answers", str(answers))

    assert (
        call(
            "env",
            "create",
            payload={
                "environment_id": "refused",
                "tenant": {"tenant": "acme", "team": "payments"},
                "deployment": {"cloud": "other", "platform": "nomad"},
                "packs": [{"slot": "deployer", "kind": f"{DESCRIPTOR}@1.0.0"}],
            },
        ).code
        == 0
    )
    deployment = call(
        "bundles",
        "add",
        payload={
            "environment_id": "refused",
            "bundle_id": "shop",
            "route_binding": {"host": "shop.example.com", "path_prefix": "/"},
        },
    ).result["deployment_id"]
    revision = call(
        "revisions",
        "stage",
        payload={
            "environment_id": "refused",
            "deployment_id": deployment,
            "bundle_digest": "sha256:" + "c" * 64,
        },
    ).result["revision_id"]
    warm = {"environment_id": "refused", "revision_id": revision}
    assert call("revisions", "warm", "--skip-health-check", payload=warm).code == 0
    (home / "refuse-drain").touch()
    refused = call("revisions", "drain", payload=warm)
    assert refused.code == 1
    assert refused.json["error"]["message"] == (
        f"revision {revision}: the recorder refuses to drain"
    )
    # The drain itself was stored: the hook runs after the transaction.
    shown = run_cli(home, "revisions", "list", "refused")
    assert [r["lifecycle"] for r in shown.result["revisions"]] == ["draining"]

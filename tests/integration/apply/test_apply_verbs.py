"""up / destroy / drift / preview --engine pulumi through the real Automation API against a
fake ``pulumi`` executable that records its calls and plays back engine events."""

from __future__ import annotations

import argparse
import json
import stat
from pathlib import Path

import pytest

from greentic_iac.cli.context import Context, Rendered
from greentic_iac.operations.baseline import baseline_path, load_baseline
from greentic_iac.operations.planning import compile_environment
from greentic_iac.store import open_store
from tests.support.fake_kubectl import install_script

from .conftest import FakePulumi

pytestmark = pytest.mark.integration

ERROR_EVENT = {
    "diagnosticEvent": {
        "message": "kubernetes:apps/v1:Deployment resource 'web': the server refused: quota\n"
        "more detail on a second line",
        "color": "never",
        "severity": "error",
    }
}


def _audit(home: Path, environment: str) -> list[dict]:
    return [e.model_dump(mode="json") for e in open_store(home=home).audit_events(environment)]


def test_up_drives_the_automation_api_and_records_the_baseline(
    k8s_env: str, cli, fake: FakePulumi, home: Path
) -> None:
    outcome = cli("up", k8s_env, "--yes")
    assert outcome.code == 0, outcome.stderr

    # The commands, in order, against the stack named after the environment.
    argvs = [argv for argv in fake.argvs() if argv != ["version"]]
    assert [a[:2] for a in argvs] == [
        ["stack", "select"],
        ["stack", "init"],
        ["config", "--show-secrets"],
        ["config", "set-all"],
        ["up", "--yes"],
        ["stack", "output"],
        ["stack", "output"],
        ["stack", "history"],
    ]
    assert argvs[1][2] == k8s_env
    assert argvs[1][argvs[1].index("--secrets-provider") + 1] == "passphrase"
    assert all(a[a.index("--stack") + 1] == k8s_env for a in argvs if "--stack" in a)
    config = fake.stacks()[k8s_env]["config"]
    assert config["greentic:environment"] == k8s_env
    # No path of this machine in the stack config: the store travels as GREENTIC_HOME.
    assert "greentic:home" not in config
    assert config["kubernetes:context"] == "zain-prod-eks"
    assert "--event-log" in argvs[4]

    # The default backend and passphrase file, handed over as a path, never as a value.
    up_call = next(c for c in fake.calls() if c["argv"][:1] == ["up"])
    assert up_call["env"]["GREENTIC_HOME"] == str(home.resolve())
    assert up_call["env"]["PULUMI_BACKEND_URL"] == f"file://{(home / 'pulumi-state').resolve()}"
    assert (home / "pulumi-state").is_dir()
    passphrase_file = Path(up_call["env"]["PULUMI_CONFIG_PASSPHRASE_FILE"])
    assert passphrase_file == home / "secrets" / "pulumi-passphrase"
    assert stat.S_IMODE(passphrase_file.stat().st_mode) == 0o600
    assert not up_call["passphrase_set"]
    passphrase = passphrase_file.read_text().strip()
    assert len(passphrase) >= 32
    assert passphrase not in outcome.stdout + outcome.stderr + fake.log.read_text()
    assert up_call["cwd"] == str(Path(__file__).resolve().parents[3])

    # Progress on stderr, the summary on stdout.
    assert "pulumi up: started" in outcome.stderr
    assert "+ create   kubernetes:apps/v1:Deployment  web" in outcome.stderr
    result = outcome.json["result"]
    assert result["operation"] == "up" and result["environment_id"] == k8s_env
    assert result["changes"] == {"create": 1, "same": 2}
    assert result["outputs"] == {}
    assert result["duration_s"] >= 0
    # pulumi and kubectl for the deployer, two kubectl-can-i probes, the namespace probe
    # (owned: absent is fine, the stack creates it), kubectl for the k8s secrets pack.
    assert result["preflight"] == {"failed_checks": 0, "total_checks": 6}

    # The preflight asked about the namespace the k8s target will use:
    # greentic-<tenant>-<env>.
    kubectl_calls = [json.loads(line) for line in fake.kubectl_log.read_text().splitlines()]
    can_i = [c for c in kubectl_calls if c[:2] == ["auth", "can-i"]]
    assert len(can_i) == 2
    assert all(c[c.index("-n") + 1] == "greentic-acme-zain-prod" for c in can_i)
    assert next(c[:5] for c in kubectl_calls if c[:2] == ["get", "namespace"]) == [
        "get",
        "namespace",
        "greentic-acme-zain-prod",
        "-o",
        "name",
    ]

    # The applied plan is the new baseline; the up is audited.
    state = open_store(home=home).load(k8s_env)
    baseline = load_baseline(home, k8s_env)
    assert baseline is not None
    assert baseline.content_hash() == compile_environment(state).content_hash()
    assert result["baseline"]["content_hash"] == baseline.content_hash()
    events = [e for e in _audit(home, k8s_env) if e["verb"] == "up"]
    assert events[-1]["outcome"] == "ok" and events[-1]["result"]["changes"]["create"] == 1


def test_a_second_up_selects_the_existing_stack_and_reuses_the_passphrase(
    k8s_env: str, cli, fake: FakePulumi, home: Path
) -> None:
    assert cli("up", k8s_env, "--yes").code == 0
    first = (home / "secrets" / "pulumi-passphrase").read_text()
    fake.log.unlink()
    assert cli("up", k8s_env, "--yes").code == 0
    commands = [a[:2] for a in fake.argvs() if a != ["version"]]
    assert ["stack", "init"] not in commands
    # The stack config already says what the run needs: the stack file is not rewritten.
    assert ["config", "set-all"] not in commands
    assert (home / "secrets" / "pulumi-passphrase").read_text() == first


def test_up_drops_the_absolute_home_older_versions_wrote_and_refuses_another_store(
    k8s_env: str, cli, fake: FakePulumi, home: Path, tmp_path: Path
) -> None:
    assert cli("up", k8s_env, "--yes").code == 0
    state = json.loads(fake.state.read_text())
    state["stacks"][k8s_env]["config"]["greentic:home"] = str(home.resolve())
    fake.state.write_text(json.dumps(state))
    assert cli("up", k8s_env, "--yes").code == 0
    assert "greentic:home" not in fake.stacks()[k8s_env]["config"]
    assert ["config", "rm", "greentic:home"] in [a[:3] for a in fake.argvs()]

    elsewhere = tmp_path / "another-home"
    state = json.loads(fake.state.read_text())
    state["stacks"][k8s_env]["config"]["greentic:home"] = str(elsewhere)
    fake.state.write_text(json.dumps(state))
    fake.log.unlink()
    refused = cli("up", k8s_env, "--yes")
    assert refused.code == 2
    assert "greentic:home" in refused.stderr and str(elsewhere) in refused.stderr
    assert not any(a[:1] == ["up"] for a in fake.argvs())


def test_secret_outputs_are_masked(k8s_env: str, cli, fake: FakePulumi) -> None:
    fake.scenario(outputs={"url": "http://lb", "token": "s3cr3t-value"}, secret_outputs=["token"])
    outcome = cli("up", k8s_env, "--yes")
    assert outcome.code == 0, outcome.stderr
    assert outcome.json["result"]["outputs"] == {"token": "[secret]", "url": "http://lb"}
    assert "s3cr3t-value" not in outcome.stdout + outcome.stderr


def test_a_failed_up_is_one_line_and_keeps_the_previous_baseline(
    k8s_env: str, cli, fake: FakePulumi, home: Path
) -> None:
    fake.scenario(
        up={
            "events": [{"preludeEvent": {"config": {}}}, ERROR_EVENT],
            "stderr": "error: update failed",
            "exit": 255,
        }
    )
    outcome = cli("up", k8s_env, "--yes")
    assert outcome.code == 1
    first = outcome.stderr.splitlines()
    message = "pulumi up failed for zain-prod: kubernetes:apps/v1:Deployment resource 'web'"
    assert any(line.startswith(f"error: {message}") for line in first)
    assert (
        "Traceback" not in outcome.stderr and "more detail" not in outcome.json["error"]["message"]
    )
    assert outcome.json["error"]["exit_code"] == 1
    assert not baseline_path(home, k8s_env).exists()
    events = [e for e in _audit(home, k8s_env) if e["verb"] == "up"]
    assert events[-1]["outcome"] == "error"


def test_the_cli_error_line_is_used_without_an_error_event(k8s_env: str, cli, fake) -> None:
    fake.scenario(up={"events": [], "stderr": "error: the stack is locked by someone", "exit": 255})
    outcome = cli("up", k8s_env, "--yes")
    assert outcome.code == 1
    assert outcome.json["error"]["message"] == (
        "pulumi up failed for zain-prod: the stack is locked by someone"
    )


def test_destroy_removes_the_baseline(k8s_env: str, cli, fake: FakePulumi, home: Path) -> None:
    assert cli("up", k8s_env, "--yes").code == 0
    assert baseline_path(home, k8s_env).is_file()
    fake.scenario(
        destroy={"events": [{"summaryEvent": {"resourceChanges": {"delete": 3}}}]},
    )
    outcome = cli("destroy", k8s_env, "--yes")
    assert outcome.code == 0, outcome.stderr
    assert outcome.json["result"]["changes"] == {"delete": 3}
    assert outcome.json["result"]["baseline_removed"] is True
    assert not baseline_path(home, k8s_env).exists()
    destroy_argv = next(a for a in fake.argvs() if a[:1] == ["destroy"])
    assert "--skip-preview" in destroy_argv and "--yes" in destroy_argv


def test_drift_is_preview_only_and_exits_5_with_detailed_exitcode(
    k8s_env: str, cli, fake: FakePulumi, home: Path
) -> None:
    fake.scenario(
        refresh={"events": [{"summaryEvent": {"resourceChanges": {"update": 1, "same": 3}}}]}
    )
    outcome = cli("drift", k8s_env, "--detailed-exitcode")
    assert outcome.code == 5, outcome.stderr
    result = outcome.json["result"]
    assert result["drift"] is True and result["changes"] == {"same": 3, "update": 1}
    refresh = next(a for a in fake.argvs() if a[:1] == ["refresh"])
    assert refresh[1] == "--preview-only" and "--yes" not in refresh
    # Without the flag, drift found is still exit 0; nothing was recorded as applied.
    assert cli("drift", k8s_env).code == 0
    assert not baseline_path(home, k8s_env).exists()


def test_no_drift_exits_0_with_detailed_exitcode(k8s_env: str, cli, fake: FakePulumi) -> None:
    fake.scenario(refresh={"events": [{"summaryEvent": {"resourceChanges": {"same": 4}}}]})
    outcome = cli("drift", k8s_env, "--detailed-exitcode")
    assert outcome.code == 0
    assert outcome.json["result"]["drift"] is False


def _preview_ctx(home: Path, environment: str, **args: object) -> Context:
    values: dict[str, object] = {
        "environment_id": environment,
        "skip_preflight": False,
        "detailed_exitcode": False,
        "format": None,
    }
    namespace = argparse.Namespace(**{**values, **args})
    return Context(home=home, store_url=None, output="json", debug=False, args=namespace)


def test_pulumi_preview_summarises_and_honours_detailed_exitcode(
    k8s_env: str, fake: FakePulumi, home: Path
) -> None:
    from greentic_iac.cli.commands.apply import pulumi_preview

    result = pulumi_preview(_preview_ctx(home, k8s_env))
    assert isinstance(result, dict) and result["operation"] == "preview"
    assert result["changes"] == {"create": 1, "same": 2}
    assert any(a[:1] == ["preview"] for a in fake.argvs())

    rendered = pulumi_preview(_preview_ctx(home, k8s_env, detailed_exitcode=True))
    assert isinstance(rendered, Rendered) and rendered.exit_code == 5
    assert rendered.result is not None and rendered.result["changes"]["create"] == 1

    text = pulumi_preview(_preview_ctx(home, k8s_env, format="text"))
    assert isinstance(text, Rendered)
    assert text.text.startswith("pulumi preview of zain-prod: 1 to create")
    assert not baseline_path(home, k8s_env).exists()


def test_the_gate_stops_everything_when_pulumi_is_missing(
    k8s_env: str, cli, fake: FakePulumi, home: Path, tmp_path: Path, monkeypatch
) -> None:
    only_kubectl = tmp_path / "only-kubectl"
    only_kubectl.mkdir()
    install_script(
        only_kubectl, "kubectl", (fake.bin_dir / "kubectl").read_text().split("\n", 1)[1]
    )
    monkeypatch.setenv("PATH", str(only_kubectl))
    store = open_store(home=home)
    generation = store.load(k8s_env).generation
    for verb in (["up"], ["destroy"], ["drift", "--detailed-exitcode"]):
        outcome = cli(*verb[:1], k8s_env, *verb[1:])
        assert outcome.code == 3, (verb, outcome.stderr)
        assert outcome.stderr.startswith("error: preflight failed:")
        assert "tool:pulumi" in outcome.stderr
        assert "install pulumi" in outcome.stderr and "get.pulumi.com" in outcome.stderr
    assert fake.calls() == []
    assert store.load(k8s_env).generation == generation
    assert not baseline_path(home, k8s_env).exists()
    assert not (home / "pulumi-state").exists()


def test_skip_preflight_is_audited(k8s_env: str, cli, fake: FakePulumi, home: Path) -> None:
    outcome = cli("up", k8s_env, "--yes", "--skip-preflight")
    assert outcome.code == 0, outcome.stderr
    assert outcome.json["result"]["preflight"] is None
    assert not fake.kubectl_log.exists()  # no preflight ran
    skipped = [e for e in _audit(home, k8s_env) if (e["result"] or {}).get("skip_preflight")]
    assert [e["verb"] for e in skipped] == ["up"]


def test_skip_preflight_without_pulumi_fails_in_one_line(
    k8s_env: str, cli, tmp_path: Path, monkeypatch
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    outcome = cli("up", k8s_env, "--yes", "--skip-preflight")
    assert outcome.code == 1
    assert outcome.json["error"]["message"].startswith("pulumi up: the pulumi CLI is not on PATH")
    assert "Traceback" not in outcome.stderr


@pytest.mark.parametrize("verb", ["up", "destroy", "drift"])
def test_the_local_environment_is_refused(verb: str, cli, fake: FakePulumi) -> None:
    assert cli("env", "init", "local").code == 0
    outcome = cli(verb, "local")
    assert outcome.code == 2
    assert "local up local" in outcome.json["error"]["message"]
    assert fake.calls() == []

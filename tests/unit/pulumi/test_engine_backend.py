"""The engine's pure parts: backend resolution, the passphrase file, event lines, errors."""

from __future__ import annotations

import re
import stat
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from greentic_iac.errors import InvalidInputError
from greentic_iac.pulumi.backend import ensure_passphrase_file, resolve_backend
from greentic_iac.pulumi.engine import EngineResult, engine_error_message
from greentic_iac.pulumi.events import EventCollector


def test_default_backend_is_a_file_backend_under_home_with_a_passphrase_file(
    tmp_path: Path,
) -> None:
    backend = resolve_backend(tmp_path, {}, environ={})
    assert backend.url == f"file://{(tmp_path / 'pulumi-state').resolve()}"
    assert backend.source == "default" and backend.secrets_provider == "passphrase"
    assert (tmp_path / "pulumi-state").is_dir()
    path = Path(backend.env_vars["PULUMI_CONFIG_PASSPHRASE_FILE"])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert path.read_text().strip() not in repr(backend) + str(backend.describe())


def test_environment_config_wins_over_the_variable_which_wins_over_the_default(
    tmp_path: Path,
) -> None:
    environ = {"PULUMI_BACKEND_URL": "s3://from-env/state"}
    from_env = resolve_backend(tmp_path, {}, environ=environ)
    assert (from_env.url, from_env.source) == ("s3://from-env/state", "PULUMI_BACKEND_URL")
    # Not a file backend: Pulumi's own secrets default, no passphrase file.
    assert from_env.secrets_provider is None
    assert "PULUMI_CONFIG_PASSPHRASE_FILE" not in from_env.env_vars
    assert not (tmp_path / "secrets").exists()

    config = {"pulumi.backend_url": "gs://per-env", "pulumi.secrets_provider": "gcpkms://k"}
    per_env = resolve_backend(tmp_path, config, environ=environ)
    assert (per_env.url, per_env.source) == ("gs://per-env", "environment config")
    assert per_env.secrets_provider == "gcpkms://k"
    assert per_env.env_vars["PULUMI_BACKEND_URL"] == "gs://per-env"


def test_a_caller_passphrase_is_used_as_is(tmp_path: Path) -> None:
    backend = resolve_backend(tmp_path, {}, environ={"PULUMI_CONFIG_PASSPHRASE": "x"})
    assert backend.secrets_provider == "passphrase"
    assert "PULUMI_CONFIG_PASSPHRASE_FILE" not in backend.env_vars
    assert "x" not in backend.env_vars.values()
    assert not (tmp_path / "secrets").exists()


def test_a_bad_backend_url_names_where_it_came_from(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match=r"^config pulumi\.backend_url: 'ftp://x'"):
        resolve_backend(tmp_path, {"pulumi.backend_url": "ftp://x"}, environ={})
    with pytest.raises(InvalidInputError, match=r"^PULUMI_BACKEND_URL: "):
        resolve_backend(tmp_path, {}, environ={"PULUMI_BACKEND_URL": "/just/a/path"})


def test_the_passphrase_is_generated_once_and_a_loose_mode_is_tightened(tmp_path: Path) -> None:
    first = ensure_passphrase_file(tmp_path)
    value = first.read_text()
    first.chmod(0o644)
    again = ensure_passphrase_file(tmp_path)
    assert again == first and again.read_text() == value
    assert stat.S_IMODE(again.stat().st_mode) == 0o600
    first.write_text("")
    with pytest.raises(InvalidInputError, match="passphrase file is empty"):
        ensure_passphrase_file(tmp_path)


def _event(**fields: object) -> SimpleNamespace:
    names = ("prelude_event", "resource_pre_event", "res_op_failed_event", "diagnostic_event")
    return SimpleNamespace(**{**dict.fromkeys((*names, "summary_event")), **fields})


def test_the_collector_prints_steps_and_keeps_the_first_error_and_the_summary() -> None:
    lines: list[str] = []
    collector = EventCollector("up", lines.append)
    step = SimpleNamespace(
        metadata=SimpleNamespace(op="create", type="aws:lb/listener:Listener", urn="u::web")
    )
    same = SimpleNamespace(metadata=SimpleNamespace(op="same", type="t", urn="u::quiet"))
    collector(_event(prelude_event=object()))
    collector(_event(resource_pre_event=step))
    collector(_event(resource_pre_event=same))
    collector(_event(diagnostic_event=SimpleNamespace(severity="warning", message="meh")))
    collector(_event(diagnostic_event=SimpleNamespace(severity="error", message="\nfirst\nx")))
    collector(_event(diagnostic_event=SimpleNamespace(severity="error", message="second")))
    collector(_event(summary_event=SimpleNamespace(resource_changes={"create": 1, "same": 1})))
    assert lines[0] == "pulumi up: started"
    # Each step carries the running count and the elapsed time.
    steps = [line for line in lines if line.startswith("  + create ")]
    assert len(steps) == 1
    assert re.fullmatch(r"  \+ create   aws:lb/listener:Listener  web  \[1 · \d+\.\ds\]", steps[0])
    assert not any("quiet" in line or "meh" in line for line in lines)
    assert collector.first_error == "first"
    assert collector.changes == {"create": 1, "same": 1}
    assert re.fullmatch(r"pulumi up: done \(create 1, same 1\); 1 step in \d+\.\ds", lines[-1])


def test_engine_error_message_prefers_events_then_error_lines() -> None:
    quiet = EventCollector("up", lambda _: None)
    text = "\n code: 255\n stdout: Updating...\n stderr: warning: x\nerror: backend locked\n"
    assert engine_error_message(Exception(text), quiet) == "backend locked"
    assert engine_error_message(Exception("\n code: 1\n stdout: \n stderr: boom"), quiet) == "boom"
    quiet.first_error = "from the engine"
    assert engine_error_message(Exception(text), quiet) == "from the engine"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [({"same": 3}, False), ({}, False), ({"same": 2, "update": 1}, True), ({"delete": 1}, True)],
)
def test_has_changes_ignores_unchanged_steps(changes: dict[str, int], expected: bool) -> None:
    result = EngineResult("e", "drift", changes, {}, 0.1)
    assert result.has_changes is expected
    assert result.to_dict()["changes"] == dict(sorted(changes.items()))


def test_outside_a_checkout_the_project_lives_under_the_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from greentic_iac.pulumi import engine, project

    # As from a wheel: the packaged data directory holds Pulumi.yaml but no program source.
    data = tmp_path / "_data"
    data.mkdir()
    (data / "Pulumi.yaml").write_text(
        "name: greentic-iac\nruntime:\n  name: python\nmain: greentic_iac/program/\n"
        "stackConfigDir: stacks\n"
    )
    monkeypatch.setattr("greentic_iac.resources.project_dir", lambda: data)
    home = tmp_path / "home"
    work_dir = engine.default_work_dir(home)
    assert work_dir == home / "pulumi" / "project"
    written = yaml.safe_load((work_dir / "Pulumi.yaml").read_text())
    assert "main" not in written and written["stackConfigDir"] == "stacks"
    assert (work_dir / "__main__.py").read_text() == project.PROGRAM_SHIM
    # A second call keeps the project as it is (a user may have edited it).
    (work_dir / "Pulumi.yaml").write_text("name: edited\n")
    assert engine.default_work_dir(home) == work_dir
    assert (work_dir / "Pulumi.yaml").read_text() == "name: edited\n"


def test_in_the_checkout_the_project_is_the_checkout() -> None:
    from greentic_iac.pulumi import engine
    from greentic_iac.resources import project_dir

    assert engine.default_work_dir(Path("/nonexistent-home")) == project_dir()

"""The health source against a real (fake) ``gcloud`` on PATH: what ``gcloud run services
describe`` says about a revision's service, each call bounded in time; and ``revisions
warm`` using it through the CLI."""

from __future__ import annotations

import json
import stat
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from greentic_iac_gcp.health import cloud_run_health_source
from greentic_iac_gcp.naming import service_name

from greentic_iac.plan.target import TargetContext

from .cases import CASES, revision_id
from .cli_walk import ENVIRONMENT, Walk

STATE = CASES["https-redirect-secrets"]()
SERVING = revision_id(1, 1)  # ready, min_instances 2
WARMING = revision_id(1, 2)  # warming, min_instances 0 (a revision override)


def _describe(ready: str = "True", latest: str = "x-00001", serving: str = "x-00001") -> dict:
    return {
        "status": {
            "conditions": [
                {"type": "Ready", "status": ready, "message": "Revision x-00001 failed"},
            ],
            "latestCreatedRevisionName": latest,
            "latestReadyRevisionName": serving,
        }
    }


def _fake_gcloud(directory: Path, body: Any, *, code: int = 0, sleep: float = 0.0) -> Path:
    """A gcloud that records its argv and prints ``body`` for `run services describe`."""
    directory.mkdir(parents=True, exist_ok=True)
    script = directory / "gcloud"
    log = directory / "argv.jsonl"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, sys, time\n"
        f"open({str(log)!r}, 'a').write(json.dumps(sys.argv[1:]) + '\\n')\n"
        f"time.sleep({sleep})\n"
        f"sys.stdout.write({json.dumps(body) if not isinstance(body, str) else body!r})\n"
        f"sys.stderr.write('ERROR: (gcloud.run.services.describe) NOT_FOUND' if {code} else '')\n"
        f"sys.exit({code})\n",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return directory


def _health(tmp_path: Path, bin_dir: Path, revision: str, timeout: float = 10.0):  # type: ignore[no-untyped-def]
    context = TargetContext(
        greentic_home=tmp_path, timeout=timeout, options={"env": {"PATH": str(bin_dir)}}
    )
    return cloud_run_health_source(STATE, context).revision_health(revision)


def test_a_ready_service_is_healthy_and_the_call_names_the_service(tmp_path: Path) -> None:
    bin_dir = _fake_gcloud(tmp_path / "bin", json.dumps(_describe()))
    health = _health(tmp_path, bin_dir, SERVING)
    assert health.healthy, health.message
    assert (health.ready_replicas, health.desired_replicas) == (2, 2)
    [argv] = [json.loads(line) for line in (bin_dir / "argv.jsonl").read_text().splitlines()]
    assert argv == [
        "run",
        "services",
        "describe",
        service_name("prod-gcp", SERVING),
        "--region=europe-west1",
        "--project=acme-prod-123",
        "--format=json",
    ]


@pytest.mark.parametrize(
    ("body", "code", "expected"),
    [
        (json.dumps(_describe(ready="False")), 0, "failed"),
        (json.dumps(_describe(latest="x-00002")), 0, "newest revision x-00002 is not ready"),
        ("", 1, "NOT_FOUND"),
        ("not json", 0, "printed no JSON"),
        (json.dumps({"status": {}}), 0, "not ready"),
    ],
)
def test_anything_but_a_ready_newest_revision_is_unhealthy(
    tmp_path: Path, body: str, code: int, expected: str
) -> None:
    health = _health(tmp_path, _fake_gcloud(tmp_path / "bin", body, code=code), SERVING)
    assert not health.healthy and health.ready_replicas == 0
    assert expected in health.message


def test_a_hanging_gcloud_costs_at_most_the_timeout(tmp_path: Path) -> None:
    bin_dir = _fake_gcloud(tmp_path / "bin", json.dumps(_describe()), sleep=30)
    started = time.monotonic()
    health = _health(tmp_path, bin_dir, SERVING, timeout=1.0)
    assert time.monotonic() - started < 5
    assert not health.healthy and "longer than 1s" in health.message


def test_no_gcloud_is_unhealthy_with_the_install_hint(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    health = _health(tmp_path, empty, WARMING)
    assert not health.healthy and "gcloud not found on PATH" in health.message
    assert health.desired_replicas == 0  # the revision's own min_instances override


def test_revisions_warm_checks_the_service_through_the_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GREENTIC_GRANT", ENVIRONMENT)
    walk = Walk(tmp_path / "walk")
    walk.create()
    deployment = walk.add_bundle()
    revision = walk.stage(deployment, "a")

    not_applied = _fake_gcloud(tmp_path / "missing", "", code=1)
    monkeypatch.setenv("PATH", f"{not_applied}:/usr/bin:/bin")
    outcome = walk.run(
        "revisions", "warm", payload={"environment_id": ENVIRONMENT, "revision_id": revision}
    )
    assert outcome.code == 0, outcome.stderr
    assert outcome.result["lifecycle"] == "warming"  # not healthy yet: it stays warming
    assert "NOT_FOUND" in json.dumps(outcome.result["warm"])

    ready = _fake_gcloud(tmp_path / "ready", json.dumps(_describe()))
    monkeypatch.setenv("PATH", f"{ready}:/usr/bin:/bin")
    warmed = walk.ok(
        "revisions", "warm", payload={"environment_id": ENVIRONMENT, "revision_id": revision}
    )
    assert warmed["lifecycle"] == "ready"
    assert warmed["warm"]["health_checked"] is True

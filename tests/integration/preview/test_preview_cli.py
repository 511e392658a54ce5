"""``greentic-iac preview`` end to end through ``greentic_iac.cli.main.run`` on a temp home.

The sample environments from examples/ get two revisions at 100/0 (recorded as applied)
and then 90/10, exactly as ``make demo`` does.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from greentic_iac.cli.main import run
from greentic_iac.demo_preview import cli_json, granted, prepare_sample
from greentic_iac.operations.baseline import baseline_path

pytestmark = pytest.mark.integration


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    with granted("prod-eu", "zain-prod"):
        yield tmp_path / "home"


def _preview(home: Path, *args: str) -> int:
    return run(["--home", str(home), "preview", *args])


def test_traffic_shift_preview_in_every_format(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prepare_sample(home, "k8s", "zain-prod")
    capsys.readouterr()
    assert _preview(home, "zain-prod", "--format", "json") == 0
    document = json.loads(capsys.readouterr().out)
    assert document["baseline"]["source"] == "applied"
    assert [r["type"].rsplit(":", 1)[1] for r in document["resources"]] == ["HTTPRoute"]
    [deployment] = document["traffic"]
    assert [(r["before_bps"], r["after_bps"]) for r in deployment["revisions"]] == [
        (10_000, 9_000),
        (0, 1_000),
    ]
    assert _preview(home, "zain-prod", "--format", "text") == 0
    out = capsys.readouterr().out
    assert "100.00% ->  90.00%" in out and "\x1b[" not in out
    assert _preview(home, "zain-prod", "--format", "markdown") == 0
    assert "<!-- greentic-preview:zain-prod -->" in capsys.readouterr().out


def test_detailed_exitcode(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    prepare_sample(home, "aws-ecs", "prod-eu")
    assert _preview(home, "prod-eu", "--detailed-exitcode") == 5
    assert _preview(home, "prod-eu") == 0
    # Against the plan it would apply now: nothing changes.
    capsys.readouterr()
    assert run(["--home", str(home), "plan", "prod-eu", "--out", str(home / "now.json")]) == 0
    assert (
        _preview(home, "prod-eu", "--against", str(home / "now.json"), "--detailed-exitcode") == 0
    )


def test_policy_refusal_prints_the_report_and_one_error_line(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = prepare_sample(home, "aws-ecs", "prod-eu")  # max_step_bps 5000 in the example
    cli_json(
        home,
        ["traffic", "set"],
        {
            "environment_id": "prod-eu",
            "deployment_id": ids["deployment_id"],
            "idempotency_key": "jump",
            # `traffic set` has the same gate; the state moves, the baseline stays at 100/0.
            "override_policy": True,
            "entries": [
                {"revision_id": ids["first"], "weight_percent": 20},
                {"revision_id": ids["second"], "weight_percent": 80},
            ],
        },
    )
    capsys.readouterr()
    before = sorted(p.name for p in (home / "environments" / "prod-eu").iterdir())
    assert _preview(home, "prod-eu", "--format", "text") == 2
    captured = capsys.readouterr()
    assert "max-step" in captured.out and "REFUSED" in captured.out
    [line] = captured.err.splitlines()
    assert line.startswith("error: preview refused: policy max-step:")
    assert sorted(p.name for p in (home / "environments" / "prod-eu").iterdir()) == before

    assert _preview(home, "prod-eu", "--override-policy", "--format", "json") == 0
    document = json.loads(capsys.readouterr().out)
    assert document["policy"]["overridden"] is True and document["refused"] is False
    events = cli_json(home, ["audit", "list", "prod-eu", "--limit", "1"])
    text = json.dumps(events)
    assert '"override_policy": true' in text and "max-step" in text


def test_out_writes_the_report_and_prints_a_summary(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prepare_sample(home, "k8s", "zain-prod")
    capsys.readouterr()
    out = home / "preview.md"
    code = run(
        ["--home", str(home), "--output", "json", "preview", "zain-prod", "--format", "markdown",
         "--out", str(out), "--detailed-exitcode"]
    )  # fmt: skip
    assert code == 5
    envelope = json.loads(capsys.readouterr().out)
    assert envelope["result"]["out"] == str(out) and envelope["result"]["changed"] is True
    assert out.read_text().startswith("<!-- greentic-preview:zain-prod -->")


def test_never_applied_environment_previews_creates(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prepare_sample(home, "k8s", "zain-prod")
    baseline_path(home, "zain-prod").unlink()
    capsys.readouterr()
    assert _preview(home, "zain-prod", "--format", "json") == 0
    document = json.loads(capsys.readouterr().out)
    assert document["baseline"] == {"source": "empty", "path": None, "content_hash": None}
    assert {r["action"] for r in document["resources"]} == {"create"}


def test_bad_against_file_is_one_line_exit_2(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prepare_sample(home, "k8s", "zain-prod")
    capsys.readouterr()
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    assert _preview(home, "zain-prod", "--against", str(bad)) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert "bad.json" in line

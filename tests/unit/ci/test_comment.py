"""The comment upsert against a local stand-in of the GitHub and GitLab APIs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from greentic_iac.ci.comment import GITHUB_MAX_BODY, comment_body, main, marker

pytestmark = pytest.mark.integration  # starts an HTTP server on 127.0.0.1

TOKEN = "not-a-real-token-for-tests"  # the fake server checks for it


def github_environ(forge: Any) -> dict[str, str]:
    return {
        "GITHUB_API_URL": forge.url,
        "GITHUB_REPOSITORY": "acme/infra",
        "GITHUB_TOKEN": TOKEN,
    }


def gitlab_environ(forge: Any) -> dict[str, str]:
    return {
        "CI_API_V4_URL": f"{forge.url}/api/v4",
        "CI_PROJECT_ID": "42",
        "CI_MERGE_REQUEST_IID": "7",
        "GREENTIC_GITLAB_TOKEN": TOKEN,
    }


def run_github(forge: Any, tmp_path: Path, environment: str, text: str, *extra: str) -> int:
    body = tmp_path / f"preview-{environment}.md"
    body.write_text(text)
    argv = [
        "github",
        "--environment",
        environment,
        "--pull-request",
        "12",
        "--body-file",
        str(body),
    ]
    return main([*argv, *extra], environ=github_environ(forge))


def test_a_second_run_patches_the_first_comment_instead_of_posting(
    forge: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    forge.add("LGTM")  # someone else's comment, untouched
    assert run_github(forge, tmp_path, "prod-eu", "## first preview\n") == 0
    first = json.loads(capsys.readouterr().out)
    assert first["action"] == "created"
    assert run_github(forge, tmp_path, "prod-eu", "## second preview\n") == 0
    second = json.loads(capsys.readouterr().out)

    assert second == {"environment_id": "prod-eu", "action": "updated", "id": first["id"]}
    assert [m for m in forge.methods() if m != "GET"] == ["POST", "PATCH"]
    assert len(forge.comments) == 2
    ours = next(c for c in forge.comments if c["id"] == first["id"])
    assert ours["body"].startswith(marker("prod-eu"))
    assert "second preview" in ours["body"] and "first preview" not in ours["body"]
    assert forge.comments[0]["body"] == "LGTM"
    patch = next(r for r in forge.requests if r[0] == "PATCH")
    assert patch[1] == f"/repos/acme/infra/issues/comments/{first['id']}"


def test_each_environment_keeps_its_own_comment(forge: Any, tmp_path: Path) -> None:
    for _ in range(2):
        assert run_github(forge, tmp_path, "prod-eu", "eu\n") == 0
        assert run_github(forge, tmp_path, "prod-us", "us\n") == 0
    assert [m for m in forge.methods() if m != "GET"] == ["POST", "POST", "PATCH", "PATCH"]
    assert len(forge.comments) == 2
    # `prod-eu`'s marker must not match `prod-eu-2`: the marker closes with ` -->`.
    assert run_github(forge, tmp_path, "prod-eu-2", "eu2\n") == 0
    assert len(forge.comments) == 3


def test_the_marker_is_found_past_the_first_page(forge: Any, tmp_path: Path) -> None:
    for number in range(250):
        forge.add(f"chatter {number}")
    existing = forge.add(marker("prod-eu") + "\nold\n")
    assert run_github(forge, tmp_path, "prod-eu", "new\n") == 0
    pages = [path for method, path, _, _ in forge.requests if method == "GET"]
    assert len(pages) == 3 and "page=3" in pages[-1]
    assert forge.methods()[-1] == "PATCH"
    assert next(c for c in forge.comments if c["id"] == existing)["body"].endswith("new\n")


def test_the_token_goes_in_a_header_and_never_in_output(
    forge: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    forge.fail_with = 403
    assert run_github(forge, tmp_path, "prod-eu", "x\n") == 1
    captured = capsys.readouterr()
    assert TOKEN not in captured.out + captured.err
    assert captured.err.startswith("error: GET ") and "HTTP 403" in captured.err
    assert captured.err.count("\n") == 1
    headers = forge.requests[0][2]
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in forge.requests[0][1]


def test_extra_details_are_appended_collapsed_and_missing_ones_skipped(
    forge: Any, tmp_path: Path
) -> None:
    pulumi = tmp_path / "pulumi.txt"
    pulumi.write_text("Previewing update (prod-eu)\n ~ 1 to update\n")
    assert (
        run_github(
            forge,
            tmp_path,
            "prod-eu",
            "## preview\n",
            "--details",
            "pulumi preview",
            str(pulumi),
            "--details",
            "tool check",
            str(tmp_path / "absent.txt"),
        )
        == 0
    )
    body = forge.comments[0]["body"]
    assert "<details><summary>pulumi preview</summary>" in body
    assert "~ 1 to update" in body
    assert "tool check" not in body


def test_gitlab_updates_its_note_with_put(forge: Any, tmp_path: Path) -> None:
    forge.add("merged 1 commit", system=True)
    body = tmp_path / "preview.md"
    argv = ["gitlab", "--environment", "prod-eu", "--body-file", str(body)]
    body.write_text("first\n")
    assert main(argv, environ=gitlab_environ(forge)) == 0
    body.write_text("second\n")
    assert main(argv, environ=gitlab_environ(forge)) == 0
    assert [m for m in forge.methods() if m != "GET"] == ["POST", "PUT"]
    put = next(r for r in forge.requests if r[0] == "PUT")
    assert put[1].startswith("/api/v4/projects/42/merge_requests/7/notes/")
    assert put[2]["Private-Token"] == TOKEN
    assert forge.comments[1]["body"].endswith("second\n")


def test_missing_ci_variables_are_named(
    forge: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = tmp_path / "preview.md"
    body.write_text("x\n")
    argv = ["gitlab", "--environment", "prod-eu", "--body-file", str(body)]
    environ = gitlab_environ(forge)
    del environ["GREENTIC_GITLAB_TOKEN"]
    assert main(argv, environ=environ) == 2
    assert capsys.readouterr().err.startswith("error: $GREENTIC_GITLAB_TOKEN:")
    assert forge.requests == []


def test_a_body_over_the_limit_is_trimmed_on_a_line_with_a_note() -> None:
    preview = "".join(f"| row {number} | {'x' * 80} |\n" for number in range(2000))
    body = comment_body("prod-eu", preview, max_body=GITHUB_MAX_BODY)
    assert len(body) <= GITHUB_MAX_BODY
    assert body.startswith(marker("prod-eu"))
    assert "trimmed" in body.splitlines()[-1]
    assert all(line.endswith("|") for line in body.splitlines()[2:-2] if line)

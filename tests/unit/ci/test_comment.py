"""The comment upsert against a local stand-in of the GitHub and GitLab APIs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from greentic_iac.ci.comment import (
    GITHUB_MAX_BODY,
    CommentApiError,
    GitHubComments,
    RetryPolicy,
    comment_body,
    main,
    marker,
    tool_check_markdown,
    upsert_comment,
)
from greentic_iac.errors import InvalidInputError
from tests.unit.ci.conftest import BOT_LOGIN, BOT_USER_ID

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
    existing = forge.add(marker("prod-eu") + "\nold\n", login=BOT_LOGIN)
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


def test_a_marker_in_someone_elses_comment_is_never_edited(forge: Any, tmp_path: Path) -> None:
    # A reviewer quoting the marker (or pasting it on purpose) must not lose their comment.
    theirs = forge.add(marker("prod-eu") + "\nmy own words\n", login="mallory")
    quoted = forge.add(f"> {marker('prod-eu')}\n", login=BOT_LOGIN)  # ours, marker not first
    assert run_github(forge, tmp_path, "prod-eu", "preview\n") == 0
    assert [m for m in forge.methods() if m != "GET"] == ["POST"]
    assert forge.comments[0]["id"] == theirs and forge.comments[0]["body"].endswith("words\n")
    assert forge.comments[1]["id"] == quoted
    assert run_github(forge, tmp_path, "prod-eu", "again\n") == 0
    assert [m for m in forge.methods() if m != "GET"] == ["POST", "PATCH"]
    assert forge.comments[2]["body"].endswith("again\n")


def test_gitlab_edits_only_the_note_of_its_own_bot_user(forge: Any, tmp_path: Path) -> None:
    forge.add(marker("prod-eu") + "\nnot ours\n", user_id=5)
    mine = forge.add(marker("prod-eu") + "\nold\n", user_id=BOT_USER_ID)
    body = tmp_path / "preview.md"
    body.write_text("new\n")
    argv = ["gitlab", "--environment", "prod-eu", "--body-file", str(body)]
    assert main(argv, environ=gitlab_environ(forge)) == 0
    assert forge.requests[0][1] == "/api/v4/user"
    put = next(r for r in forge.requests if r[0] == "PUT")
    assert put[1].endswith(f"/notes/{mine}")
    assert forge.comments[0]["body"].endswith("not ours\n")


def test_rate_limits_and_server_errors_are_retried_with_backoff(forge: Any) -> None:
    forge.fail_next = [502, 429, 403, 503]
    waits: list[float] = []
    api = GitHubComments(
        forge.url, "acme/infra", 12, TOKEN, retry=RetryPolicy(base_delay=0.5, sleep=waits.append)
    )
    assert upsert_comment(api, "prod-eu", comment_body("prod-eu", "x\n"))[0] == "created"
    assert forge.methods() == ["GET", "GET", "GET", "GET", "GET", "POST"]
    assert waits == [0.0, 0.0, 0.0, 0.0]  # the fake server says Retry-After: 0

    forge.requests.clear()
    forge.fail_with = 503  # no Retry-After: exponential, capped, then give up
    waits.clear()
    api = GitHubComments(
        forge.url,
        "acme/infra",
        12,
        TOKEN,
        retry=RetryPolicy(attempts=5, base_delay=1.0, max_delay=4.0, sleep=waits.append),
    )
    with pytest.raises(CommentApiError, match=r"HTTP 503 .*after 5 attempts"):
        upsert_comment(api, "prod-eu", comment_body("prod-eu", "x\n"))
    assert waits == [1.0, 2.0, 4.0, 4.0]
    assert len(forge.requests) == 5


def test_a_client_error_is_not_retried(forge: Any) -> None:
    forge.fail_with = 404
    waits: list[float] = []
    api = GitHubComments(forge.url, "acme/infra", 12, TOKEN, retry=RetryPolicy(sleep=waits.append))
    with pytest.raises(CommentApiError, match="HTTP 404"):
        upsert_comment(api, "prod-eu", comment_body("prod-eu", "x\n"))
    assert waits == [] and len(forge.requests) == 1


def test_markdown_sections_and_the_tool_check_render_as_markdown(
    forge: Any, tmp_path: Path
) -> None:
    pulumi = tmp_path / "pulumi.md"
    pulumi.write_text("### pulumi preview of `prod-eu`\n\n| operation | resources |\n")
    report = {
        "noun": "env",
        "op": "tool-check",
        "result": {
            "failed_checks": 1,
            "total_checks": 2,
            "per_binding": [
                {
                    "slot": "deployer",
                    "outcomes": [
                        {
                            "check": "tool:pulumi",
                            "status": "failed",
                            "found": None,
                            "required": ">= 3",
                        },
                        {"check": "tool:aws", "status": "ok", "found": "2.1|x", "required": ">= 2"},
                    ],
                }
            ],
        },
    }
    checks = tmp_path / "tool-check.json"
    checks.write_text(json.dumps(report))
    extra = ["--markdown", "pulumi preview", str(pulumi), "--tool-check", str(checks)]
    assert run_github(forge, tmp_path, "prod-eu", "## preview\n", *extra) == 0
    body = forge.comments[0]["body"]
    assert "<details><summary>pulumi preview</summary>\n\n### pulumi preview of `prod-eu`" in body
    assert "```" not in body  # markdown, not a fenced block of terminal text
    assert "| deployer | tool:pulumi | failed |  | >= 3 |" in body
    assert "2.1\\|x" in body  # a pipe in a value can't break the table
    assert body.index("pulumi preview") < body.index("1 of 2 checks failed")
    with pytest.raises(InvalidInputError):
        tool_check_markdown({"result": {"nope": 1}})

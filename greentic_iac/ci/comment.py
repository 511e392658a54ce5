"""Create or update the one preview comment per environment on a pull/merge request.

A preview that posts a new comment on every push buries the review under stale plans. Each
comment starts with a hidden marker, ``<!-- greentic-preview:<env> -->``; a run lists the
request's comments, and edits the first one that the same bot wrote and that starts with its
environment's marker (PATCH on GitHub, PUT on GitLab), posting a new one only when none
exists. Anyone can paste a marker into a comment; only the author check makes the comment
ours, so a reviewer's comment is never overwritten.

The APIs answer 429 and 5xx under load (GitHub's secondary rate limits, GitLab behind a
proxy): those are retried with exponential backoff, honouring ``Retry-After``, a bounded
number of times.

Only the standard library is used (urllib) so the CI job needs nothing beyond the
project's install. The token travels in a header and never appears in output or errors.

Run as ``python -m greentic_iac.ci.comment {github|gitlab} --environment ENV --body-file
FILE [--details TITLE FILE]``; the request and credentials come from the CI's own
variables (see ``GitHubComments.from_environ`` and ``GitLabNotes.from_environ``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from greentic_iac.ci.workflows import MARKER_PREFIX
from greentic_iac.errors import GreenticError, InvalidInputError
from greentic_iac.spec import validate_environment_id

PAGE_SIZE = 100
MAX_PAGES = 100  # 10,000 comments: past that a request has bigger problems than ours
TIMEOUT_SECONDS = 30.0
GITHUB_MAX_BODY = 65_536  # GitHub refuses longer comment bodies
GITLAB_MAX_BODY = 1_000_000
GITHUB_ACTIONS_BOT = "github-actions[bot]"  # the author of comments made with GITHUB_TOKEN
RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
TRIM_NOTE = "\n\n_… comment trimmed to fit the provider's size limit; see the job log._\n"


class CommentApiError(GreenticError):
    """The provider's API refused or failed a request."""

    exit_code = 1


@dataclass(frozen=True)
class Comment:
    id: int
    body: str
    author: str  # GitHub login, GitLab user id: whatever the provider's API names it by


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait on a 429 or 5xx: ``attempts`` calls in all, waiting
    ``base_delay * 2**n`` (at most ``max_delay``, or what ``Retry-After`` asks, within that cap)."""

    attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 30.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)

    def delay(self, attempt: int, retry_after: str | None) -> float:
        if retry_after is not None and retry_after.strip().isdigit():
            return min(float(retry_after.strip()), self.max_delay)
        backoff: float = self.base_delay * 2.0**attempt
        return min(backoff, self.max_delay)


DEFAULT_RETRY = RetryPolicy()


class CommentApi(Protocol):
    """The calls an upsert needs, whatever the provider."""

    max_body: int

    def author(self) -> str: ...

    def comments(self) -> Iterator[Comment]: ...

    def create(self, body: str) -> int: ...

    def update(self, comment_id: int, body: str) -> None: ...


def marker(environment_id: str) -> str:
    return f"<!-- {MARKER_PREFIX}{validate_environment_id(environment_id)} -->"


def comment_body(
    environment_id: str,
    preview_markdown: str,
    *,
    sections: Sequence[tuple[str, str]] = (),
    details: Sequence[tuple[str, str]] = (),
    max_body: int = GITHUB_MAX_BODY,
) -> str:
    """The marker, the preview, each markdown section, then each raw text, as collapsed
    blocks; within max_body. Sections render as markdown; details are fenced as text."""
    parts = [marker(environment_id), "", preview_markdown.rstrip("\n")]
    for title, markdown in sections:
        parts += [
            "",
            f"<details><summary>{_escape_summary(title)}</summary>",
            "",
            markdown.strip("\n"),
            "",
            "</details>",
        ]
    for title, text in details:
        fence = "````" if "```" in text else "```"
        parts += [
            "",
            f"<details><summary>{_escape_summary(title)}</summary>",
            "",
            fence,
            text.rstrip("\n"),
            fence,
            "",
            "</details>",
        ]
    body = "\n".join(parts) + "\n"
    if len(body) <= max_body:
        return body
    # Cut on a line boundary so a table row or fence is not split mid-way.
    room = max_body - len(TRIM_NOTE)
    cut = body.rfind("\n", 0, room)
    return body[: cut if cut > 0 else room] + TRIM_NOTE


def tool_check_markdown(report: Any) -> str:
    """``env tool-check``'s JSON envelope (or its result) as a markdown table."""
    result = report.get("result", report) if isinstance(report, dict) else None
    if not isinstance(result, dict) or not isinstance(result.get("per_binding"), list):
        raise InvalidInputError("--tool-check: not the JSON output of `env tool-check`")
    rows = ["| slot | check | status | found | required |", "| --- | --- | --- | --- | --- |"]
    for binding in result["per_binding"]:
        for outcome in binding.get("outcomes") or []:
            cells = [
                binding.get("slot"),
                outcome.get("check"),
                outcome.get("status"),
                outcome.get("found") or "",
                outcome.get("required") or "",
            ]
            rows.append("| " + " | ".join(_table_cell(cell) for cell in cells) + " |")
    failed, total = result.get("failed_checks", 0), result.get("total_checks", 0)
    return f"{failed} of {total} checks failed\n\n" + "\n".join(rows)


def _table_cell(value: Any) -> str:
    text = " ".join(str(value if value is not None else "").split())
    return text.replace("|", "\\|").replace("<", "&lt;")


def _escape_summary(title: str) -> str:
    return title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def upsert_comment(api: CommentApi, environment_id: str, body: str) -> tuple[str, int]:
    """Edit the environment's comment, or create it: ``("updated"|"created", comment id)``.

    Only a comment by ``api.author()`` that starts with the marker is edited.
    """
    tag = marker(environment_id)
    if not body.startswith(tag):
        raise InvalidInputError(f"comment body: must start with the marker {tag}")
    author = api.author()
    for comment in api.comments():
        if comment.author == author and comment.body.startswith(tag):
            api.update(comment.id, body)
            return "updated", comment.id
    return "created", api.create(body)


@dataclass(frozen=True)
class _Http:
    """A tiny JSON client: one base URL, one set of headers, bounded time and retries."""

    base_url: str
    headers: Mapping[str, str]
    retry: RetryPolicy = DEFAULT_RETRY

    def __post_init__(self) -> None:
        scheme = urllib.parse.urlsplit(self.base_url).scheme
        if scheme not in ("https", "http"):
            raise InvalidInputError(f"API URL: {self.base_url!r} is not an http(s) URL")

    def call(self, method: str, path: str, payload: Any = None) -> Any:
        url = self.base_url.rstrip("/") + path
        data = None if payload is None else json.dumps(payload).encode("utf-8")
        for attempt in range(max(self.retry.attempts, 1)):
            last = attempt + 1 >= self.retry.attempts
            request = urllib.request.Request(url, data=data, method=method)  # noqa: S310
            for name, value in self.headers.items():
                request.add_header(name, value)
            if data is not None:
                request.add_header("Content-Type", "application/json")
            try:
                with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
                    raw = response.read()
                break
            except urllib.error.HTTPError as exc:
                if not _retryable(exc) or last:
                    raise CommentApiError(
                        f"{method} {url}: HTTP {exc.code} {exc.reason}"
                        + (f" (after {attempt + 1} attempts)" if attempt else "")
                    ) from None
                self.retry.sleep(self.retry.delay(attempt, exc.headers.get("Retry-After")))
            except (urllib.error.URLError, TimeoutError, OSError) as exc:
                if last:
                    raise CommentApiError(f"{method} {url}: {exc}") from None
                self.retry.sleep(self.retry.delay(attempt, None))
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            raise CommentApiError(f"{method} {url}: the response is not JSON") from None


def _retryable(error: urllib.error.HTTPError) -> bool:
    """429 and 5xx, and GitHub's rate limits, which answer 403 with a Retry-After or an
    exhausted ``x-ratelimit-remaining`` (a plain 403 is a permission problem: no retry)."""
    if error.code in RETRIED_STATUSES:
        return True
    headers = error.headers
    return error.code == 403 and (
        headers.get("Retry-After") is not None or headers.get("x-ratelimit-remaining") == "0"
    )


def _pages(http: _Http, path: str, extra: str = "") -> Iterator[dict[str, Any]]:
    for page in range(1, MAX_PAGES + 1):
        items = http.call("GET", f"{path}?per_page={PAGE_SIZE}&page={page}{extra}")
        if not isinstance(items, list):
            raise CommentApiError(f"GET {path}: expected a list of comments")
        yield from (item for item in items if isinstance(item, dict))
        if len(items) < PAGE_SIZE:
            return


def _require(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name, "")
    if not value:
        raise InvalidInputError(f"${name}: not set (the CI job must provide it)")
    return value


class GitHubComments:
    """A pull request's issue comments through the GitHub REST API."""

    max_body = GITHUB_MAX_BODY

    def __init__(
        self,
        api_url: str,
        repository: str,
        number: int,
        token: str,
        *,
        author: str = GITHUB_ACTIONS_BOT,
        retry: RetryPolicy = DEFAULT_RETRY,
    ) -> None:
        if repository.count("/") != 1:
            raise InvalidInputError(f"repository: {repository!r} is not owner/name")
        self._repository = urllib.parse.quote(repository, safe="/")
        self._number = number
        self._author = author
        self._http = _Http(
            api_url,
            {
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": "greentic-iac-ci",
            },
            retry,
        )

    @classmethod
    def from_environ(cls, number: int, environ: Mapping[str, str] = os.environ) -> GitHubComments:
        """``GITHUB_TOKEN``, ``GITHUB_REPOSITORY`` and ``GITHUB_API_URL`` (Actions sets both).

        ``GREENTIC_COMMENT_AUTHOR`` names the bot whose comments are ours when the token is
        not the workflow's own ``GITHUB_TOKEN`` (a GitHub App's ``<app>[bot]``, a bot user).
        """
        return cls(
            environ.get("GITHUB_API_URL") or "https://api.github.com",
            _require(environ, "GITHUB_REPOSITORY"),
            number,
            _require(environ, "GITHUB_TOKEN"),
            author=environ.get("GREENTIC_COMMENT_AUTHOR") or GITHUB_ACTIONS_BOT,
        )

    def author(self) -> str:
        return self._author

    def comments(self) -> Iterator[Comment]:
        path = f"/repos/{self._repository}/issues/{self._number}/comments"
        for item in _pages(self._http, path):
            user = item.get("user")
            login = user.get("login") if isinstance(user, dict) else None
            yield Comment(int(item["id"]), str(item.get("body") or ""), str(login or ""))

    def create(self, body: str) -> int:
        path = f"/repos/{self._repository}/issues/{self._number}/comments"
        return int(self._http.call("POST", path, {"body": body})["id"])

    def update(self, comment_id: int, body: str) -> None:
        path = f"/repos/{self._repository}/issues/comments/{comment_id}"
        self._http.call("PATCH", path, {"body": body})


class GitLabNotes:
    """A merge request's notes through the GitLab REST API (v4)."""

    max_body = GITLAB_MAX_BODY

    def __init__(
        self,
        api_url: str,
        project_id: str,
        merge_request_iid: int,
        token: str,
        *,
        retry: RetryPolicy = DEFAULT_RETRY,
    ) -> None:
        self._base = (
            f"/projects/{urllib.parse.quote(project_id, safe='')}"
            f"/merge_requests/{merge_request_iid}/notes"
        )
        self._http = _Http(
            api_url, {"PRIVATE-TOKEN": token, "User-Agent": "greentic-iac-ci"}, retry
        )
        self._author: str | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> GitLabNotes:
        """``CI_API_V4_URL``, ``CI_PROJECT_ID``, ``CI_MERGE_REQUEST_IID`` and the token in
        ``GREENTIC_GITLAB_TOKEN`` (a project access token with api scope: the job token
        cannot write notes)."""
        iid = _require(environ, "CI_MERGE_REQUEST_IID")
        if not iid.isdigit():
            raise InvalidInputError(f"$CI_MERGE_REQUEST_IID: {iid!r} is not a number")
        return cls(
            _require(environ, "CI_API_V4_URL"),
            _require(environ, "CI_PROJECT_ID"),
            int(iid),
            _require(environ, "GREENTIC_GITLAB_TOKEN"),
        )

    def author(self) -> str:
        """The token's own user (a project access token is a bot user), by id."""
        if self._author is None:
            user = self._http.call("GET", "/user")
            if not isinstance(user, dict) or "id" not in user:
                raise CommentApiError("GET /user: the response names no user id")
            self._author = str(user["id"])
        return self._author

    def comments(self) -> Iterator[Comment]:
        for item in _pages(self._http, self._base, "&sort=asc&order_by=created_at"):
            if item.get("system"):
                continue  # GitLab's own "added 1 commit" notes
            author = item.get("author")
            author_id = author.get("id") if isinstance(author, dict) else None
            yield Comment(
                int(item["id"]),
                str(item.get("body") or ""),
                "" if author_id is None else str(author_id),
            )

    def create(self, body: str) -> int:
        return int(self._http.call("POST", self._base, {"body": body})["id"])

    def update(self, comment_id: int, body: str) -> None:
        self._http.call("PUT", f"{self._base}/{comment_id}", {"body": body})


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    parser = argparse.ArgumentParser(prog="python -m greentic_iac.ci.comment")
    parser.add_argument("provider", choices=("github", "gitlab"))
    parser.add_argument("--environment", required=True, help="environment id (the marker)")
    parser.add_argument("--body-file", required=True, help="the preview markdown")
    parser.add_argument(
        "--details",
        nargs=2,
        action="append",
        default=[],
        metavar=("TITLE", "FILE"),
        help="append FILE as a collapsed block (skipped when FILE is missing or empty)",
    )
    parser.add_argument(
        "--markdown",
        nargs=2,
        action="append",
        default=[],
        metavar=("TITLE", "FILE"),
        help="append FILE as a collapsed markdown section (skipped when missing or empty)",
    )
    parser.add_argument(
        "--tool-check",
        metavar="FILE",
        help="append `env tool-check` JSON output as a markdown table (skipped when missing)",
    )
    parser.add_argument("--pull-request", type=int, help="GitHub pull request number")
    args = parser.parse_args(argv)
    provider: Literal["github", "gitlab"] = args.provider
    try:
        api: CommentApi
        if provider == "github":
            if args.pull_request is None:
                raise InvalidInputError("--pull-request: required for github")
            api = GitHubComments.from_environ(args.pull_request, environ)
        else:
            api = GitLabNotes.from_environ(environ)
        preview = _read(args.body_file, "--body-file")
        sections = [
            (title, _read(path, "--markdown")) for title, path in args.markdown if _present(path)
        ]
        if args.tool_check and _present(args.tool_check):
            try:
                report = json.loads(_read(args.tool_check, "--tool-check"))
            except ValueError:
                raise InvalidInputError(f"--tool-check {args.tool_check}: not JSON") from None
            sections.append(("tool check", tool_check_markdown(report)))
        details = [
            (title, _read(path, "--details")) for title, path in args.details if _present(path)
        ]
        body = comment_body(
            args.environment, preview, sections=sections, details=details, max_body=api.max_body
        )
        action, comment_id = upsert_comment(api, args.environment, body)
    except GreenticError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    print(json.dumps({"environment_id": args.environment, "action": action, "id": comment_id}))
    return 0


def _present(path: str) -> bool:
    return Path(path).is_file() and Path(path).stat().st_size > 0


def _read(path: str, option: str) -> str:
    try:
        return Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"{option} {path}: {exc}") from None


if __name__ == "__main__":
    raise SystemExit(main())

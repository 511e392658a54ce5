"""A tiny stand-in for GitHub's issue-comments API and GitLab's merge-request notes API.

It listens on 127.0.0.1 only, keeps comments in memory, records every request, pages its
listings the way both APIs do (``per_page`` / ``page``), and is shut down after each test.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

TOKEN = "not-a-real-token-for-tests"  # the fake server checks for it
BOT_LOGIN = "github-actions[bot]"  # who GitHub says wrote a comment made with TOKEN
BOT_USER_ID = 77  # GitLab's user id of TOKEN's (project access token) bot user

GITHUB_LIST = re.compile(
    r"^/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/issues/(?P<number>\d+)/comments$"
)
GITHUB_ONE = re.compile(r"^/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/issues/comments/(?P<id>\d+)$")
GITLAB_LIST = re.compile(r"^/api/v4/projects/(?P<project>[^/]+)/merge_requests/(?P<iid>\d+)/notes$")
GITLAB_ONE = re.compile(
    r"^/api/v4/projects/(?P<project>[^/]+)/merge_requests/(?P<iid>\d+)/notes/(?P<id>\d+)$"
)


@dataclass
class FakeForge:
    url: str = ""
    comments: list[dict[str, Any]] = field(default_factory=list)
    requests: list[tuple[str, str, dict[str, str], Any]] = field(default_factory=list)
    fail_with: int | None = None
    # statuses answered (with Retry-After: 0) before the next requests are served
    fail_next: list[int] = field(default_factory=list)
    next_id: int = 1000

    def add(self, body: str, *, login: str = "alice", user_id: int = 5, **extra: Any) -> int:
        """A comment by ``login`` (GitHub) / user ``user_id`` (GitLab); alice by default."""
        self.next_id += 1
        self.comments.append(
            {
                "id": self.next_id,
                "body": body,
                "user": {"login": login},
                "author": {"id": user_id},
                **extra,
            }
        )
        return self.next_id

    def methods(self) -> list[str]:
        return [method for method, _, _, _ in self.requests]


def _handler(forge: FakeForge) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean

        def _body(self) -> Any:
            length = int(self.headers.get("Content-Length") or 0)
            return json.loads(self.rfile.read(length)) if length else None

        def _reply(self, status: int, payload: Any, retry_after: str | None = None) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            if retry_after is not None:
                self.send_header("Retry-After", retry_after)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _handle(self) -> None:
            parts = urlsplit(self.path)
            payload = self._body()
            forge.requests.append((self.command, self.path, dict(self.headers), payload))
            authorised = self.headers.get("Authorization") == f"Bearer {TOKEN}" or (
                self.headers.get("PRIVATE-TOKEN") == TOKEN
            )
            if not authorised:
                self._reply(401, {"message": "Bad credentials"})
                return
            if forge.fail_with is not None:
                self._reply(forge.fail_with, {"message": "nope"})
                return
            if forge.fail_next:
                status = forge.fail_next.pop(0)
                if status == 403:  # GitHub's secondary rate limit
                    self._reply(403, {"message": "secondary rate limit"}, retry_after="0")
                else:
                    self._reply(status, {"message": "slow down"}, retry_after="0")
                return
            if parts.path == "/api/v4/user" and self.command == "GET":
                self._reply(200, {"id": BOT_USER_ID, "username": "project_42_bot"})
                return
            if GITHUB_LIST.match(parts.path) or GITLAB_LIST.match(parts.path):
                if self.command == "GET":
                    query = parse_qs(parts.query)
                    per_page = int(query.get("per_page", ["30"])[0])
                    page = int(query.get("page", ["1"])[0])
                    start = (page - 1) * per_page
                    self._reply(200, forge.comments[start : start + per_page])
                    return
                if self.command == "POST":
                    comment_id = forge.add(payload["body"], login=BOT_LOGIN, user_id=BOT_USER_ID)
                    self._reply(201, {"id": comment_id, "body": payload["body"]})
                    return
            match = GITHUB_ONE.match(parts.path) or GITLAB_ONE.match(parts.path)
            if match and self.command in ("PATCH", "PUT"):
                for comment in forge.comments:
                    if comment["id"] == int(match.group("id")):
                        comment["body"] = payload["body"]
                        self._reply(200, comment)
                        return
            self._reply(404, {"message": "Not Found"})

        do_GET = do_POST = do_PATCH = do_PUT = _handle

    return Handler


@pytest.fixture
def forge() -> Iterator[FakeForge]:
    state = FakeForge()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)

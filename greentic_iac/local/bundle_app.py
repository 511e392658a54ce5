"""The built-in simulated bundle app: what a revision runs when its bundle has no command.

It answers every request with who it is (environment, deployment, revision, bundle and
digest, and the path it saw) so the router's choices are observable end to end, and it
serves ``/healthz`` for the supervisor's health check. It exits when its supervisor dies
(it watches its parent pid), on top of the parent-death signal the supervisor arranges.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiohttp import web


@dataclass(frozen=True)
class AppIdentity:
    environment: str
    deployment_id: str
    revision_id: str
    bundle_id: str
    bundle_digest: str


def build_app(identity: AppIdentity) -> web.Application:
    headers = {
        "x-greentic-deployment": identity.deployment_id,
        "x-greentic-revision": identity.revision_id,
    }
    body = {
        "environment": identity.environment,
        "deployment_id": identity.deployment_id,
        "revision_id": identity.revision_id,
        "bundle_id": identity.bundle_id,
        "bundle_digest": identity.bundle_digest,
    }

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response(
            {"status": "ok", "revision_id": identity.revision_id}, headers=headers
        )

    async def answer(request: web.Request) -> web.Response:
        if request.can_read_body:
            # Drain the body so keep-alive connections stay usable.
            async for _ in request.content.iter_chunked(65536):
                pass
        return web.json_response({**body, "path": request.path}, headers=headers)

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_route("*", "/{tail:.*}", answer)
    return app


async def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        await asyncio.sleep(1.0)
    os._exit(0)  # orphaned: the supervisor is gone, so nobody routes to us any more


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m greentic_iac.local app")
    parser.add_argument("--environment", required=True)
    parser.add_argument("--deployment-id", required=True)
    parser.add_argument("--revision-id", required=True)
    parser.add_argument("--bundle-id", required=True)
    parser.add_argument("--bundle-digest", required=True)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "0")))
    args = parser.parse_args(argv)
    identity = AppIdentity(
        args.environment,
        args.deployment_id,
        args.revision_id,
        args.bundle_id,
        args.bundle_digest,
    )
    app = build_app(identity)
    parent = os.getppid()

    async def watchdog(_: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(_watch_parent(parent))
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    app.cleanup_ctx.append(watchdog)
    web.run_app(
        app, host="127.0.0.1", port=args.port, print=None, access_log=None, shutdown_timeout=5.0
    )

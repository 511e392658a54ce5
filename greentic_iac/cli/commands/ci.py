"""``ci init``: write the pull-request preview workflow into a repository."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from greentic_iac.ci.workflows import (
    DEFAULT_PULUMI_SHA256,
    DEFAULT_PULUMI_VERSION,
    FOLLOW_UP,
    PROVIDERS,
    Provider,
    WorkflowOptions,
    write_workflow,
)
from greentic_iac.cli.context import Context
from greentic_iac.errors import InvalidInputError
from greentic_iac.resources import data_dir


def init(ctx: Context, _: None) -> dict[str, Any]:
    provider = _provider(ctx.args.provider or "github")
    root = Path(ctx.args.dir) if ctx.args.dir else Path.cwd()
    args = ctx.args
    options = WorkflowOptions(
        install_source=args.source,
        index_url=args.index_url,
        pulumi_version=args.pulumi_version or DEFAULT_PULUMI_VERSION,
        pulumi_sha256=args.pulumi_sha256 or DEFAULT_PULUMI_SHA256,
        gitlab_image=args.image,
    )
    path = write_workflow(root, provider, force=bool(args.force), options=options)
    # docs/ci.md ships inside the wheel, so the pointer works from any install.
    docs = data_dir("docs") / "ci.md"
    return {"path": str(path), "provider": provider, "next": FOLLOW_UP[provider], "docs": str(docs)}


def _provider(raw: str) -> Provider:
    for provider in PROVIDERS:
        if raw == provider:
            return provider
    raise InvalidInputError(f"--provider: {raw!r} is not one of github, gitlab")

"""``bundles verify`` and ``bundles unpack``: safe archive ingestion (seed P0.1-P0.4)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from greentic_iac.cli.context import Context


def verify(ctx: Context, _: None) -> dict[str, Any]:
    from greentic_iac.bundles import verify_archive

    report: dict[str, Any] = verify_archive(Path(ctx.args.archive)).to_dict()
    return report


def unpack(ctx: Context, _: None) -> dict[str, Any]:
    from greentic_iac.bundles import unpack_archive

    report: dict[str, Any] = unpack_archive(Path(ctx.args.archive), Path(ctx.args.dest)).to_dict()
    return report

"""``status [ENV]``: every environment (or one) at a glance.

The JSON envelope when piped or asked for (``--output json``); on a terminal one rich table
per environment, with the ids wrapped rather than cut (``overflow="fold"``): an id on the
screen is one a person copies.
"""

from __future__ import annotations

import io
import os
import shutil
import sys
from typing import Any

from greentic_iac.cli.context import Context, Rendered


def status(ctx: Context, _: None) -> Rendered:
    from greentic_iac.operations.baseline import baseline_path
    from greentic_iac.operations.status import environment_status
    from greentic_iac.spec.environment_id import validate_environment_id

    requested = getattr(ctx.args, "environment_id", None)
    store = ctx.store
    names = [validate_environment_id(requested)] if requested else store.list_environments()
    environments = [
        environment_status(
            store.load(environment_id),
            store.audit_events(environment_id),
            baseline=baseline_path(ctx.greentic_home, environment_id).is_file(),
        )
        for environment_id in names
    ]
    result = {"environments": environments}
    if ctx.output == "json":
        return Rendered(result=result)
    return Rendered(text=render_status(environments), result=result)


def _applied_line(environment: dict[str, Any]) -> str:
    applied = environment["applied"]
    line = f"generation {environment['generation']} · {applied['state']}"
    if applied["generation"] is not None:
        line += f" (applied generation {applied['generation']} at {applied['at']})"
    elif applied["at"]:
        line += f" (at {applied['at']})"
    drift = environment["drift"]
    if drift is None:
        line += " · drift not checked"
    else:
        verdict = {True: "drift found", False: "no drift"}.get(drift["drift"], "drift unknown")
        line += f" · {verdict} (checked {drift['at']})"
    return line


def render_status(environments: list[dict[str, Any]]) -> str:
    """The terminal view: styled only on a terminal without ``NO_COLOR`` (no-color.org)."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    buffer = io.StringIO()
    console = Console(
        file=buffer,
        force_terminal=sys.stdout.isatty() and not os.environ.get("NO_COLOR"),
        width=shutil.get_terminal_size((100, 24)).columns,
        highlight=False,
    )
    if not environments:
        console.print("no environments (create one with `greentic-iac env init local`)")
    for environment in environments:
        title = f"[bold]{environment['environment_id']}[/bold]"
        if environment["target"]:
            title += f" · {environment['target']}"
        console.print(title)
        console.print(_applied_line(environment))
        if not environment["deployments"]:
            console.print("  no deployments\n")
            continue
        table = Table(show_lines=False)
        # Every column folds (wraps mid-word) rather than cuts: rich shrinks the table to
        # the terminal, and an id that wraps is still whole on the screen.
        table.add_column("deployment", overflow="fold")
        table.add_column("revision", overflow="fold")
        table.add_column("lifecycle", overflow="fold")
        table.add_column("weight", justify="right", overflow="fold")
        table.add_column("id", overflow="fold")
        for deployment in environment["deployments"]:
            name = f"[bold]{escape(deployment['bundle_id'])}[/bold]\n{escape(deployment['route'])}"
            table.add_row(name, "", "", "", deployment["deployment_id"])
            for revision in deployment["revisions"]:
                weight = f"{revision['weight_bps'] / 100:.2f}%"
                table.add_row("", escape(revision["name"]), revision["lifecycle"], weight,
                              revision["revision_id"])  # fmt: skip
        console.print(table)
        if "rollouts" in environment:
            console.print("rollouts:", environment["rollouts"])
        console.print()
    return buffer.getvalue()

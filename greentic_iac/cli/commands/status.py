"""``status [ENV]``: every environment (or one) at a glance.

The JSON envelope when piped or asked for (``--output json``); on a terminal one rich table
per environment, with the ids wrapped rather than cut (``overflow="fold"``): an id on the
screen is one a person copies.
"""

from __future__ import annotations

import io
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
    wide = bool(getattr(ctx.args, "wide", False))
    return Rendered(text=render_status(environments, wide=wide), result=result)


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


def _deployments_table(environment: dict[str, Any], wide: bool) -> Any:
    from rich.markup import escape
    from rich.table import Table

    table = Table(show_lines=False)
    # Every column folds (wraps mid-word) rather than cuts: rich shrinks the table to the
    # terminal, and an id that wraps is still whole on the screen.
    table.add_column("deployment", overflow="fold")
    if wide:
        table.add_column("host/path", overflow="fold")
    table.add_column("revision", overflow="fold")
    table.add_column("lifecycle", overflow="fold")
    table.add_column("weight", justify="right", overflow="fold")
    if wide:
        table.add_column("split gen", justify="right", overflow="fold")
    table.add_column("id", overflow="fold")
    for deployment in environment["deployments"]:
        bundle = f"[bold]{escape(deployment['bundle_id'])}[/bold]"
        route = escape(deployment["route"])
        if wide:
            generation = deployment["split_generation"]
            table.add_row(bundle, route, "", "", "", "" if generation is None else str(generation),
                          deployment["deployment_id"])  # fmt: skip
        else:
            table.add_row(f"{bundle}\n{route}", "", "", "", deployment["deployment_id"])
        for revision in deployment["revisions"]:
            weight = f"{revision['weight_bps'] / 100:.2f}%"
            cells = [escape(revision["name"]), revision["lifecycle"], weight]
            if wide:
                table.add_row("", "", *cells, "", revision["revision_id"])
            else:
                table.add_row("", *cells, revision["revision_id"])
    return table


def _rollouts_table(rollouts: list[dict[str, Any]], wide: bool) -> Any:
    """One row per active rollout: step, weights by name, last analysis, next step."""
    from rich.markup import escape
    from rich.table import Table

    from greentic_iac.operations.rollout_view import figure_text

    table = Table(title="rollouts", show_lines=True)
    for name in ("rollout", "step", "weights", "last analysis", "next step"):
        table.add_column(name, overflow="fold")
    if wide:
        table.add_column("targets", overflow="fold")
        table.add_column("reason", overflow="fold")
    for rollout in rollouts:
        analysis = rollout["last_analysis"]
        if analysis is None:
            checked = "-"
        else:
            verdict = "[green]passed[/green]" if analysis["passed"] else "[red]failed[/red]"
            figures = [escape(figure_text(f)) for f in analysis["figures"]]
            checked = "\n".join([f"{verdict} (step {analysis['step']})", *figures])
        step = f"{rollout['step']} {rollout['step_kind']}"
        if rollout["status"] != "running":
            step += f" ({rollout['status']})"
        row = [rollout["rollout_id"], step, escape(rollout["weights"]), checked,
               escape(rollout["next_step"])]  # fmt: skip
        if wide:
            targets = "\n".join(
                f"{t['deployment_id']}\n stable {t['stable']['revision_id']}"
                f"\n canary {t['canary']['revision_id']}"
                for t in rollout["targets"]
            )
            row += [targets, escape(rollout["reason"] or "")]
        table.add_row(*row)
    return table


def render_status(environments: list[dict[str, Any]], *, wide: bool = False) -> str:
    """The terminal view: styled only on a terminal without ``NO_COLOR`` (no-color.org);
    ``wide`` adds the host/path and split generation columns and the rollouts' targets."""
    from rich.console import Console

    from greentic_iac.cli.terminal import colour_allowed

    buffer = io.StringIO()
    console = Console(
        file=buffer,
        force_terminal=colour_allowed(sys.stdout),
        no_color=not colour_allowed(sys.stdout),
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
        if environment["deployments"]:
            console.print(_deployments_table(environment, wide))
        else:
            console.print("  no deployments")
        if environment.get("rollouts"):
            console.print(_rollouts_table(environment["rollouts"], wide))
        console.print()
    return buffer.getvalue()

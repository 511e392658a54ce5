"""``greentic-iac preview ENV``: what applying the environment's plan now would change.

The offline engine (default) compiles the state, diffs the plan against the baseline (the
last applied plan, ``--against FILE``, or nothing) and prints the report in the chosen
format. A refused preview (a target limit, or a policy gate not overridden) still prints
its report, so the user sees why, and exits 2 with one line on stderr naming the first
reason. ``--detailed-exitcode``: 0 without changes, 5 with changes. ``--engine pulumi``
hands over to the Pulumi engine.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from greentic_iac.cli.context import Context, Rendered
from greentic_iac.errors import InvalidInputError

CHANGES_EXIT_CODE = 5
REFUSED_EXIT_CODE = InvalidInputError.exit_code


def _baseline(ctx: Context, environment_id: str) -> Any:
    from greentic_iac.operations.baseline import applied_baseline
    from greentic_iac.plan.io import load_plan
    from greentic_iac.preview import Baseline

    if ctx.args.against:
        path = Path(ctx.args.against).expanduser()
        plan = load_plan(path)
        if plan.environment_id != environment_id:
            raise InvalidInputError(
                f"--against {path}: the plan is for environment {plan.environment_id!r}, "
                f"not {environment_id!r}"
            )
        return Baseline(plan=plan, source="file", path=str(path))
    return applied_baseline(ctx.greentic_home, environment_id)


def preview_document(ctx: Context) -> dict[str, Any]:
    """The preview document for ``ctx.args`` (audits a used ``--override-policy``)."""
    from greentic_iac.preview import build_preview
    from greentic_iac.spec import validate_environment_id
    from greentic_iac.targets import target_for

    environment_id = validate_environment_id(ctx.args.environment_id)
    state = ctx.store.load(environment_id)
    baseline = _baseline(ctx, environment_id)
    target = target_for(state, lambda: ctx.registry)
    # Not compile_environment: a plan with error findings is still shown, refused.
    plan = target.compile(state)
    override = bool(ctx.args.override_policy)
    document = build_preview(state, plan, baseline, override_policy=override, target=target)
    if document["policy"]["overridden"]:
        ctx.store.record(
            environment_id,
            "preview",
            {
                "override_policy": True,
                "violations": document["policy"]["violations"],
                "plan_hash": document["plan_hash"],
            },
        )
    return document


_FORMAT_OF_SUFFIX = {".json": "json", ".md": "markdown", ".html": "html", ".txt": "text"}


def _format(ctx: Context) -> str:
    if ctx.args.format:
        return str(ctx.args.format)
    if ctx.args.out:
        # `preview --out plan.json` writes the document `up --plan plan.json` applies.
        suffix = Path(ctx.args.out).suffix.lower()
        if suffix in _FORMAT_OF_SUFFIX:
            return _FORMAT_OF_SUFFIX[suffix]
    # Piped, the preview stays the text a person reads: JSON only when --output json asks.
    return "json" if ctx.args.output == "json" else "text"


def preview(ctx: Context, payload: None) -> dict[str, Any] | Rendered:
    if ctx.args.engine == "pulumi":
        from greentic_iac.cli.commands.apply import pulumi_preview

        return pulumi_preview(ctx)
    from greentic_iac.cli.terminal import colour_allowed
    from greentic_iac.preview import first_refusal, render
    from greentic_iac.preview.render import write_report
    from greentic_iac.preview.text import summary_line

    document = preview_document(ctx)
    fmt = _format(ctx)
    colour = fmt == "text" and not ctx.args.out and colour_allowed(sys.stdout)
    text = render(document, fmt, colour=colour)
    refusal = first_refusal(document)
    if refusal is not None:
        exit_code = REFUSED_EXIT_CODE
    elif ctx.args.detailed_exitcode and document["changed"]:
        exit_code = CHANGES_EXIT_CODE
    else:
        exit_code = 0
    if ctx.args.out:
        path = write_report(text, Path(ctx.args.out).expanduser())
        result = {
            "environment_id": document["environment_id"],
            "out": str(path),
            "format": fmt,
            "changed": document["changed"],
            "refused": document["refused"],
            "summary": document["summary"],
        }
        if ctx.args.output == "json":
            envelope = {"noun": "preview", "op": "preview", "result": result}
            text = json.dumps(envelope, indent=2) + "\n"
        else:
            text = f"wrote {fmt} preview to {path}: {summary_line(document)}\n"
    if refusal is not None:
        sys.stderr.write(f"error: {refusal}\n")
    return Rendered(text, exit_code)

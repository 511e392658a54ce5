"""Review, then apply: what ``up``/``destroy`` show and ask before they touch a cloud.

On a terminal the verb shows what will change and goes on only when the person types
``yes`` (as ``terraform apply`` asks). ``up`` shows Pulumi's own preview of the stack when
the engine can run it (its creates/updates/deletes/replaces and each resource), else the
offline preview with a note saying why; ``destroy`` likewise shows Pulumi's preview of the
destroy, else the applied plan's resources.
``--yes`` skips the question; without a terminal there is no one to ask, so ``--yes`` (or
``up --plan FILE``, a plan already reviewed) is required and its absence is invalid input,
never a silent apply.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from greentic_iac.errors import GreenticError, InvalidInputError


class ApplyCancelledError(GreenticError):
    """The person at the terminal did not confirm; nothing was applied."""

    exit_code = 1


def interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


# The engine's step kinds in the order a person reads a summary, with their styles.
_ENGINE_OPS = (
    ("create", "+", "green"),
    ("update", "~", "yellow"),
    ("replace", "+-", "magenta"),
    ("delete", "-", "red"),
)
_REPLACE_STEPS = frozenset({"create-replacement", "delete-replaced"})


def engine_review_text(review: dict[str, Any], *, colour: bool) -> str:
    """Pulumi's preview as the confirmation shows it: each resource step and the counts."""
    import io

    from rich.console import Console
    from rich.text import Text

    environment_id = review["environment_id"]
    what = f"destroying {environment_id}" if review.get("verb") == "destroy" else environment_id
    styles = {op: style for op, _, style in _ENGINE_OPS}
    symbols = {op: symbol for op, symbol, _ in _ENGINE_OPS}
    lines: list[Text] = [
        Text(f"Pulumi preview of {what} (the engine's own diff)", "bold"),
        Text(""),
        Text("Resources", "bold"),
    ]
    steps = [r for r in review["resources"] if r["op"] not in _REPLACE_STEPS]
    for step in steps:
        op = step["op"]
        lines.append(
            Text(
                f"  {symbols.get(op, '*'):>2} {op:<8} {step['type']}  {step['name']}",
                styles.get(op, ""),
            )
        )
    if not steps:
        lines.append(Text("  no changes"))
    changes = review["changes"]
    counts = ", ".join(f"{changes.get(op, 0)} to {op}" for op, _, _ in _ENGINE_OPS)
    lines += [
        Text(""),
        Text(f"Summary: {counts}, {changes.get('same', 0)} unchanged"),
    ]
    if review.get("verb") != "destroy":
        hint = f"(`greentic-iac preview {environment_id}` shows the traffic split and the checks)"
        lines.append(Text(hint, "dim"))
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        force_terminal=colour,
        no_color=not colour,
        color_system="standard" if colour else None,
        soft_wrap=True,
        highlight=False,
        markup=False,
        emoji=False,
    )
    for line in lines:
        console.print(line)
    return buffer.getvalue()


def _review_text(
    document: dict[str, Any], engine: Callable[[], dict[str, Any]] | None, colour: bool
) -> str:
    """Pulumi's preview when ``engine`` can give it; the offline preview otherwise (with a
    note saying why, when the engine was asked and could not answer)."""
    from greentic_iac.preview import render

    if engine is not None:
        try:
            return engine_review_text(engine(), colour=colour)
        except GreenticError as error:
            note = (
                f"note: Pulumi's preview could not run ({str(error).splitlines()[0]}); "
                "this is the offline preview of the plan against the applied baseline\n\n"
            )
            return note + render(document, "text", colour=colour)
    return render(document, "text", colour=colour)


def require_approval(
    verb: str,
    environment_id: str,
    document: dict[str, Any],
    yes: bool,
    *,
    json_output: bool,
    engine: Callable[[], dict[str, Any]] | None = None,
) -> None:
    """Return when ``verb`` may go on; show what changes and ask on a terminal.

    ``engine`` returns Pulumi's preview ``{"environment_id", "verb", "changes",
    "resources"}`` or raises a GreenticError; it runs only when there is someone to ask.
    ``--output json`` never asks (as ``terraform apply -json`` needs ``-auto-approve``): a
    question would break the document a program reads."""
    if yes:
        return
    if json_output:
        raise InvalidInputError(
            f"--yes: `{verb} {environment_id}` with JSON output does not ask for "
            "confirmation; pass --yes to apply without asking"
        )
    if not interactive():
        raise InvalidInputError(
            f"--yes: `{verb} {environment_id}` asks for confirmation on a terminal, and "
            "stdin/stdout is not one; pass --yes to apply without asking"
        )
    from greentic_iac.cli.terminal import colour_allowed

    sys.stdout.write(_review_text(document, engine, colour_allowed(sys.stdout)))
    sys.stdout.write(
        f"\nDo you want to {verb} {environment_id}? Only 'yes' is accepted to approve.\n"
        "  Enter a value: "
    )
    sys.stdout.flush()
    answer = sys.stdin.readline()
    if answer.strip() != "yes":
        raise ApplyCancelledError(f"{verb} cancelled: nothing was applied to {environment_id}")

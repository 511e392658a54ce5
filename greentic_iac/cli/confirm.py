"""Review, then apply: what ``up``/``destroy`` show and ask before they touch a cloud.

On a terminal the offline preview is printed and the verb goes on only when the person
types ``yes`` (as ``terraform apply`` asks). ``--yes`` skips the question; without a
terminal there is no one to ask, so ``--yes`` (or ``up --plan FILE``, a plan already
reviewed) is required and its absence is invalid input, never a silent apply.
"""

from __future__ import annotations

import sys
from typing import Any

from greentic_iac.errors import GreenticError, InvalidInputError


class ApplyCancelledError(GreenticError):
    """The person at the terminal did not confirm; nothing was applied."""

    exit_code = 1


def interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def require_approval(
    verb: str, environment_id: str, document: dict[str, Any], yes: bool, *, json_output: bool
) -> None:
    """Return when ``verb`` may go on; print the preview and ask on a terminal.

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
    import os

    from greentic_iac.preview import render

    colour = not os.environ.get("NO_COLOR")
    sys.stdout.write(render(document, "text", colour=colour))
    sys.stdout.write(
        f"\nDo you want to {verb} {environment_id}? Only 'yes' is accepted to approve.\n"
        "  Enter a value: "
    )
    sys.stdout.flush()
    answer = sys.stdin.readline()
    if answer.strip() != "yes":
        raise ApplyCancelledError(f"{verb} cancelled: nothing was applied to {environment_id}")

"""Command-line quick forms that become the same answers payload as the file form.

``traffic set ENV --deployment shop --weight shop@1=99 --weight shop@2=1`` is the commonest
change; it is turned into ``{"environment_id", "deployment_id", "entries"}`` with full ids
here, once, and then parsed, run and audited exactly as ``--answers`` would be. Names are
resolved against the environment's current state by the resolver answers files use
(operations/names.py), with the flag as the field an error names.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from greentic_iac.errors import InvalidInputError
from greentic_iac.operations.names import resolve_deployment, resolve_revision

if TYPE_CHECKING:
    import argparse

    from greentic_iac.cli.context import Context
    from greentic_iac.spec import EnvironmentState

_WEIGHT = re.compile(r"^(?P<revision>[^=\s]+)=(?P<amount>\d+(?:\.\d+)?)(?P<unit>%|bps)?$")


def wants_quick_form(command: str, args: argparse.Namespace) -> bool:
    return command == "traffic set" and bool(
        getattr(args, "deployment", None) or getattr(args, "weight", None)
    )


def _entry(state: EnvironmentState, deployment_id: str, text: str) -> dict[str, Any]:
    match = _WEIGHT.match(text)
    if match is None:
        raise InvalidInputError(
            f"--weight {text}: expected REVISION=PERCENT (e.g. shop@2=10, or =1000bps)"
        )
    revision_id = resolve_revision(
        state, match["revision"], f"--weight {match['revision']}", deployment_id
    )
    if match["unit"] == "bps":
        if "." in match["amount"]:
            raise InvalidInputError(f"--weight {text}: basis points are whole numbers")
        return {"revision_id": revision_id, "weight_bps": int(match["amount"])}
    return {"revision_id": revision_id, "weight_percent": match["amount"]}


def traffic_set_document(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    """The answers document the quick form stands for, names resolved to full ids."""
    if args.answers is not None:
        raise InvalidInputError("--answers: give the payload in a file or as flags, not both")
    if not args.environment_id:
        raise InvalidInputError("environment_id: the quick form names the environment first")
    if not args.deployment or not args.weight:
        raise InvalidInputError("--deployment and --weight: the quick form needs both")
    state = ctx.environment_state()
    deployment_id = resolve_deployment(state, args.deployment, "--deployment")
    document: dict[str, Any] = {
        "environment_id": state.environment.environment_id,
        "deployment_id": deployment_id,
        "entries": [_entry(state, deployment_id, text) for text in args.weight],
    }
    if args.override_policy:
        document["override_policy"] = True
    if args.idempotency_key:
        document["idempotency_key"] = args.idempotency_key
    return document

"""Command-line quick forms that become the same answers payload as the file form.

``traffic set ENV --deployment shop --weight shop@1=99 --weight shop@2=1`` is the commonest
change; it is turned into ``{"environment_id", "deployment_id", "entries"}`` with full ids
here, once, and then parsed, run and audited exactly as ``--answers`` would be. Names are
resolved against the environment's current state: a deployment by id or by its bundle id
when that is unique; a revision by id, by a unique id prefix, or as ``<bundle_id>@<seq>``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from greentic_iac.errors import InvalidInputError, NotFoundError

if TYPE_CHECKING:
    import argparse

    from greentic_iac.cli.context import Context
    from greentic_iac.spec import EnvironmentState

_WEIGHT = re.compile(r"^(?P<revision>[^=\s]+)=(?P<amount>\d+(?:\.\d+)?)(?P<unit>%|bps)?$")
_SEQUENCE = re.compile(r"^(?P<bundle>[^@]+)@(?P<sequence>\d+)$")


def wants_quick_form(command: str, args: argparse.Namespace) -> bool:
    return command == "traffic set" and bool(
        getattr(args, "deployment", None) or getattr(args, "weight", None)
    )


def _deployment_id(state: EnvironmentState, name: str) -> str:
    if name in state.deployments:
        return name
    matches = sorted(d for d, dep in state.deployments.items() if dep.bundle_id == name)
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise InvalidInputError(
            f"--deployment: bundle {name!r} has {len(matches)} deployments; name one by id: "
            + ", ".join(matches)
        )
    raise NotFoundError(
        f"--deployment: no deployment {name!r} in environment "
        f"{state.environment.environment_id} (see `bundles list`)"
    )


def _revision_id(state: EnvironmentState, deployment_id: str, name: str) -> str:
    if name in state.revisions:
        return name
    by_sequence = _SEQUENCE.match(name)
    if by_sequence is not None:
        bundle = state.deployments[deployment_id].bundle_id
        if by_sequence["bundle"] != bundle:
            raise InvalidInputError(
                f"--weight {name}: deployment {deployment_id} deploys bundle {bundle!r}"
            )
        sequence = int(by_sequence["sequence"])
        matches = [
            r
            for r, revision in state.revisions.items()
            if revision.deployment_id == deployment_id and revision.sequence == sequence
        ]
    else:
        matches = [
            r
            for r, revision in state.revisions.items()
            if r.startswith(name.upper()) and revision.deployment_id == deployment_id
        ]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise InvalidInputError(f"--weight {name}: the prefix names {len(matches)} revisions")
    raise NotFoundError(
        f"--weight {name}: no revision of deployment {deployment_id} by that id, prefix or "
        "<bundle>@<sequence> (see `revisions list`)"
    )


def _entry(state: EnvironmentState, deployment_id: str, text: str) -> dict[str, Any]:
    match = _WEIGHT.match(text)
    if match is None:
        raise InvalidInputError(
            f"--weight {text}: expected REVISION=PERCENT (e.g. shop@2=10, or =1000bps)"
        )
    revision_id = _revision_id(state, deployment_id, match["revision"])
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
    deployment_id = _deployment_id(state, args.deployment)
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

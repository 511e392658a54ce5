"""The legacy ``dev`` environment name, resolved once for every verb (seed A4b).

After ``env migrate-dev`` records an alias, a verb that names ``dev`` (positionally,
``--env`` or in its answers) runs against the alias's target with a warning on stderr, or
is refused when ``GREENTIC_DEV_ALIAS=off``. Nothing is imported or read unless a verb
actually names ``dev``, so the other verbs pay nothing for it.
"""

from __future__ import annotations

import sys
from typing import Any

from greentic_iac.cli.context import Context

LEGACY_NAME = "dev"
_ARGUMENTS = ("environment_id", "env")
# migrate-dev's positional is the new name, not an environment to resolve.
_EXEMPT = frozenset({"env migrate-dev"})


def resolve_legacy_names(ctx: Context, command: str, payload: Any) -> Any:
    """``payload`` (and ``ctx.args``) with ``dev`` replaced by its alias's target."""
    if command in _EXEMPT:
        return payload
    named = [a for a in _ARGUMENTS if getattr(ctx.args, a, None) == LEGACY_NAME]
    in_payload = getattr(payload, "environment_id", None) == LEGACY_NAME
    if not named and not in_payload:
        return payload
    from greentic_iac.operations.dev_migration import resolve_environment_id

    target, warning = resolve_environment_id(ctx.greentic_home, LEGACY_NAME)
    if warning:
        sys.stderr.write(warning + "\n")
    if target == LEGACY_NAME:
        return payload
    for argument in named:
        setattr(ctx.args, argument, target)
    if in_payload:
        payload = payload.model_copy(update={"environment_id": target})
    return payload

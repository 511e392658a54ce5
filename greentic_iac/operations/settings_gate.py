"""Refuse deployment and revision settings the deployer would refuse, when they are written.

``BundleDeployment.settings`` and ``Revision.settings`` belong to the deployer pack's
target (an override model per target), so the spec stores them as open objects. Checked
only at plan time, one bad value broke ``plan``, ``preview`` and ``export`` for the whole
environment. The deployer's own compiler is the judge (the CLI names no target): the state
is compiled before and after the change, and an error that only the new state has is the
new settings' fault. Compiling is pure, so this runs inside the transaction.
"""

from __future__ import annotations

import re

from greentic_iac.errors import GreenticError, InvalidInputError
from greentic_iac.plan.model import Compiler
from greentic_iac.spec.state import EnvironmentState

# A field path after the prefix, as some compilers write it: "settings: port: …".
_NESTED_PATH = r"([A-Za-z_][\w.\[\]]*): "


def _compiler(state: EnvironmentState) -> Compiler | None:
    """The deployer's compiler; None when there is none to load (plan reports that)."""
    from greentic_iac.operations.planning import compiler_for

    try:
        return compiler_for(state)
    except (GreenticError, ImportError, AttributeError):
        return None


class _CannotJudge(Exception):
    """The compiler could not run at all (a missing optional dependency): no verdict."""


def _errors(compiler: Compiler, state: EnvironmentState) -> list[str]:
    """What the deployer refuses in ``state``, as one line per error."""
    try:
        plan = compiler(state)
    except (GreenticError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
        return [str(exc).splitlines()[0] if str(exc) else type(exc).__name__]
    except ImportError as exc:
        raise _CannotJudge from exc
    return [f"{f.code}: {f.message}" for f in plan.errors]


def check_new_settings(
    before: EnvironmentState, after: EnvironmentState, stored_at: str, field: str = "settings"
) -> None:
    """Raise ``InvalidInputError`` naming ``field`` when ``after`` has a new deployer error.

    ``stored_at`` is where the compiler names the new settings (``deployments.<id>.settings``);
    the message names the payload's field instead, so the user sees what they wrote.
    """
    # The change adds settings, never rebinds the deployer: one compiler judges both states.
    compiler = _compiler(before)
    if compiler is None:
        return
    try:
        old = _errors(compiler, before)
        fresh = [error for error in _errors(compiler, after) if error not in old]
    except _CannotJudge:
        return  # plan, which needs the same dependency, reports it with its install hint
    if not fresh:
        return
    message = fresh[0]
    if stored_at in message:
        message = message[message.index(stored_at) :].replace(stored_at, field, 1)
    else:
        message = f"{field}: {message}"
    message = re.sub(rf"^{re.escape(field)}: {_NESTED_PATH}", rf"{field}.\1: ", message, count=1)
    deployer = after.environment.deployer()
    kind = f" ({deployer.kind} refuses it)" if deployer is not None else ""
    raise InvalidInputError(message + kind)

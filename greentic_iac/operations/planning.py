"""Environment -> plan: the deployer pack's compiler, with error findings refused.

Shared by the Pulumi program, ``plan``, ``preview``, ``export`` and the apply verbs, so
every path compiles an environment the same way.
"""

from __future__ import annotations

from greentic_iac.errors import InvalidInputError
from greentic_iac.plan.model import Compiler, Plan
from greentic_iac.spec.state import EnvironmentState


def compiler_for(state: EnvironmentState) -> Compiler:
    """The deployer pack's compiler: registry -> handler -> target -> ``compile``."""
    from greentic_iac.targets import target_for

    return target_for(state).compile


def compile_environment(state: EnvironmentState, compiler: Compiler | None = None) -> Plan:
    """Compile ``state`` with its deployer's compiler; a plan with error findings is refused."""
    plan = (compiler or compiler_for(state))(state)
    if plan.errors:
        first = plan.errors[0]
        raise InvalidInputError(
            f"plan for {plan.environment_id}: {first.code}: {first.message}"
            + (f" ({first.subject})" if first.subject else "")
        )
    return plan

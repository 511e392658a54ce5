"""Environment -> plan: the deployer pack's compiler, with error findings refused.

Shared by the Pulumi program, ``plan``, ``preview``, ``export`` and the apply verbs, so
every path compiles an environment the same way.
"""

from __future__ import annotations

from greentic_iac.errors import InvalidInputError
from greentic_iac.plan.model import Compiler, Plan
from greentic_iac.spec.state import EnvironmentState


def compiler_for(state: EnvironmentState) -> Compiler:
    """The deployer pack's compiler: registry -> handler -> ``compiler_path`` -> function."""
    from greentic_iac.envpacks import EnvPackRegistry, compiler_path_of
    from greentic_iac.targets import load_compiler

    deployer = state.environment.deployer()
    if deployer is None:
        raise InvalidInputError(
            f"environment {state.environment.environment_id}: no deployer pack is bound"
        )
    handler = EnvPackRegistry.discover().resolve(deployer.kind)
    path = compiler_path_of(handler)
    if path is None:
        raise InvalidInputError(
            f"environment {state.environment.environment_id}: deployer {deployer.kind} "
            "declares no compiler"
        )
    return load_compiler(path)


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

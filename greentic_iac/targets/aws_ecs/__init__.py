"""The AWS ECS (Fargate) target: ``compile_plan(state) -> Plan``, its settings model and its
allocation hook (``reconcile_allocations``, run by the operations after every change)."""

from greentic_iac.targets.aws_ecs.allocation import reconcile_allocations
from greentic_iac.targets.aws_ecs.compiler import TARGET, compile_plan, load_settings
from greentic_iac.targets.aws_ecs.settings import AwsEcsSettings, ServiceSettings

__all__ = [
    "TARGET",
    "AwsEcsSettings",
    "ServiceSettings",
    "compile_plan",
    "load_settings",
    "reconcile_allocations",
]

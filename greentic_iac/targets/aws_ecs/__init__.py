"""The AWS ECS (Fargate) target: ``compile_plan(state) -> Plan`` and its settings model."""

from greentic_iac.targets.aws_ecs.compiler import TARGET, compile_plan, load_settings
from greentic_iac.targets.aws_ecs.settings import AwsEcsSettings, ServiceSettings

__all__ = ["TARGET", "AwsEcsSettings", "ServiceSettings", "compile_plan", "load_settings"]

"""The AWS provider settings an AWS ECS stack pins (``Target.provider_config``).

``aws:region`` comes from the environment's deployment context, else the deployer's
``region`` setting: a stack run without it would deploy wherever the shell's profile
points. Never a secret (credentials come from the runner's AWS environment).
"""

from __future__ import annotations

from greentic_iac.spec.state import EnvironmentState
from greentic_iac.targets import aws_region


def provider_config(state: EnvironmentState) -> dict[str, str]:
    region = aws_region(state)
    return {"aws:region": region} if region else {}

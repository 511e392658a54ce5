"""Physical names that survive replacement: a name changes when a replace-forcing input does.

Pulumi replaces create-before-delete: the new resource exists before the old is deleted,
so a replacement under the same explicit name collides (``DuplicateTargetGroupName``).
Each named type either varies its name with its replace-forcing inputs or never has them
change (the table in docs/targets/aws-ecs.md):

- TargetGroup (``port``, ``protocol``, ``targetType``, ``vpcId`` force a replace): the inputs
  a revision's target group was first created with are recorded in the state
  (``TARGET_GROUP_INPUTS``); while they hold, the name is today's ``gt-<env>-<revision>``;
  once they change, a suffix from the new inputs gives the replacement its own name.
- LoadBalancer (``internal`` forces a replace): an internal ALB's name carries ``internal``.
- ECS service, cluster, IAM role, log group: their only replace-forcing input is the name
  itself (or the cluster, and service names are per cluster), so they never collide.
- Security groups carry no explicit name (Pulumi auto-names them).
"""

from __future__ import annotations

import hashlib
import json
from typing import Final

from greentic_iac.plan import logical_name
from greentic_iac.targets.aws_ecs.settings import AwsEcsSettings, CreateNetwork

TARGET_GROUP_INPUTS: Final = "aws.target-group.replace-inputs"
TARGET_GROUP_PROTOCOL: Final = "HTTP"
TARGET_TYPE: Final = "ip"


def network_signature(settings: AwsEcsSettings) -> str:
    """What decides the VPC the target groups sit in (a new CIDR is a new VPC)."""
    net = settings.network
    return f"create:{net.cidr_block}" if isinstance(net, CreateNetwork) else f"vpc:{net.vpc_id}"


def target_group_inputs(port: int, settings: AwsEcsSettings) -> int:
    """A 28-bit fingerprint of a target group's replace-forcing inputs."""
    text = json.dumps(
        [port, TARGET_GROUP_PROTOCOL, TARGET_TYPE, network_signature(settings)], sort_keys=True
    )
    return int(hashlib.sha256(text.encode()).hexdigest()[:7], 16)


def target_group_name(
    environment_id: str, revision_id: str, recorded: int | None, current: int
) -> str:
    """``gt-<env>-<revision>`` while the first inputs hold; a distinct name after a change."""
    if recorded is None or recorded == current:
        return logical_name("gt", environment_id, revision_id, max_length=32)
    return logical_name("gt", environment_id, revision_id, f"{current:07x}", max_length=32)


def load_balancer_name(environment_id: str, internal: bool) -> str:
    return logical_name(environment_id, "alb", "internal" if internal else "", max_length=32)

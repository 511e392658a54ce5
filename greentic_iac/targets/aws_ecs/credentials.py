"""Least-privilege IAM for applying an AWS ECS plan, and a check of the caller against it.

``credentials policy ENV`` prints ``iam_policy_for_plan(plan)``: the actions are derived from
the resource types in the plan (a plan without a NAT gateway asks for no NAT actions), IAM
and CloudWatch Logs are scoped by the names the compiler gives, and ``iam:PassRole`` only
to ECS tasks. ELBv2, ECS and EC2 resources get ``Resource: "*"``: their ARNs carry random
ids only known after creation. ``credentials validate ENV`` calls
``validate_credentials(plan, session)``: STS GetCallerIdentity, then, where the API allows,
``iam:SimulatePrincipalPolicy`` for every action, reporting each one that is denied.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from greentic_iac.errors import PreflightError
from greentic_iac.plan import Plan

# Pulumi reads every resource back after writing it, and tags it, so each type needs its
# create/describe/update/delete/tag actions.
_ACTIONS: Final[dict[str, tuple[str, ...]]] = {
    "aws:ec2/vpc:Vpc": (
        "ec2:CreateVpc", "ec2:DeleteVpc", "ec2:DescribeVpcs", "ec2:ModifyVpcAttribute",
        "ec2:DescribeVpcAttribute",
    ),
    "aws:ec2/subnet:Subnet": (
        "ec2:CreateSubnet", "ec2:DeleteSubnet", "ec2:DescribeSubnets",
        "ec2:ModifySubnetAttribute",
        # The provider waits for the ENIs ECS and ELB leave behind before a delete.
        "ec2:DescribeNetworkInterfaces",
    ),
    "aws:ec2/internetGateway:InternetGateway": (
        "ec2:CreateInternetGateway", "ec2:DeleteInternetGateway",
        "ec2:AttachInternetGateway", "ec2:DetachInternetGateway",
        "ec2:DescribeInternetGateways",
    ),
    "aws:ec2/eip:Eip": (
        "ec2:AllocateAddress", "ec2:ReleaseAddress", "ec2:DescribeAddresses",
        "ec2:DescribeAddressesAttribute",
    ),
    "aws:ec2/natGateway:NatGateway": (
        "ec2:CreateNatGateway", "ec2:DeleteNatGateway", "ec2:DescribeNatGateways",
    ),
    "aws:ec2/routeTable:RouteTable": (
        "ec2:CreateRouteTable", "ec2:DeleteRouteTable", "ec2:DescribeRouteTables",
    ),
    "aws:ec2/route:Route": ("ec2:CreateRoute", "ec2:DeleteRoute", "ec2:ReplaceRoute"),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": (
        "ec2:AssociateRouteTable", "ec2:DisassociateRouteTable",
    ),
    "aws:ec2/securityGroup:SecurityGroup": (
        "ec2:CreateSecurityGroup", "ec2:DeleteSecurityGroup", "ec2:DescribeSecurityGroups",
        "ec2:RevokeSecurityGroupEgress", "ec2:DescribeSecurityGroupRules",
        "ec2:DescribeNetworkInterfaces",
    ),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": (
        "ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress",
        "ec2:DescribeSecurityGroupRules", "ec2:ModifySecurityGroupRules",
    ),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": (
        "ec2:AuthorizeSecurityGroupEgress", "ec2:RevokeSecurityGroupEgress",
        "ec2:DescribeSecurityGroupRules", "ec2:ModifySecurityGroupRules",
    ),
    "aws:lb/loadBalancer:LoadBalancer": (
        "elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:DeleteLoadBalancer",
        "elasticloadbalancing:DescribeLoadBalancers",
        "elasticloadbalancing:DescribeLoadBalancerAttributes",
        "elasticloadbalancing:ModifyLoadBalancerAttributes",
        "elasticloadbalancing:SetSecurityGroups", "elasticloadbalancing:SetSubnets",
    ),
    "aws:lb/listener:Listener": (
        "elasticloadbalancing:CreateListener", "elasticloadbalancing:DeleteListener",
        "elasticloadbalancing:DescribeListeners", "elasticloadbalancing:ModifyListener",
        "elasticloadbalancing:DescribeListenerAttributes",
    ),
    "aws:lb/listenerRule:ListenerRule": (
        "elasticloadbalancing:CreateRule", "elasticloadbalancing:DeleteRule",
        "elasticloadbalancing:DescribeRules", "elasticloadbalancing:ModifyRule",
        "elasticloadbalancing:SetRulePriorities",
    ),
    "aws:lb/targetGroup:TargetGroup": (
        "elasticloadbalancing:CreateTargetGroup", "elasticloadbalancing:DeleteTargetGroup",
        "elasticloadbalancing:DescribeTargetGroups",
        "elasticloadbalancing:DescribeTargetGroupAttributes",
        "elasticloadbalancing:ModifyTargetGroup",
        "elasticloadbalancing:ModifyTargetGroupAttributes",
    ),
    "aws:ecs/cluster:Cluster": (
        "ecs:CreateCluster", "ecs:DeleteCluster", "ecs:DescribeClusters",
        "ecs:UpdateCluster",
    ),
    "aws:ecs/taskDefinition:TaskDefinition": (
        "ecs:RegisterTaskDefinition", "ecs:DeregisterTaskDefinition",
        "ecs:DescribeTaskDefinition",
    ),
    "aws:ecs/service:Service": (
        "ecs:CreateService", "ecs:DeleteService", "ecs:DescribeServices",
        "ecs:UpdateService",
    ),
    "aws:cloudwatch/logGroup:LogGroup": (
        "logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy",
        "logs:DescribeLogGroups", "logs:ListTagsForResource", "logs:TagResource",
        "logs:UntagResource",
    ),
    "aws:iam/role:Role": (
        "iam:CreateRole", "iam:DeleteRole", "iam:GetRole", "iam:UpdateAssumeRolePolicy",
        "iam:TagRole", "iam:UntagRole", "iam:ListRolePolicies",
        "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole",
    ),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": (
        "iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:ListAttachedRolePolicies",
    ),
    "aws:iam/rolePolicy:RolePolicy": (
        "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:GetRolePolicy",
    ),
}  # fmt: skip
_TAG_ACTIONS: Final[dict[str, tuple[str, ...]]] = {
    "ec2": ("ec2:CreateTags", "ec2:DeleteTags", "ec2:DescribeTags"),
    "elasticloadbalancing": (
        "elasticloadbalancing:AddTags",
        "elasticloadbalancing:RemoveTags",
        "elasticloadbalancing:DescribeTags",
    ),
    "ecs": ("ecs:TagResource", "ecs:UntagResource", "ecs:ListTagsForResource"),
}
_SIMULATE_BATCH: Final = 100


def _service(action: str) -> str:
    return action.split(":", 1)[0]


def required_actions(plan: Plan) -> list[str]:
    """Every IAM action applying ``plan`` needs, sorted (unknown types are refused)."""
    actions: set[str] = set()
    for resource in plan.resources:
        known = _ACTIONS.get(resource.type)
        if known is None:
            raise PreflightError(
                f"no IAM actions known for resource type {resource.type} ({resource.name})"
            )
        actions.update(known)
    for service in {_service(a) for a in actions}:
        actions.update(_TAG_ACTIONS.get(service, ()))
    if _service_linked_roles(plan):
        # ECS and ELB create their service-linked roles on first use in an account.
        actions.add("iam:CreateServiceLinkedRole")
    if any(r.type == "aws:iam/role:Role" for r in plan.resources):
        actions.add("iam:PassRole")
    return sorted(actions)


_SERVICE_LINKED: Final = {
    "aws:ecs/service:Service": "ecs.amazonaws.com",
    "aws:lb/loadBalancer:LoadBalancer": "elasticloadbalancing.amazonaws.com",
}


def _service_linked_roles(plan: Plan) -> list[str]:
    """The services whose service-linked role applying ``plan`` may create."""
    return sorted({_SERVICE_LINKED[r.type] for r in plan.resources if r.type in _SERVICE_LINKED})


def _role_names(plan: Plan) -> list[str]:
    return sorted(
        str(r.properties["name"])
        for r in plan.resources
        if r.type == "aws:iam/role:Role" and "name" in r.properties
    )


def _log_groups(plan: Plan) -> list[str]:
    return sorted(
        str(r.properties["name"])
        for r in plan.resources
        if r.type == "aws:cloudwatch/logGroup:LogGroup" and "name" in r.properties
    )


def iam_policy_for_plan(plan: Plan) -> dict[str, Any]:
    """The least-privilege identity policy (IAM JSON) for applying ``plan``."""
    actions = required_actions(plan)
    roles = [f"arn:*:iam::*:role/{name}" for name in _role_names(plan)]
    logs = [f"arn:*:logs:*:*:log-group:{name}" for name in _log_groups(plan)]
    logs += [f"{arn}:*" for arn in logs]
    statements: list[dict[str, Any]] = []
    by_scope: dict[str, list[str]] = {"iam": [], "logs": [], "other": []}
    for action in actions:
        service = _service(action)
        if action in {"iam:PassRole", "iam:CreateServiceLinkedRole"}:
            continue
        if service == "iam":
            by_scope["iam"].append(action)
        elif service == "logs" and action != "logs:DescribeLogGroups":
            by_scope["logs"].append(action)
        else:
            by_scope["other"].append(action)
    if by_scope["other"]:
        statements.append(
            {
                "Sid": "PlanResources",
                "Effect": "Allow",
                "Action": by_scope["other"],
                "Resource": "*",
            }
        )
    if by_scope["iam"] and roles:
        statements.append(
            {
                "Sid": "ExecutionRole",
                "Effect": "Allow",
                "Action": by_scope["iam"],
                "Resource": roles,
            }
        )
    if "iam:PassRole" in actions and roles:
        statements.append(
            {
                "Sid": "PassExecutionRoleToEcs",
                "Effect": "Allow",
                "Action": ["iam:PassRole"],
                "Resource": roles,
                "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
            }
        )
    if "iam:CreateServiceLinkedRole" in actions:
        statements.append(
            {
                "Sid": "ServiceLinkedRoles",
                "Effect": "Allow",
                "Action": ["iam:CreateServiceLinkedRole"],
                "Resource": "*",
                "Condition": {"StringEquals": {"iam:AWSServiceName": _service_linked_roles(plan)}},
            }
        )
    if by_scope["logs"] and logs:
        statements.append(
            {"Sid": "LogGroup", "Effect": "Allow", "Action": by_scope["logs"], "Resource": logs}
        )
    return {"Version": "2012-10-17", "Statement": statements}


@dataclass
class CredentialsReport:
    """What ``credentials validate`` found; ``ok`` only when the simulation allowed all."""

    account: str
    caller_arn: str
    actions_checked: int
    simulated: bool
    missing_actions: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def status(self) -> str:
        """``ok``, ``missing`` (an action is denied) or ``unverified`` (no simulation ran).

        Unverified is not ok: only the caller's identity was checked, not its permissions.
        """
        if self.missing_actions:
            return "missing"
        return "ok" if self.simulated else "unverified"

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "caller_arn": self.caller_arn,
            "actions_checked": self.actions_checked,
            "simulated": self.simulated,
            "missing_actions": self.missing_actions,
            "ok": self.ok,
            "status": self.status,
            "note": self.note,
        }


def principal_arn(caller_arn: str) -> str:
    """The IAM principal to simulate: an assumed-role session maps to its role."""
    # arn:aws:sts::123456789012:assumed-role/RoleName/session -> arn:aws:iam::…:role/RoleName
    parts = caller_arn.split(":", 5)
    if len(parts) == 6 and parts[2] == "sts" and parts[5].startswith("assumed-role/"):
        role = parts[5].split("/")[1]
        return f"arn:{parts[1]}:iam::{parts[4]}:role/{role}"
    return caller_arn


def validate_credentials(plan: Plan, session: Any) -> CredentialsReport:
    """Check the caller of ``session`` (a ``boto3.Session``) against the plan's actions.

    Raises ``PreflightError`` when no credentials resolve (STS fails). When the IAM
    simulation isn't available (no ``iam:SimulatePrincipalPolicy`` permission, a role with a
    path, an endpoint that doesn't implement it) the report says so with ``simulated=False``.
    """
    from botocore.exceptions import BotoCoreError, ClientError
    from botocore.parsers import ResponseParserError

    actions = required_actions(plan)
    try:
        identity = session.client("sts").get_caller_identity()
    except (BotoCoreError, ClientError) as exc:
        raise PreflightError(
            f"AWS credentials: STS GetCallerIdentity failed ({type(exc).__name__}); "
            "configure credentials (aws configure / AWS_PROFILE) and retry"
        ) from None
    account, caller = str(identity["Account"]), str(identity["Arn"])
    report = CredentialsReport(
        account=account, caller_arn=caller, actions_checked=len(actions), simulated=False
    )
    iam = session.client("iam")
    missing: list[str] = []
    try:
        for start in range(0, len(actions), _SIMULATE_BATCH):
            batch = actions[start : start + _SIMULATE_BATCH]
            pages = iam.get_paginator("simulate_principal_policy").paginate(
                PolicySourceArn=principal_arn(caller), ActionNames=batch
            )
            for page in pages:
                missing.extend(
                    str(result["EvalActionName"])
                    for result in page["EvaluationResults"]
                    if result["EvalDecision"] != "allowed"
                )
    except (BotoCoreError, ClientError, ResponseParserError) as exc:
        report.note = (
            f"policy simulation unavailable ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0][:200]}); only the caller identity was checked"
        )
        return report
    report.simulated = True
    report.missing_actions = sorted(set(missing))
    return report

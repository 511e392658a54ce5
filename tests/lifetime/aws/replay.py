"""Replay successive plans into moto_server the way ``pulumi up`` applies them.

``Replayer.apply(plan)`` diffs ``plan`` against the last plan it applied with the preview's
own diff (``greentic_iac.preview.diff.diff_resources``, so the replace decisions are the
ones ``replace_rules`` gives preview), then applies in Pulumi's step order:

1. creates, updates and replacements in the new plan's dependency order; a replacement
   creates the new resource first unless ``options.delete_before_replace`` is set (then
   the old one is deleted first);
2. deletes last (removed resources and the old halves of replacements), dependents first.

The ALB and ECS resources become real moto objects (moto enforces PriorityInUse,
DuplicateTargetGroupName, DuplicateLoadBalancerName and a target group still in use);
network plumbing that no invariant looks at (gateways, routes, IAM, log groups, security
group rules) gets placeholder outputs. Quotas moto doesn't enforce (100 rules per listener,
100 target groups per ALB) are checked here after every step.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.exceptions import ClientError

from greentic_iac.plan import Plan, PlanResource, is_ref
from greentic_iac.preview.diff import diff_resources
from tests.integration.aws_ecs import api_adapter as api

MAX_RULES_PER_LISTENER = 100
MAX_TARGET_GROUPS_PER_ALB = 100

_VPC = "aws:ec2/vpc:Vpc"
_SUBNET = "aws:ec2/subnet:Subnet"
_SG = "aws:ec2/securityGroup:SecurityGroup"
_ALB = "aws:lb/loadBalancer:LoadBalancer"
_LISTENER = "aws:lb/listener:Listener"
_TG = "aws:lb/targetGroup:TargetGroup"
_RULE = "aws:lb/listenerRule:ListenerRule"
_CLUSTER = "aws:ecs/cluster:Cluster"
_TASK = "aws:ecs/taskDefinition:TaskDefinition"
_SERVICE = "aws:ecs/service:Service"

_counter = itertools.count(1)


class ReplayError(AssertionError):
    """A step Pulumi would have failed on (the AWS error, or an invariant moto can't see)."""


@dataclass
class Live:
    type: str
    outputs: dict[str, Any]
    properties: dict[str, Any]


@dataclass
class Replayer:
    session: boto3.Session
    applied: Plan | None = None
    live: dict[str, Live] = field(default_factory=dict)
    steps: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.ec2 = self.session.client("ec2")
        self.elbv2 = self.session.client("elbv2")
        self.ecs = self.session.client("ecs")

    # -- the update --------------------------------------------------------------------------

    def apply(self, plan: Plan) -> list[dict[str, Any]]:
        """Apply ``plan`` over the last applied one; returns preview's change list."""
        changes, _ = diff_resources(self.applied, plan)
        action = {c["name"]: c["action"] for c in changes}
        old_order = self.applied.dependency_order() if self.applied else []
        replaced_old: dict[str, Live] = {}
        for resource in plan.dependency_order():
            step = action.get(resource.name)
            try:
                if step == "create":
                    self._create(resource)
                elif step == "update":
                    self._update(resource)
                elif step == "replace":
                    old = self.live.pop(resource.name)
                    if resource.options.delete_before_replace:
                        self._delete(resource.name, old)
                    else:
                        replaced_old[resource.name] = old
                    self._create(resource)
            except ClientError as exc:
                raise ReplayError(f"{step} {resource.name}: {exc}") from None
        deletes = [r.name for r in reversed(old_order) if action.get(r.name) == "delete"]
        for name in [n for n in (r.name for r in reversed(old_order)) if n in replaced_old]:
            self._safe_delete(name, replaced_old[name], "delete-replaced")
        for name in deletes:
            self._safe_delete(name, self.live.pop(name), "delete")
        self.applied = plan
        self._check_quotas()
        return changes

    def _safe_delete(self, name: str, live: Live, step: str) -> None:
        try:
            self._delete(name, live)
        except ClientError as exc:
            raise ReplayError(f"{step} {name}: {exc}") from None

    # -- references --------------------------------------------------------------------------

    def _resolve(self, value: Any) -> Any:
        if is_ref(value):
            target = self.live[value["$ref"]["resource"]]
            return target.outputs[value["$ref"]["output"]]
        if isinstance(value, dict):
            return {k: self._resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._resolve(v) for v in value]
        return value

    # -- per type ----------------------------------------------------------------------------

    def _create(self, resource: PlanResource) -> None:
        p = self._resolve(resource.properties)
        n = next(_counter)
        outputs: dict[str, Any] = {}
        if resource.type == _VPC:
            outputs["id"] = self.ec2.create_vpc(CidrBlock=p["cidrBlock"])["Vpc"]["VpcId"]
        elif resource.type == _SUBNET:
            outputs["id"] = self.ec2.create_subnet(
                VpcId=p["vpcId"], CidrBlock=p["cidrBlock"], AvailabilityZone=p["availabilityZone"]
            )["Subnet"]["SubnetId"]
        elif resource.type == _SG:
            # Pulumi auto-names a security group: logical name + random suffix.
            outputs["id"] = self.ec2.create_security_group(
                **api.create_security_group(p, f"{resource.name}-{n:07x}")
            )["GroupId"]
        elif resource.type == _ALB:
            created = self.elbv2.create_load_balancer(
                Name=p["name"],
                Subnets=p["subnets"],
                SecurityGroups=p["securityGroups"],
                Scheme="internal" if p.get("internal") else "internet-facing",
                Type="application",
            )["LoadBalancers"][0]
            outputs.update(arn=created["LoadBalancerArn"], dnsName=created["DNSName"])
        elif resource.type == _LISTENER:
            outputs["arn"] = self.elbv2.create_listener(**api.create_listener(p))["Listeners"][0][
                "ListenerArn"
            ]
        elif resource.type == _TG:
            outputs["arn"] = self.elbv2.create_target_group(**api.create_target_group(p))[
                "TargetGroups"
            ][0]["TargetGroupArn"]
        elif resource.type == _RULE:
            outputs["arn"] = self.elbv2.create_rule(**api.create_rule(p))["Rules"][0]["RuleArn"]
        elif resource.type == _CLUSTER:
            outputs["arn"] = self.ecs.create_cluster(clusterName=p["name"])["cluster"]["clusterArn"]
        elif resource.type == _TASK:
            outputs["arn"] = self.ecs.register_task_definition(**api.register_task_definition(p))[
                "taskDefinition"
            ]["taskDefinitionArn"]
        elif resource.type == _SERVICE:
            outputs["arn"] = self.ecs.create_service(**api.create_service(p))["service"][
                "serviceArn"
            ]
        else:
            # Plumbing no invariant reads: placeholder outputs of the right shape.
            outputs.update(
                id=f"{resource.name}-{n:08x}",
                arn=f"arn:aws:placeholder:eu-west-1:123456789012:{resource.name}/{n}",
                name=p.get("name", f"{resource.name}-{n}"),
            )
        self.live[resource.name] = Live(resource.type, outputs, p)
        self.steps.append(f"create {resource.name}")

    def _update(self, resource: PlanResource) -> None:
        live = self.live[resource.name]
        p = self._resolve(resource.properties)
        if resource.type == _RULE:
            if p["priority"] != live.properties["priority"]:
                self.elbv2.set_rule_priorities(
                    RulePriorities=[{"RuleArn": live.outputs["arn"], "Priority": p["priority"]}]
                )
            request = api.create_rule(p)
            self.elbv2.modify_rule(
                RuleArn=live.outputs["arn"],
                Conditions=request["Conditions"],
                Actions=request["Actions"],
            )
        elif resource.type == _LISTENER:
            self.elbv2.modify_listener(
                ListenerArn=live.outputs["arn"],
                DefaultActions=api.create_listener(p)["DefaultActions"],
            )
        elif resource.type == _SERVICE:
            self.ecs.update_service(
                cluster=p["cluster"],
                service=p["name"],
                desiredCount=p["desiredCount"],
                taskDefinition=p["taskDefinition"],
            )
        live.properties = p
        self.steps.append(f"update {resource.name}")

    def _delete(self, name: str, live: Live) -> None:
        o = live.outputs
        if live.type == _RULE:
            self.elbv2.delete_rule(RuleArn=o["arn"])
        elif live.type == _TG:
            self.elbv2.delete_target_group(TargetGroupArn=o["arn"])
        elif live.type == _LISTENER:
            self.elbv2.delete_listener(ListenerArn=o["arn"])
        elif live.type == _ALB:
            self.elbv2.delete_load_balancer(LoadBalancerArn=o["arn"])
        elif live.type == _SERVICE:
            self.ecs.delete_service(
                cluster=live.properties["cluster"], service=live.properties["name"], force=True
            )
        elif live.type == _TASK:
            self.ecs.deregister_task_definition(taskDefinition=o["arn"])
        elif live.type == _CLUSTER:
            self.ecs.delete_cluster(cluster=o["arn"])
        elif live.type == _SG:
            self.ec2.delete_security_group(GroupId=o["id"])
        elif live.type == _SUBNET:
            self.ec2.delete_subnet(SubnetId=o["id"])
        elif live.type == _VPC:
            self.ec2.delete_vpc(VpcId=o["id"])
        self.steps.append(f"delete {name}")

    # -- what moto doesn't check -------------------------------------------------------------

    def _check_quotas(self) -> None:
        for listener in self._listeners():
            rules = [
                r
                for r in self.elbv2.describe_rules(ListenerArn=listener)["Rules"]
                if not r["IsDefault"]
            ]
            if len(rules) > MAX_RULES_PER_LISTENER:
                raise ReplayError(f"{listener}: {len(rules)} rules (ALB allows 100)")
            groups = {
                g.get("TargetGroupArn")
                for r in rules
                for a in r["Actions"]
                for g in [a, *a.get("ForwardConfig", {}).get("TargetGroups", [])]
                if g.get("TargetGroupArn")
            }
            if len(groups) > MAX_TARGET_GROUPS_PER_ALB:
                raise ReplayError(f"{listener}: {len(groups)} target groups (an ALB allows 100)")

    def _listeners(self) -> list[str]:
        arns = []
        for lb in self.elbv2.describe_load_balancers()["LoadBalancers"]:
            listeners = self.elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])
            arns += [listener["ListenerArn"] for listener in listeners["Listeners"]]
        return arns

    # -- read back ---------------------------------------------------------------------------

    def rule_weights(self, rule_names: list[str]) -> dict[str, dict[str, int]]:
        """Per rule, target group logical name -> weight, read back from moto (one call)."""
        if not rule_names:
            return {}
        arns = {self.live[name].outputs["arn"]: name for name in rule_names}
        rules = self.elbv2.describe_rules(RuleArns=list(arns))["Rules"]
        by_arn = {v.outputs.get("arn"): k for k, v in self.live.items() if v.type == _TG}
        found: dict[str, dict[str, int]] = {}
        for rule in rules:
            action = rule["Actions"][0]
            groups = action.get("ForwardConfig", {}).get("TargetGroups", [])
            found[arns[rule["RuleArn"]]] = (
                {by_arn[g["TargetGroupArn"]]: g["Weight"] for g in groups}
                if action["Type"] == "forward"
                else {}
            )
        return found

    def desired_counts(self) -> dict[str, int]:
        """Service logical name -> desired count, read back from moto (10 per call)."""
        services = [(k, v) for k, v in self.live.items() if v.type == _SERVICE]
        found: dict[str, int] = {}
        for start in range(0, len(services), 10):
            chunk = services[start : start + 10]
            by_name = {v.properties["name"]: k for k, v in chunk}
            described = self.ecs.describe_services(
                cluster=chunk[0][1].properties["cluster"], services=list(by_name)
            )["services"]
            found.update({by_name[s["serviceName"]]: int(s["desiredCount"]) for s in described})
        return found

    def rule_priority(self, rule_name: str) -> int:
        arn = self.live[rule_name].outputs["arn"]
        return int(self.elbv2.describe_rules(RuleArns=[arn])["Rules"][0]["Priority"])

    def describe(self) -> str:
        return json.dumps(self.steps[-40:], indent=1)

"""The AWS ECS target: an environment's state in, a Plan of pulumi-aws resources out.

Pure and deterministic: no I/O, logical names from ids only (``logical_name``), properties
in Pulumi wire names (camelCase, as in the pulumi-aws schema). Shared infrastructure (VPC,
security groups, ALB, listeners, cluster, execution role, log group) comes first; then per
deployment one weighted listener rule and per live revision a target group, a task
definition, an ECS service and a header-pinned listener rule. See docs/targets/aws-ecs.md.
"""

from __future__ import annotations

import ipaddress
import json
from collections import defaultdict
from collections.abc import Iterable
from typing import Any, Final

from pydantic import ValidationError

from greentic_iac.errors import InvalidInputError
from greentic_iac.plan import (
    DeploymentTraffic,
    Finding,
    Plan,
    PlanResource,
    Severity,
    logical_name,
    ref,
)
from greentic_iac.spec import (
    BundleDeployment,
    EnvironmentState,
    Revision,
    RevisionLifecycle,
    format_validation_error,
)
from greentic_iac.targets.alb_weights import (
    AlbLimitError,
    alb_limit_problems,
    alb_weights,
)
from greentic_iac.targets.aws_ecs.allocation import PRIORITY, missing_allocations
from greentic_iac.targets.aws_ecs.naming import (
    TARGET_GROUP_INPUTS,
    load_balancer_name,
    target_group_inputs,
    target_group_name,
)
from greentic_iac.targets.aws_ecs.rules import (
    SUBNET_SPLIT_BITS,
    check_environment_id,
    route_problem,
)
from greentic_iac.targets.aws_ecs.settings import (
    AwsEcsSettings,
    CreateLoadBalancer,
    CreateNetwork,
    ExistingCluster,
    ExistingListener,
    ExistingNetwork,
    ServiceSettings,
    merged_service_settings,
)

TARGET: Final = "greentic.deployer.aws-ecs"
CONTAINER_NAME: Final = "app"
REVISION_HEADER: Final = "x-greentic-revision"
EXECUTION_POLICY: Final = "policy/service-role/AmazonECSTaskExecutionRolePolicy"
MAX_TOLERATED_ERROR_BPS: Final = 10.0
TAG_PREFIX: Final = "greentic:"

_T_VPC = "aws:ec2/vpc:Vpc"
_T_SUBNET = "aws:ec2/subnet:Subnet"
_T_IGW = "aws:ec2/internetGateway:InternetGateway"
_T_EIP = "aws:ec2/eip:Eip"
_T_NAT = "aws:ec2/natGateway:NatGateway"
_T_RT = "aws:ec2/routeTable:RouteTable"
_T_ROUTE = "aws:ec2/route:Route"
_T_RTA = "aws:ec2/routeTableAssociation:RouteTableAssociation"
_T_SG = "aws:ec2/securityGroup:SecurityGroup"
_T_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
_T_EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
_T_ALB = "aws:lb/loadBalancer:LoadBalancer"
_T_LISTENER = "aws:lb/listener:Listener"
_T_RULE = "aws:lb/listenerRule:ListenerRule"
_T_TG = "aws:lb/targetGroup:TargetGroup"
_T_CLUSTER = "aws:ecs/cluster:Cluster"
_T_TASK = "aws:ecs/taskDefinition:TaskDefinition"
_T_SERVICE = "aws:ecs/service:Service"
_T_ROLE = "aws:iam/role:Role"
_T_ROLE_ATTACH = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
_T_ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
_T_LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"

RESOURCE_TYPES: Final = (
    _T_VPC, _T_SUBNET, _T_IGW, _T_EIP, _T_NAT, _T_RT, _T_ROUTE, _T_RTA, _T_SG, _T_INGRESS,
    _T_EGRESS, _T_ALB, _T_LISTENER, _T_RULE, _T_TG, _T_CLUSTER, _T_TASK, _T_SERVICE, _T_ROLE,
    _T_ROLE_ATTACH, _T_ROLE_POLICY, _T_LOG_GROUP,
)  # fmt: skip


# Desired count per lifecycle: None means "the configured count".
_DESIRED: Final[dict[RevisionLifecycle, int | None]] = {
    RevisionLifecycle.STAGED: 0,
    RevisionLifecycle.WARMING: None,
    RevisionLifecycle.READY: None,
    RevisionLifecycle.DRAINING: None,
    RevisionLifecycle.INACTIVE: 0,
}


def partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def _path_patterns(prefix: str) -> list[str]:
    """ALB path patterns for a prefix: the prefix itself and everything below it."""
    if prefix == "/":
        return []
    base = prefix.rstrip("/")
    return [base, f"{base}/*"]


def load_settings(state: EnvironmentState) -> AwsEcsSettings:
    """The deployer binding's settings, validated (``InvalidInputError`` naming the field)."""
    binding = state.environment.deployer()
    if binding is None or binding.kind.path != TARGET:
        raise InvalidInputError(
            f"environment {state.environment.environment_id}: the deployer slot is not bound "
            f"to {TARGET}"
        )
    check_environment_id(state.environment.environment_id)
    try:
        return AwsEcsSettings.model_validate(binding.settings)
    except ValidationError as exc:
        raise InvalidInputError(
            format_validation_error(exc, prefix="deployer settings: ")
        ) from None


class _Builder:
    """Accumulates resources and findings for one compile (one instance per call)."""

    def __init__(self, state: EnvironmentState, settings: AwsEcsSettings) -> None:
        self.state = state
        self.settings = settings
        self.env = state.environment.environment_id
        self.partition = partition_of(settings.region)
        self.resources: list[PlanResource] = []
        self.findings: list[Finding] = []
        self.traffic: list[DeploymentTraffic] = []
        self.outputs: dict[str, Any] = {}
        env = state.environment
        tags = {
            "tenant": env.tenant.tenant,
            "team": env.tenant.team,
            "cloud": env.deployment.cloud.value,
            "region": env.deployment.region or settings.region,
            "platform": env.deployment.platform.value,
            "environment": self.env,
        }
        self.base_tags = {TAG_PREFIX + k: v for k, v in tags.items() if v is not None}
        self.secret_arns: set[str] = set()

    # -- helpers ---------------------------------------------------------------------------

    def add(
        self,
        type_: str,
        name: str,
        properties: dict[str, Any],
        depends_on: Iterable[str] = (),
    ) -> str:
        # Built from already-validated settings and ids: skip re-validating each resource
        # (10k resources per compile); Plan's own validator still checks names and refs.
        self.resources.append(
            PlanResource.trusted(
                type=type_, name=name, properties=properties, depends_on=list(depends_on)
            )
        )
        return name

    def tags(self, **ids: str) -> dict[str, str]:
        if not ids:
            return self.base_tags
        return {**self.base_tags, **{TAG_PREFIX + k: v for k, v in ids.items()}}

    def finding(
        self, severity: Severity, code: str, message: str, subject: str | None = None
    ) -> None:
        self.findings.append(
            Finding(severity=severity, code=code, message=message, subject=subject)
        )

    def allocated(self, owner: str) -> int:
        """The owner's listener-rule priority from the state (never recomputed here)."""
        value = self.state.allocations.get(owner, {}).get(PRIORITY)
        if value is None:
            raise InvalidInputError(f"allocations.{owner}: no listener rule priority allocated")
        return value

    # -- shared infrastructure -------------------------------------------------------------

    def network(self) -> tuple[Any, list[Any], list[Any], bool]:
        """(vpc id, public subnet ids, task subnet ids, assign public ip) as values or refs."""
        net = self.settings.network
        if isinstance(net, ExistingNetwork):
            return (
                net.vpc_id,
                list(net.public_subnet_ids),
                list(net.private_subnet_ids),
                (net.assign_public_ip),
            )
        assert isinstance(net, CreateNetwork)
        vpc = self.add(
            _T_VPC,
            "vpc",
            {
                "cidrBlock": net.cidr_block,
                "enableDnsHostnames": True,
                "enableDnsSupport": True,
                "tags": self.tags(),
            },
        )
        igw = self.add(_T_IGW, "igw", {"vpcId": ref(vpc, "id"), "tags": self.tags()})
        blocks = list(
            ipaddress.ip_network(net.cidr_block).subnets(prefixlen_diff=SUBNET_SPLIT_BITS)
        )
        zones = self.settings.zones()
        public_rt = self.add(_T_RT, "rt-public", {"vpcId": ref(vpc, "id"), "tags": self.tags()})
        self.add(
            _T_ROUTE,
            "route-public-default",
            {
                "routeTableId": ref(public_rt, "id"),
                "destinationCidrBlock": "0.0.0.0/0",
                "gatewayId": ref(igw, "id"),
            },
        )
        public: list[str] = []
        for index, zone in enumerate(zones):
            subnet = self.add(
                _T_SUBNET,
                logical_name("subnet-public", zone),
                {
                    "vpcId": ref(vpc, "id"),
                    "cidrBlock": str(blocks[index]),
                    "availabilityZone": zone,
                    "mapPublicIpOnLaunch": True,
                    "tags": self.tags(),
                },
            )
            self.add(
                _T_RTA,
                logical_name("rta-public", zone),
                {"routeTableId": ref(public_rt, "id"), "subnetId": ref(subnet, "id")},
            )
            public.append(subnet)
        public_ids = [ref(s, "id") for s in public]
        if net.nat == "none":
            return ref(vpc, "id"), public_ids, public_ids, True
        eip = self.add(_T_EIP, "eip-nat", {"domain": "vpc", "tags": self.tags()}, [igw])
        nat = self.add(
            _T_NAT,
            "nat",
            {"allocationId": ref(eip, "id"), "subnetId": public_ids[0], "tags": self.tags()},
            [igw],
        )
        private_rt = self.add(_T_RT, "rt-private", {"vpcId": ref(vpc, "id"), "tags": self.tags()})
        self.add(
            _T_ROUTE,
            "route-private-default",
            {
                "routeTableId": ref(private_rt, "id"),
                "destinationCidrBlock": "0.0.0.0/0",
                "natGatewayId": ref(nat, "id"),
            },
        )
        private: list[str] = []
        for index, zone in enumerate(zones):
            subnet = self.add(
                _T_SUBNET,
                logical_name("subnet-private", zone),
                {
                    "vpcId": ref(vpc, "id"),
                    "cidrBlock": str(blocks[len(zones) + index]),
                    "availabilityZone": zone,
                    "mapPublicIpOnLaunch": False,
                    "tags": self.tags(),
                },
            )
            self.add(
                _T_RTA,
                logical_name("rta-private", zone),
                {"routeTableId": ref(private_rt, "id"), "subnetId": ref(subnet, "id")},
            )
            private.append(subnet)
        return ref(vpc, "id"), public_ids, [ref(s, "id") for s in private], False

    def load_balancer(
        self, vpc_id: Any, public_subnets: list[Any]
    ) -> tuple[Any, Any, str | None, str]:
        """(listener arn for rules, ALB security group id, ALB resource name, url scheme)."""
        lb = self.settings.load_balancer
        if isinstance(lb, ExistingListener):
            self.outputs["albDnsName"] = lb.dns_name
            return lb.listener_arn, lb.security_group_id, None, lb.protocol
        assert isinstance(lb, CreateLoadBalancer)
        tls = self.settings.tls
        sg = self.add(
            _T_SG,
            "sg-alb",
            {
                "vpcId": vpc_id,
                "description": f"greentic {self.env}: load balancer",
                "tags": self.tags(),
            },
        )
        for port in (80, 443) if tls else (80,):
            self.add(
                _T_INGRESS,
                logical_name("sg-alb-ingress", str(port)),
                {
                    "securityGroupId": ref(sg, "id"),
                    "ipProtocol": "tcp",
                    "fromPort": port,
                    "toPort": port,
                    "cidrIpv4": "0.0.0.0/0",
                    "description": f"HTTP{'S' if port == 443 else ''} from clients",
                    "tags": self.tags(),
                },
            )
        alb = self.add(
            _T_ALB,
            "alb",
            {
                "name": load_balancer_name(self.env, lb.scheme == "internal"),
                "loadBalancerType": "application",
                "internal": lb.scheme == "internal",
                "securityGroups": [ref(sg, "id")],
                "subnets": public_subnets,
                "idleTimeout": lb.idle_timeout,
                "dropInvalidHeaderFields": True,
                "tags": self.tags(),
            },
        )
        not_found = {
            "type": "fixed-response",
            "fixedResponse": {
                "contentType": "text/plain",
                "messageBody": "no route",
                "statusCode": "404",
            },
        }
        http_action: dict[str, Any] = not_found
        if tls and tls.redirect_http:
            http_action = {
                "type": "redirect",
                "redirect": {"port": "443", "protocol": "HTTPS", "statusCode": "HTTP_301"},
            }
        http = self.add(
            _T_LISTENER,
            "listener-http",
            {
                "loadBalancerArn": ref(alb, "arn"),
                "port": 80,
                "protocol": "HTTP",
                "defaultActions": [http_action],
                "tags": self.tags(),
            },
        )
        self.outputs["albDnsName"] = ref(alb, "dnsName")
        if tls is None:
            return ref(http, "arn"), ref(sg, "id"), alb, "http"
        https = self.add(
            _T_LISTENER,
            "listener-https",
            {
                "loadBalancerArn": ref(alb, "arn"),
                "port": 443,
                "protocol": "HTTPS",
                "certificateArn": tls.certificate_arn,
                "sslPolicy": tls.ssl_policy,
                "defaultActions": [not_found],
                "tags": self.tags(),
            },
        )
        return ref(https, "arn"), ref(sg, "id"), alb, "https"

    def tasks_security_group(self, vpc_id: Any, alb_sg: Any, ports: list[int]) -> Any:
        sg = self.add(
            _T_SG,
            "sg-tasks",
            {"vpcId": vpc_id, "description": f"greentic {self.env}: tasks", "tags": self.tags()},
        )
        for port in ports:
            self.add(
                _T_INGRESS,
                logical_name("sg-tasks-ingress", str(port)),
                {
                    "securityGroupId": ref(sg, "id"),
                    "ipProtocol": "tcp",
                    "fromPort": port,
                    "toPort": port,
                    "referencedSecurityGroupId": alb_sg,
                    "description": "from the load balancer only",
                    "tags": self.tags(),
                },
            )
        self.add(
            _T_EGRESS,
            "sg-tasks-egress-all",
            {
                "securityGroupId": ref(sg, "id"),
                "ipProtocol": "-1",
                "cidrIpv4": "0.0.0.0/0",
                "description": "image pulls, secrets, logs, upstream calls",
                "tags": self.tags(),
            },
        )
        if isinstance(self.settings.load_balancer, CreateLoadBalancer):
            for port in ports:
                self.add(
                    _T_EGRESS,
                    logical_name("sg-alb-egress", str(port)),
                    {
                        "securityGroupId": alb_sg,
                        "ipProtocol": "tcp",
                        "fromPort": port,
                        "toPort": port,
                        "referencedSecurityGroupId": ref(sg, "id"),
                        "description": "to the tasks",
                        "tags": self.tags(),
                    },
                )
        return ref(sg, "id")

    def cluster(self) -> Any:
        cluster = self.settings.cluster
        if isinstance(cluster, ExistingCluster):
            return cluster.arn
        name = self.add(
            _T_CLUSTER,
            "cluster",
            {
                "name": logical_name("greentic", self.env, max_length=255),
                "settings": [
                    {
                        "name": "containerInsights",
                        "value": "enabled" if cluster.container_insights else "disabled",
                    }
                ],
                "tags": self.tags(),
            },
        )
        return ref(name, "arn")

    def execution_role(self) -> str:
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        role = self.add(
            _T_ROLE,
            "execution-role",
            {
                "name": logical_name("greentic", self.env, "ecs-exec", max_length=64),
                "assumeRolePolicy": json.dumps(trust, sort_keys=True),
                "tags": self.tags(),
            },
        )
        self.add(
            _T_ROLE_ATTACH,
            "execution-role-managed-policy",
            {
                "role": ref(role, "name"),
                "policyArn": f"arn:{self.partition}:iam::aws:{EXECUTION_POLICY}",
            },
        )
        return role

    def secrets_policy(self, role: str) -> None:
        if not self.secret_arns:
            return
        arns = sorted(self.secret_arns)
        statements = []
        sm = [a for a in arns if ":secretsmanager:" in a]
        ssm = [a for a in arns if ":ssm:" in a]
        if sm:
            statements.append(
                {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": sm}
            )
        if ssm:
            statements.append({"Effect": "Allow", "Action": ["ssm:GetParameters"], "Resource": ssm})
        self.add(
            _T_ROLE_POLICY,
            "execution-role-secrets",
            {
                "role": ref(role, "name"),
                "policy": json.dumps(
                    {"Version": "2012-10-17", "Statement": statements}, sort_keys=True
                ),
            },
        )


def compile_plan(state: EnvironmentState) -> Plan:
    """Compile ``state`` into the AWS ECS plan (``greentic_iac.plan.Compiler``).

    Raises ``InvalidInputError`` when the deployer binding or its settings are invalid;
    everything else that can't be applied becomes an error finding (``plan.errors``).
    """
    settings = load_settings(state)
    if missing_allocations(state):
        # A state never reconciled (a v1 state just read, a test's hand-built state): fill
        # in memory what the allocation hook writes on the next change; held values stay.
        from greentic_iac.targets.aws_ecs.allocation import reconcile_allocations

        state = reconcile_allocations(state, state.model_copy(deep=True))
    return _compile(state, settings)


def _deployment_settings(
    builder: _Builder, deployments: list[BundleDeployment]
) -> dict[str, ServiceSettings]:
    result: dict[str, ServiceSettings] = {}
    for deployment in deployments:
        try:
            result[deployment.deployment_id] = merged_service_settings(
                builder.settings.service, deployment.settings
            )
        except ValidationError as exc:
            builder.finding(
                Severity.ERROR,
                "invalid-settings",
                format_validation_error(
                    exc, prefix=f"deployments.{deployment.deployment_id}.settings: "
                ),
                deployment.deployment_id,
            )
    return result


def _compile(state: EnvironmentState, settings: AwsEcsSettings) -> Plan:  # noqa: PLR0912, PLR0915 (one pass over the deployments)
    b = _Builder(state, settings)
    env = b.env
    deployments = state.active_deployments()
    by_deployment: dict[str, list[Revision]] = defaultdict(list)
    for revision in state.revisions.values():
        if revision.lifecycle != RevisionLifecycle.ARCHIVED:
            by_deployment[revision.deployment_id].append(revision)
    for revisions in by_deployment.values():
        revisions.sort(key=lambda r: r.sequence)
    dep_settings = _deployment_settings(b, deployments)

    # Per-revision settings first: the task security group needs every container port.
    rev_settings: dict[str, ServiceSettings] = {}
    for deployment in deployments:
        base = dep_settings.get(deployment.deployment_id)
        if base is None:
            continue
        for revision in by_deployment.get(deployment.deployment_id, []):
            try:
                rev_settings[revision.revision_id] = merged_service_settings(
                    base, revision.settings
                )
            except ValidationError as exc:
                b.finding(
                    Severity.ERROR,
                    "invalid-settings",
                    format_validation_error(
                        exc, prefix=f"revisions.{revision.revision_id}.settings: "
                    ),
                    revision.revision_id,
                )
    ports = sorted(
        {s.container_port for s in rev_settings.values()} or {settings.service.container_port}
    )

    vpc_id, public_subnets, task_subnets, public_ip = b.network()
    listener_arn, alb_sg, _alb, scheme = b.load_balancer(vpc_id, public_subnets)
    task_sg = b.tasks_security_group(vpc_id, alb_sg, ports)
    cluster_arn = b.cluster()
    role = b.execution_role()
    log_group_name = f"/greentic/{env}"
    log_group = b.add(
        _T_LOG_GROUP,
        "log-group",
        {
            "name": log_group_name,
            "retentionInDays": settings.log_retention_days,
            "tags": b.tags(),
        },
    )

    live_target_groups = 0
    rules = 0
    seen_routes: dict[tuple[str, str], str] = {}
    urls: dict[str, str] = {}
    for deployment in deployments:
        dep_id = deployment.deployment_id
        dsettings = dep_settings.get(dep_id)
        if dsettings is None:
            continue
        route = deployment.route_binding
        route_key = (route.host, route.path_prefix.rstrip("/") or "/")
        if route_key in seen_routes:
            b.finding(
                Severity.ERROR,
                "route-conflict",
                f"deployments.{dep_id}.route_binding: host {route.host} path "
                f"{route.path_prefix} is already routed to deployment {seen_routes[route_key]}",
                dep_id,
            )
            continue
        seen_routes[route_key] = dep_id
        patterns = _path_patterns(route.path_prefix)
        problem = route_problem(route)
        if problem is not None:
            b.finding(
                Severity.ERROR, "route-refused-by-alb", f"deployments.{dep_id}.{problem}", dep_id
            )
            continue
        urls[dep_id] = f"{scheme}://{route.host}{route.path_prefix}"
        conditions: list[dict[str, Any]] = [{"hostHeader": {"values": [route.host]}}]
        if patterns:
            conditions.append({"pathPattern": {"values": patterns}})
        dep_tags = b.tags(deployment=dep_id)
        family = logical_name("greentic", env, dep_id, max_length=255)

        tg_names: dict[str, str] = {}
        for revision in by_deployment.get(dep_id, []):
            rev_id = revision.revision_id
            rsettings = rev_settings.get(rev_id)
            if rsettings is None:
                continue
            image = revision.image
            if image is None:
                if rsettings.image_repository is None:
                    b.finding(
                        Severity.ERROR,
                        "no-image",
                        f"revisions.{rev_id}: no image; set Revision.image or the "
                        "service.image_repository setting",
                        rev_id,
                    )
                    continue
                image = f"{rsettings.image_repository}@{revision.bundle_digest}"
            rev_tags = b.tags(deployment=dep_id, revision=rev_id)
            # What logical_name(kind, rev_id) gives for a ULID (lowercase alphanumerics, short
            # enough), built directly: this loop runs per revision (tests check the equality).
            rid = rev_id.lower()
            hc = rsettings.health_check
            tg_props: dict[str, Any] = {
                "name": target_group_name(
                    env,
                    rev_id,
                    state.allocations.get(rev_id, {}).get(TARGET_GROUP_INPUTS),
                    target_group_inputs(rsettings.container_port, settings),
                ),
                "port": rsettings.container_port,
                "protocol": "HTTP",
                "targetType": "ip",
                "vpcId": vpc_id,
                "deregistrationDelay": rsettings.deregistration_delay,
                "healthCheck": {
                    "enabled": True,
                    "path": hc.path,
                    "protocol": "HTTP",
                    "healthyThreshold": hc.healthy_threshold,
                    "unhealthyThreshold": hc.unhealthy_threshold,
                    "interval": hc.interval,
                    "timeout": hc.timeout,
                    "matcher": hc.matcher,
                },
                "tags": rev_tags,
            }
            if dsettings.stickiness_seconds is not None:
                tg_props["stickiness"] = {
                    "type": "lb_cookie",
                    "enabled": True,
                    "cookieDuration": dsettings.stickiness_seconds,
                }
            tg = b.add(_T_TG, f"tg-{rid}", tg_props)
            tg_names[rev_id] = tg
            live_target_groups += 1

            secrets = sorted(rsettings.secrets.items())
            b.secret_arns.update(arn for _, arn in secrets)
            environment = [
                {"name": "GREENTIC_ENVIRONMENT", "value": env},
                {"name": "GREENTIC_DEPLOYMENT_ID", "value": dep_id},
                {"name": "GREENTIC_REVISION_ID", "value": rev_id},
                {"name": "GREENTIC_BUNDLE_DIGEST", "value": revision.bundle_digest},
            ] + [{"name": k, "value": v} for k, v in state.config_of(revision)]
            container = {
                "name": CONTAINER_NAME,
                "image": image,
                "essential": True,
                "portMappings": [{"containerPort": rsettings.container_port, "protocol": "tcp"}],
                "environment": environment,
                "secrets": [{"name": k, "valueFrom": arn} for k, arn in secrets],
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {
                        "awslogs-group": log_group_name,
                        "awslogs-region": settings.region,
                        "awslogs-stream-prefix": dep_id.lower(),
                    },
                },
            }
            task = b.add(
                _T_TASK,
                f"task-{rid}",
                {
                    "family": family,
                    "cpu": str(rsettings.cpu),
                    "memory": str(rsettings.memory),
                    "networkMode": "awsvpc",
                    "requiresCompatibilities": ["FARGATE"],
                    "executionRoleArn": ref(role, "arn"),
                    "containerDefinitions": json.dumps([container], sort_keys=True),
                    "tags": rev_tags,
                },
                [log_group],
            )
            # The pinned rule attaches the target group to the ALB whatever its weight: ECS
            # refuses a service whose target group is on no load balancer, and the ALB only
            # health-checks attached target groups (warming revisions need that).
            pin = b.add(
                _T_RULE,
                f"rule-pin-{rid}",
                {
                    "listenerArn": listener_arn,
                    "priority": b.allocated(rev_id),
                    "conditions": [
                        *conditions,
                        {
                            "httpHeader": {
                                "httpHeaderName": REVISION_HEADER,
                                "values": [rev_id],
                            }
                        },
                    ],
                    "actions": [{"type": "forward", "targetGroupArn": ref(tg, "arn")}],
                    "tags": rev_tags,
                },
            )
            rules += 1
            desired = _DESIRED[revision.lifecycle]
            b.add(
                _T_SERVICE,
                f"svc-{rid}",
                {
                    "name": f"{env}-{rid}",
                    "cluster": cluster_arn,
                    "taskDefinition": ref(task, "arn"),
                    "desiredCount": rsettings.desired_count if desired is None else desired,
                    "launchType": "FARGATE",
                    "networkConfiguration": {
                        "subnets": task_subnets,
                        "securityGroups": [task_sg],
                        "assignPublicIp": public_ip,
                    },
                    "loadBalancers": [
                        {
                            "targetGroupArn": ref(tg, "arn"),
                            "containerName": CONTAINER_NAME,
                            "containerPort": rsettings.container_port,
                        }
                    ],
                    "deploymentCircuitBreaker": {"enable": True, "rollback": True},
                    "healthCheckGracePeriodSeconds": 60,
                    "propagateTags": "SERVICE",
                    "enableEcsManagedTags": True,
                    "waitForSteadyState": False,
                    "tags": rev_tags,
                },
                [pin],
            )

        # The weighted rule: one forward action over every revision with weight > 0.
        split = state.traffic.get(dep_id)
        action: dict[str, Any] = {
            "type": "fixed-response",
            "fixedResponse": {
                "contentType": "text/plain",
                "messageBody": "no ready revision",
                "statusCode": "503",
            },
        }
        if split is not None:
            requested = {e.revision_id: e.weight_bps for e in split.entries}
            try:
                converted = alb_weights(requested)
            except AlbLimitError as exc:
                b.finding(Severity.ERROR, "alb-weighted-target-groups", str(exc), dep_id)
                converted = None
            if converted is not None:
                b.traffic.append(converted.deployment_traffic(dep_id))
                if converted.max_error_bps > MAX_TOLERATED_ERROR_BPS:
                    b.finding(
                        Severity.WARNING,
                        "alb-weight-error",
                        f"ALB weights give this split within {converted.max_error_bps} bps "
                        f"only (goal {MAX_TOLERATED_ERROR_BPS:g}); a weight below ~10 bps "
                        "can't be expressed next to large ones",
                        dep_id,
                    )
                weighted = converted.weighted()
                missing = [r for r in weighted if r not in tg_names]
                if missing:
                    b.finding(
                        Severity.ERROR,
                        "weighted-revision-missing",
                        f"revision {missing[0]} carries weight but has no target group",
                        dep_id,
                    )
                elif weighted:
                    forward: dict[str, Any] = {
                        "targetGroups": [
                            {"arn": ref(tg_names[r], "arn"), "weight": w}
                            for r, w in weighted.items()
                        ]
                    }
                    if dsettings.stickiness_seconds is not None:
                        forward["stickiness"] = {
                            "enabled": True,
                            "duration": dsettings.stickiness_seconds,
                        }
                    action = {"type": "forward", "forward": forward}
        b.add(
            _T_RULE,
            logical_name("rule", dep_id),
            {
                "listenerArn": listener_arn,
                "priority": b.allocated(dep_id),
                "conditions": conditions,
                "actions": [action],
                "tags": dep_tags,
            },
            [tg_names[r] for r in sorted(tg_names)],
        )
        rules += 1

        inactive = [
            r for r in by_deployment.get(dep_id, []) if r.lifecycle == RevisionLifecycle.INACTIVE
        ]
        for revision in inactive[: max(0, len(inactive) - settings.gc_keep_inactive)]:
            b.finding(
                Severity.WARNING,
                "gc-candidate",
                f"inactive revision {revision.revision_id} (sequence {revision.sequence}) is "
                f"beyond the keep count of {settings.gc_keep_inactive}; archive it to free its "
                "target group",
                revision.revision_id,
            )

    b.secrets_policy(role)
    for problem in alb_limit_problems(target_groups_on_alb=live_target_groups):
        b.finding(Severity.ERROR, "alb-target-groups", problem)
    for problem in alb_limit_problems(rules_on_listener=rules):
        b.finding(Severity.ERROR, "alb-listener-rules", problem)
    b.outputs["urls"] = urls
    return Plan(
        environment_id=env,
        target=TARGET,
        resources=b.resources,
        traffic=b.traffic,
        findings=b.findings,
        outputs=b.outputs,
    )

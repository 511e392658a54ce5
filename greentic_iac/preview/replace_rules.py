"""Which property changes make Pulumi replace a resource instead of updating it in place.

The offline preview can't ask the provider, so it keeps the providers' own rules as a
table, per type token, of property paths whose change forces a replacement:

- pulumi-aws is bridged from the Terraform AWS provider: the paths below are the arguments
  its documentation marks "Forces new resource" (``website/docs/r/<resource>.html.markdown``),
  in Pulumi wire names. An ECS task definition is immutable: every argument except its tags
  (and the provider-only ``skipDestroy``/``trackLatest``) registers a new revision.
- pulumi-kubernetes replaces on ``metadata.name`` and ``metadata.namespace`` for every kind,
  plus the per-kind immutable fields of its ``forceNew`` table
  (``provider/pkg/provider/diff.go``): Deployment ``spec.selector``, Service
  ``spec.clusterIP``, ConfigMap ``data``/``binaryData``, Secret ``type``/``data``/``stringData``.

A path matches a rule when the rule is the path or one of its ancestors (``spec.selector``
covers ``spec.selector.matchLabels.app``), or when the path is an ancestor of the rule and
the rule's own value differs (a whole ``spec`` added or removed replaces a Deployment only if
its selector changed). A type token absent from the table is updated in place except for
the Kubernetes metadata rule; changing a resource's type or parent changes its URN and is
always a replacement.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from greentic_iac.plan.target import ReplaceRule

Segment = str | int
PropertyPath = tuple[Segment, ...]


def _r(*paths: str) -> ReplaceRule:
    return ReplaceRule(paths=paths)


_K8S_METADATA: Final = ("metadata.name", "metadata.namespace")

REPLACE_RULES: Final[dict[str, ReplaceRule]] = {
    # --- AWS (terraform-provider-aws "Forces new resource")
    "aws:cloudwatch/logGroup:LogGroup": _r("name", "namePrefix", "logGroupClass"),
    "aws:ec2/eip:Eip": _r("domain", "customerOwnedIpv4Pool", "networkBorderGroup"),
    "aws:ec2/internetGateway:InternetGateway": _r(),
    "aws:ec2/natGateway:NatGateway": _r(
        "allocationId", "subnetId", "connectivityType", "privateIp"
    ),
    "aws:ec2/route:Route": _r(
        "routeTableId",
        "destinationCidrBlock",
        "destinationIpv6CidrBlock",
        "destinationPrefixListId",
    ),
    "aws:ec2/routeTable:RouteTable": _r("vpcId"),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": _r("subnetId", "gatewayId"),
    "aws:ec2/securityGroup:SecurityGroup": _r("name", "namePrefix", "description", "vpcId"),
    "aws:ec2/securityGroupRule:SecurityGroupRule": _r(
        "type",
        "fromPort",
        "toPort",
        "protocol",
        "cidrBlocks",
        "ipv6CidrBlocks",
        "prefixListIds",
        "securityGroupId",
        "sourceSecurityGroupId",
        "self",
    ),
    "aws:ec2/subnet:Subnet": _r(
        "vpcId", "cidrBlock", "availabilityZone", "availabilityZoneId", "outpostArn"
    ),
    "aws:ec2/vpc:Vpc": _r("cidrBlock"),
    "aws:ecs/cluster:Cluster": _r("name"),
    "aws:ecs/service:Service": _r("name", "cluster", "iamRole", "schedulingStrategy"),
    "aws:ecs/taskDefinition:TaskDefinition": ReplaceRule(
        all_except=frozenset({"tags", "tagsAll", "skipDestroy", "trackLatest"})
    ),
    "aws:iam/policy:Policy": _r("name", "namePrefix", "path", "description"),
    "aws:iam/role:Role": _r("name", "namePrefix", "path"),
    "aws:iam/rolePolicy:RolePolicy": _r("name", "namePrefix", "role"),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": _r("role", "policyArn"),
    "aws:lb/listener:Listener": _r("loadBalancerArn"),
    "aws:lb/listenerRule:ListenerRule": _r("listenerArn"),
    "aws:lb/loadBalancer:LoadBalancer": _r(
        "name", "namePrefix", "internal", "loadBalancerType", "customerOwnedIpv4Pool"
    ),
    "aws:lb/targetGroup:TargetGroup": _r(
        "name",
        "namePrefix",
        "port",
        "protocol",
        "protocolVersion",
        "targetType",
        "vpcId",
        "ipAddressType",
    ),
    "aws:s3/bucket:Bucket": _r("bucket", "bucketPrefix", "objectLockEnabled"),
    "aws:s3/bucketPolicy:BucketPolicy": _r("bucket"),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": _r("securityGroupId"),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": _r("securityGroupId"),
    # --- Kubernetes (pulumi-kubernetes forceNew table; metadata rule added below)
    "kubernetes:apps/v1:Deployment": _r(*_K8S_METADATA, "spec.selector"),
    "kubernetes:core/v1:ConfigMap": _r(*_K8S_METADATA, "data", "binaryData"),
    "kubernetes:core/v1:Secret": _r(*_K8S_METADATA, "type", "data", "stringData"),
    "kubernetes:core/v1:Service": _r(*_K8S_METADATA, "spec.clusterIP"),
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler": _r(*_K8S_METADATA),
    "kubernetes:core/v1:Namespace": _r(*_K8S_METADATA),
    "kubernetes:core/v1:ServiceAccount": _r(*_K8S_METADATA),
    "kubernetes:networking.k8s.io/v1:Ingress": _r(*_K8S_METADATA),
    "kubernetes:networking.k8s.io/v1:NetworkPolicy": _r(*_K8S_METADATA),
    "kubernetes:policy/v1:PodDisruptionBudget": _r(*_K8S_METADATA),
    "kubernetes:gateway.networking.k8s.io/v1:GRPCRoute": _r(*_K8S_METADATA),
    "kubernetes:gateway.networking.k8s.io/v1:Gateway": _r(*_K8S_METADATA),
    "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute": _r(*_K8S_METADATA),
    "kubernetes:gateway.networking.k8s.io/v1beta1:ReferenceGrant": _r(*_K8S_METADATA),
}

_DEFAULT_KUBERNETES: Final = _r(*_K8S_METADATA)
_NONE: Final = ReplaceRule()


def rule_for(type_token: str, extra: Mapping[str, ReplaceRule] | None = None) -> ReplaceRule:
    """The table's rule, else the target's (``extra``: ``Target.replace_rules``); an unknown
    Kubernetes kind still replaces on name/namespace."""
    found = REPLACE_RULES.get(type_token)
    if found is None and extra:
        found = extra.get(type_token)
    if found is not None:
        return found
    return _DEFAULT_KUBERNETES if type_token.startswith("kubernetes:") else _NONE


_MISSING: Final = object()


def _value_at(properties: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    current: Any = properties
    for segment in path:
        if not isinstance(current, Mapping) or segment not in current:
            return _MISSING
        current = current[segment]
    return current


_SPLIT_CACHE: dict[str, tuple[str, ...]] = {}


def _split(rule_path: str) -> tuple[str, ...]:
    found = _SPLIT_CACHE.get(rule_path)
    if found is None:
        found = _SPLIT_CACHE[rule_path] = tuple(rule_path.split("."))
    return found


def forces_replace(
    type_token: str,
    path: PropertyPath,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    extra: Mapping[str, ReplaceRule] | None = None,
) -> bool:
    """Whether a change at ``path`` (segments: keys and list indexes) replaces the resource.

    ``before``/``after`` are the resource's whole property maps; they decide the case where
    ``path`` is an ancestor of a rule (the rule's value must differ between them).
    """
    if not path:
        return False
    rule = rule_for(type_token, extra)
    if rule.all_except is not None:
        return not (isinstance(path[0], str) and path[0] in rule.all_except)
    for rule_path in rule.paths:
        parts = _split(rule_path)
        common = min(len(parts), len(path))
        if tuple(path[:common]) != parts[:common]:
            continue
        if len(path) >= len(parts):
            return True
        # The change is above the rule (a parent added, removed or retyped).
        if _value_at(before or {}, parts) != _value_at(after or {}, parts):
            return True
    return False

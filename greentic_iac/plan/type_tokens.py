"""The one table of Pulumi type tokens a plan may use, and the check that enforces it.

Targets build plans without importing Pulumi, so the table is plain strings: each token
names the SDK module and class the emitter instantiates. Kubernetes kinds without a typed
class in ``pulumi_kubernetes`` (Gateway API routes) go through
``pulumi_kubernetes.apiextensions.CustomResource``; the token still carries the real
``apiVersion`` and ``kind``. To support a new resource, add one line here (the unit test
``tests/unit/plan/test_type_tokens_and_wire.py`` checks every line against the installed SDK).

A deployer plug-in brings its own SDK instead of a line here: its ``Target.sdk_modules``
maps a token prefix to a Python module family (``{"gcp:": "pulumi_gcp"}``), and a token
under that prefix resolves by Pulumi's naming convention,
``<pkg>:<module>/<camelType>:<Class>`` -> ``<family>.<module>.<Class>`` (``index`` is the
family's top module). The built-in families (``aws:``, ``kubernetes:``) stay closed: a
plug-in can't open them, so a token missing from the table is refused whoever asks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from greentic_iac.errors import InvalidInputError
from greentic_iac.plan.model import Plan

CUSTOM_RESOURCE: Final = ("pulumi_kubernetes.apiextensions", "CustomResource")


@dataclass(frozen=True)
class SdkClass:
    """Where the emitter finds the class for a token (``module``, ``name``)."""

    module: str
    name: str

    @property
    def is_custom_resource(self) -> bool:
        return (self.module, self.name) == CUSTOM_RESOURCE


def _aws(token: str) -> SdkClass:
    # aws:<module>/<camelType>:<Class> -> pulumi_aws.<module>.<Class>
    _, middle, cls = token.split(":")
    return SdkClass(f"pulumi_aws.{middle.split('/')[0]}", cls)


def _k8s(token: str) -> SdkClass:
    # kubernetes:<group>/<version>:<Kind> -> pulumi_kubernetes.<group-module>.<version>.<Kind>
    _, group_version, kind = token.split(":")
    group, version = group_version.rsplit("/", 1)
    module = group.split(".")[0]
    return SdkClass(f"pulumi_kubernetes.{module}.{version}", kind)


_AWS_TOKENS: Final = (
    "aws:cloudwatch/logGroup:LogGroup",
    "aws:ec2/eip:Eip",
    "aws:ec2/internetGateway:InternetGateway",
    "aws:ec2/natGateway:NatGateway",
    "aws:ec2/route:Route",
    "aws:ec2/routeTable:RouteTable",
    "aws:ec2/routeTableAssociation:RouteTableAssociation",
    "aws:ec2/securityGroup:SecurityGroup",
    "aws:ec2/securityGroupRule:SecurityGroupRule",
    "aws:ec2/subnet:Subnet",
    "aws:ec2/vpc:Vpc",
    "aws:ecs/cluster:Cluster",
    "aws:ecs/service:Service",
    "aws:ecs/taskDefinition:TaskDefinition",
    "aws:iam/policy:Policy",
    "aws:iam/role:Role",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:lb/listener:Listener",
    "aws:lb/listenerRule:ListenerRule",
    "aws:lb/loadBalancer:LoadBalancer",
    "aws:lb/targetGroup:TargetGroup",
    "aws:s3/bucket:Bucket",
    "aws:s3/bucketPolicy:BucketPolicy",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
)

_K8S_TOKENS: Final = (
    "kubernetes:apps/v1:Deployment",
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
    "kubernetes:core/v1:ConfigMap",
    "kubernetes:core/v1:Namespace",
    "kubernetes:core/v1:Secret",
    "kubernetes:core/v1:Service",
    "kubernetes:core/v1:ServiceAccount",
    "kubernetes:networking.k8s.io/v1:Ingress",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    "kubernetes:policy/v1:PodDisruptionBudget",
)

# Kinds served by a CRD: no typed class, registered through CustomResource.
_K8S_CUSTOM_TOKENS: Final = (
    "kubernetes:gateway.networking.k8s.io/v1:GRPCRoute",
    "kubernetes:gateway.networking.k8s.io/v1:Gateway",
    "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
    "kubernetes:gateway.networking.k8s.io/v1beta1:ReferenceGrant",
)

SUPPORTED_TYPES: Final[dict[str, SdkClass]] = {
    **{token: _aws(token) for token in _AWS_TOKENS},
    **{token: _k8s(token) for token in _K8S_TOKENS},
    **{token: SdkClass(*CUSTOM_RESOURCE) for token in _K8S_CUSTOM_TOKENS},
}


# Token prefixes the table above closes (plug-ins can't add tokens under them).
CLOSED_PREFIXES: Final = ("aws:", "kubernetes:", "greentic:")
# <pkg>:<module>[/<camelType>]:<Class> (bridged providers carry the camelType, native
# ones don't); the module must be a Python identifier, so it can name the submodule.
_PLUGIN_TOKEN = re.compile(
    r"[a-z][a-z0-9-]*:(?P<module>[a-z][A-Za-z0-9_]*)(?:/[a-z][A-Za-z0-9]*)?:(?P<cls>[A-Z][A-Za-z0-9]*)"
)
NO_SDK_MODULES: Final[Mapping[str, str]] = {}


def plugin_sdk_class(token: str, sdk_modules: Mapping[str, str]) -> SdkClass | None:
    """The class for a token under one of a plug-in's prefixes (``sdk_modules``: prefix ->
    module family), by Pulumi's naming convention; None when no declared prefix covers it,
    the prefix is a closed built-in one, or the token is not of the conventional form."""
    for prefix, family in sdk_modules.items():
        if not token.startswith(prefix) or token.startswith(CLOSED_PREFIXES):
            continue
        shape = _PLUGIN_TOKEN.fullmatch(token)
        if shape is None:
            return None
        module = shape["module"]
        return SdkClass(family if module == "index" else f"{family}.{module}", shape["cls"])
    return None


def is_supported(token: str, sdk_modules: Mapping[str, str] = NO_SDK_MODULES) -> bool:
    """Whether the emitter can build ``token``: the built-in table or a plug-in's prefix."""
    return token in SUPPORTED_TYPES or plugin_sdk_class(token, sdk_modules) is not None


def is_kubernetes(token: str) -> bool:
    return token.startswith("kubernetes:")


def kubernetes_api_version_and_kind(token: str) -> tuple[str, str]:
    """``kubernetes:apps/v1:Deployment`` -> ``("apps/v1", "Deployment")``; core is ``v1``."""
    _, group_version, kind = token.split(":")
    return (group_version.removeprefix("core/"), kind)


def sdk_class_for(token: str, sdk_modules: Mapping[str, str] = NO_SDK_MODULES) -> SdkClass:
    """The SDK class for a supported token; anything else is refused, never passed through.

    ``sdk_modules`` is the plan's target's ``Target.sdk_modules`` (plug-in prefixes)."""
    found = SUPPORTED_TYPES.get(token) or plugin_sdk_class(token, sdk_modules)
    if found is None:
        raise InvalidInputError(
            f"type: {token!r} is not a supported Pulumi type token ({_WHERE_TOKENS_COME_FROM})"
        )
    return found


_WHERE_TOKENS_COME_FROM: Final = (
    "see greentic_iac/plan/type_tokens.py, or the deployer's Target.sdk_modules"
)


def unsupported_types(plan: Plan, sdk_modules: Mapping[str, str] = NO_SDK_MODULES) -> list[str]:
    """Resource names whose type token the emitter can't build (empty when all is well)."""
    return [r.name for r in plan.resources if not is_supported(r.type, sdk_modules)]


def check_type_tokens(plan: Plan, sdk_modules: Mapping[str, str] = NO_SDK_MODULES) -> None:
    """Raise ``InvalidInputError`` naming the first resource with an unsupported token."""
    for resource in plan.resources:
        if not is_supported(resource.type, sdk_modules):
            raise InvalidInputError(
                f"resources.{resource.name}.type: {resource.type!r} is not a supported "
                f"Pulumi type token ({_WHERE_TOKENS_COME_FROM})"
            )

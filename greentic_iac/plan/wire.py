"""Wire names, reference resolution and the normal form used to compare plans with Pulumi.

Plan properties use Pulumi's wire names (camelCase, as in the provider schema:
``loadBalancerArn``); the Python SDK classes take snake_case keyword arguments at the top
level and accept wire names inside nested dicts. These helpers convert names and walk
property trees without importing Pulumi, so targets, the emitter, the exporter and the
conformance kit all share one definition.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from greentic_iac.plan.model import REF_KEY, PlanResource, is_ref
from greentic_iac.plan.type_tokens import is_kubernetes, kubernetes_api_version_and_kind

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def camel_to_snake(name: str) -> str:
    """``loadBalancerArn`` -> ``load_balancer_arn``; ``ipv6CidrBlock`` -> ``ipv6_cidr_block``."""
    return _CAMEL_BOUNDARY.sub("_", name).lower()


def snake_to_camel(name: str) -> str:
    """``dns_name`` -> ``dnsName`` (a name without ``_`` is returned unchanged)."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def output_path(output: str) -> list[str]:
    """A ref's output as wire-name segments: ``metadata.name`` -> ``["metadata", "name"]``.

    Outputs are written in wire names (``dnsName``); snake_case (``dns_name``) is accepted
    and normalised so either spelling of the same output compares equal.
    """
    return [snake_to_camel(part) for part in output.split(".")]


def map_refs(value: Any, resolve: Callable[[str, str], Any]) -> Any:
    """A copy of ``value`` with every ``$ref`` replaced by ``resolve(resource, output)``."""
    if is_ref(value):
        target = value[REF_KEY]
        return resolve(target["resource"], target["output"])
    if isinstance(value, dict):
        return {key: map_refs(item, resolve) for key, item in value.items()}
    if isinstance(value, list):
        return [map_refs(item, resolve) for item in value]
    return value


def drop_nones(value: Any) -> Any:
    """Pulumi never sends ``None`` inputs: drop them from dicts (lists keep their shape)."""
    if isinstance(value, dict):
        return {key: drop_nones(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [drop_nones(item) for item in value]
    return value


def lookup_path(state: Mapping[str, Any], path: list[str]) -> Any:
    """Follow wire-name segments through nested dicts (``KeyError`` when one is missing)."""
    current: Any = state
    for segment in path:
        current = current[segment]
    return current


def expected_wire_inputs(
    resource: PlanResource, resolve: Callable[[str, str], Any]
) -> dict[str, Any]:
    """The inputs Pulumi registers for ``resource``: refs resolved, ``None`` dropped, and for
    Kubernetes the ``apiVersion``/``kind`` the SDK fills in from the type token."""
    inputs: dict[str, Any] = drop_nones(map_refs(resource.properties, resolve))
    if is_kubernetes(resource.type):
        api_version, kind = kubernetes_api_version_and_kind(resource.type)
        inputs.setdefault("apiVersion", api_version)
        inputs.setdefault("kind", kind)
    return inputs

"""The generic emitter: any Plan becomes typed Pulumi resources inside a running program.

Written once and tested once (the conformance kit in ``greentic_iac.pulumi.testing``):
resources are created in ``plan.dependency_order()``; ``$ref`` values become the referenced
resource's Outputs; parent, depends_on and the plan's options become ``ResourceOptions``;
``plan.outputs`` become stack outputs. Each deployment's resources are grouped under a
``greentic:index:Deployment`` component, with aliases to their URNs before grouping, and the
per-deployment traffic and endpoints become the ``deployments`` stack output (see
``greentic_iac.pulumi.deployments``). Pulumi is imported lazily, inside the functions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from greentic_iac.errors import InvalidInputError
from greentic_iac.plan.model import Plan, PlanResource
from greentic_iac.plan.type_tokens import (
    NO_SDK_MODULES,
    check_type_tokens,
    is_kubernetes,
    kubernetes_api_version_and_kind,
)
from greentic_iac.plan.wire import map_refs, output_path
from greentic_iac.pulumi.deployments import (
    COMPONENT_TYPE,
    DEPLOYMENTS_OUTPUT,
    component_name,
    deployment_outputs,
    grouped_roots,
    moved_descendants,
    old_urn_type,
)
from greentic_iac.pulumi.sdk import ResolvedClass, attribute_name, require_plugin_sdk, resolve_class


def resolve_output(created: dict[str, Any], resource: str, output: str) -> Any:
    """``ref(resource, "dnsName")`` -> ``created[resource].dns_name`` (an Output).

    Dotted outputs walk into the value through Output attribute lifting:
    ``metadata.name`` -> ``created[resource].metadata.name``.
    """
    current: Any = created[resource]
    for segment in output_path(output):
        current = getattr(current, attribute_name(segment))
    return current


def _keyword_arguments(
    resource: PlanResource, sdk: ResolvedClass, created: dict[str, Any]
) -> dict[str, Any]:
    properties = map_refs(resource.properties, lambda name, out: resolve_output(created, name, out))
    kwargs: dict[str, Any] = {}
    if is_kubernetes(resource.type):
        # apiVersion and kind are the token's; a plan may spell them out, but not differently.
        api_version, kind = kubernetes_api_version_and_kind(resource.type)
        for key, expected in (("apiVersion", api_version), ("kind", kind)):
            given = properties.pop(key, expected)
            if given != expected:
                raise InvalidInputError(
                    f"resources.{resource.name}.properties.{key}: {given!r} differs from the "
                    f"type token {resource.type!r}"
                )
        if sdk.is_custom_resource:
            kwargs["api_version"], kwargs["kind"] = api_version, kind
    for wire_name, value in properties.items():
        if value is not None:
            kwargs[sdk.keyword_for(resource.name, wire_name)] = value
    return kwargs


def _options(
    resource: PlanResource,
    created: dict[str, Any],
    parent: Any = None,
    aliases: list[Any] | None = None,
) -> Any:
    import pulumi

    options = resource.options
    return pulumi.ResourceOptions(
        parent=created[resource.parent] if resource.parent else parent,
        aliases=aliases,
        depends_on=[created[name] for name in resource.depends_on] or None,
        # Explicit booleans: a child must not silently inherit its parent's protect flag,
        # the plan says exactly what each resource gets.
        protect=options.protect,
        delete_before_replace=options.delete_before_replace,
        ignore_changes=list(options.ignore_changes) or None,
        additional_secret_outputs=list(options.additional_secret_outputs) or None,
    )


def emit_resource(
    resource: PlanResource,
    created: dict[str, Any],
    *,
    parent: Any = None,
    aliases: list[Any] | None = None,
    sdk_modules: Mapping[str, str] = NO_SDK_MODULES,
) -> Any:
    """Create one resource; every resource it refers to must already be in ``created``.

    ``parent`` applies when the plan gives none (a deployment's component); ``aliases``
    name the URNs the resource had before it moved there; ``sdk_modules`` are the plan's
    target's plug-in token prefixes.
    """
    sdk = resolve_class(resource.type, sdk_modules)
    kwargs = _keyword_arguments(resource, sdk, created)
    return sdk.cls(resource.name, opts=_options(resource, created, parent, aliases), **kwargs)


def _components(roots: dict[str, str], traffic: dict[str, Any]) -> dict[str, Any]:
    """One ``greentic:index:Deployment`` per deployment that has resources to hold."""
    import pulumi

    components: dict[str, Any] = {}
    for deployment_id in sorted(set(roots.values())):
        component = pulumi.ComponentResource(COMPONENT_TYPE, component_name(deployment_id))
        outputs = traffic.get(deployment_id, {}).get("traffic", {})
        component.register_outputs({"deploymentId": deployment_id, "traffic": outputs})
        components[deployment_id] = component
    return components


def _aliases(plan: Plan, name: str, roots: dict[str, str], moved: set[str]) -> list[Any] | None:
    """The URN ``name`` had before grouping, for a resource grouping moved."""
    import pulumi

    if name in roots:
        # It sat at the root of the stack.
        return [pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)]
    if name in moved:
        # Its plan ancestor moved; spell out the whole old URN (the type chain changed).
        stack, project = pulumi.get_stack(), pulumi.get_project()
        return [f"urn:pulumi:{stack}::{project}::{old_urn_type(plan, name)}::{name}"]
    return None


def emit(
    plan: Plan, *, export_outputs: bool = True, group_deployments: bool = True
) -> dict[str, Any]:
    """Register every resource of ``plan`` with the running Pulumi program.

    With ``group_deployments`` (the default) each deployment's resources sit under its
    component, aliased to their ungrouped URNs, and the ``deployments`` output is exported
    too. Returns ``{logical name: pulumi.Resource}`` (the plan's resources, not the
    components). Raises ``InvalidInputError`` for a plan with error findings, an
    unsupported type token or a property the SDK class doesn't take.
    """
    if plan.errors:
        first = plan.errors[0]
        raise InvalidInputError(
            f"plan for {plan.environment_id} has {len(plan.errors)} error finding(s); "
            f"first: {first.code}: {first.message}"
        )
    sdk_modules = require_plugin_sdk(plan, f"emitting the plan of {plan.environment_id}")
    check_type_tokens(plan, sdk_modules)
    traffic = deployment_outputs(plan) if group_deployments else {}
    roots = grouped_roots(plan) if group_deployments else {}
    moved = moved_descendants(plan, roots)
    components = _components(roots, traffic)
    created: dict[str, Any] = {}
    for resource in plan.dependency_order():
        deployment = roots.get(resource.name)
        created[resource.name] = emit_resource(
            resource,
            created,
            parent=components[deployment] if deployment else None,
            aliases=_aliases(plan, resource.name, roots, moved),
            sdk_modules=sdk_modules,
        )
    if export_outputs:
        import pulumi

        def resolve(name: str, out: str) -> Any:
            return resolve_output(created, name, out)

        for key, value in sorted(plan.outputs.items()):
            pulumi.export(key, map_refs(value, resolve))
        if traffic:
            pulumi.export(DEPLOYMENTS_OUTPUT, map_refs(traffic, resolve))
    return created

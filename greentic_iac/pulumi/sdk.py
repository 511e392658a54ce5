"""Find SDK classes for type tokens and the keyword names their constructors take.

Plan properties are wire names (camelCase). The generated SDK constructors take snake_case
keyword arguments at the top level, so each class's ``<Class>Args`` input type is asked for
its own Python-name -> wire-name table (Pulumi's metadata, not a guess); nested values are
passed as dicts in wire names, which the SDK serialises unchanged. Imports are lazy and
cached: importing ``pulumi_aws`` submodules costs seconds, and read-only CLI verbs must not
pay it. A plug-in's tokens resolve through its ``Target.sdk_modules``, found from the
plan's ``target`` descriptor (``sdk_modules_for``) only when the plan holds a token the
built-in table lacks, so the built-in targets never pay a registry lookup here.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from greentic_iac.errors import InvalidInputError
from greentic_iac.plan.model import Plan
from greentic_iac.plan.type_tokens import (
    NO_SDK_MODULES,
    SUPPORTED_TYPES,
    SdkClass,
    plugin_sdk_class,
    sdk_class_for,
)
from greentic_iac.plan.wire import camel_to_snake

if TYPE_CHECKING:
    from greentic_iac.plan.target import Target

# Keyword arguments of apiextensions.CustomResource (it has no per-kind Args metadata);
# apiVersion and kind come from the type token.
_CUSTOM_RESOURCE_KWARGS = {"metadata": "metadata", "spec": "spec"}


@dataclass(frozen=True)
class ResolvedClass:
    token: str
    cls: Any
    # wire name -> Python keyword argument
    kwargs: dict[str, str]
    is_custom_resource: bool

    def keyword_for(self, resource_name: str, wire_name: str) -> str:
        keyword = self.kwargs.get(wire_name)
        if keyword is None:
            raise InvalidInputError(
                f"resources.{resource_name}.properties.{wire_name}: not an input of "
                f"{self.token} (properties use the provider's wire names, e.g. loadBalancerArn)"
            )
        return keyword


def _plugin_target(plan: Plan) -> Target | None:
    # The plan's target when it holds a token the built-in table lacks (else no lookup).
    if all(resource.type in SUPPORTED_TYPES for resource in plan.resources):
        return None
    from greentic_iac.targets import target_by_descriptor

    return target_by_descriptor(plan.target)


def sdk_modules_for(plan: Plan) -> Mapping[str, str]:
    """The plug-in token prefixes of the plan's target (``Target.sdk_modules``); none needed
    (and no lookup made) when every token is in the built-in table. No pack serving the
    plan's target gives none: its tokens are then refused by name, as unknown ones."""
    target = _plugin_target(plan)
    return target.sdk_modules if target is not None else NO_SDK_MODULES


def require_plugin_sdk(plan: Plan, purpose: str) -> Mapping[str, str]:
    """``sdk_modules_for(plan)``, once the SDK families its plug-in tokens need are
    installed; ``MissingExtraError`` (exit 2) naming the target's ``install_hint`` if not."""
    from greentic_iac.extras import require_modules

    target = _plugin_target(plan)
    if target is None:
        return NO_SDK_MODULES
    families = sorted(
        {
            where.module.split(".", 1)[0]
            for resource in plan.resources
            if (where := plugin_sdk_class(resource.type, target.sdk_modules)) is not None
        }
    )
    hint = target.install_hint or f"install the deployer plug-in serving {target.descriptor}"
    require_modules(purpose, families, install_hints=dict.fromkeys(families, hint))
    return target.sdk_modules


def resolve_class(token: str, sdk_modules: Mapping[str, str] = NO_SDK_MODULES) -> ResolvedClass:
    """The SDK class for ``token`` and its wire -> keyword table (``InvalidInputError`` if
    neither the supported table nor the plug-in prefixes ``sdk_modules`` cover it)."""
    return _resolve(token, sdk_class_for(token, sdk_modules))


@cache
def _resolve(token: str, where: SdkClass) -> ResolvedClass:
    module = importlib.import_module(where.module)
    cls = getattr(module, where.name)
    if where.is_custom_resource:
        return ResolvedClass(token, cls, dict(_CUSTOM_RESOURCE_KWARGS), True)
    from pulumi import _types

    args_cls = getattr(module, f"{where.name}Args")
    py_to_wire = _types.input_type_py_to_pulumi_names(args_cls)
    kwargs = {wire: py for py, wire in py_to_wire.items()}
    if token.startswith("kubernetes:"):
        # The SDK fills apiVersion and kind itself; a plan may carry them for readability.
        kwargs.pop("apiVersion", None)
        kwargs.pop("kind", None)
    return ResolvedClass(token, cls, kwargs, False)


def attribute_name(output: str) -> str:
    """A wire-name output segment as a Python attribute (``dnsName`` -> ``dns_name``)."""
    return camel_to_snake(output)

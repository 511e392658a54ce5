"""Find SDK classes for type tokens and the keyword names their constructors take.

Plan properties are wire names (camelCase). The generated SDK constructors take snake_case
keyword arguments at the top level, so each class's ``<Class>Args`` input type is asked for
its own Python-name -> wire-name table (Pulumi's metadata, not a guess); nested values are
passed as dicts in wire names, which the SDK serialises unchanged. Imports are lazy and
cached: importing ``pulumi_aws`` submodules costs seconds, and read-only CLI verbs must not
pay it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache
from typing import Any

from greentic_iac.errors import InvalidInputError
from greentic_iac.plan.type_tokens import sdk_class_for
from greentic_iac.plan.wire import camel_to_snake

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


@cache
def resolve_class(token: str) -> ResolvedClass:
    """The SDK class for ``token`` and its wire -> keyword table (``InvalidInputError`` if
    the token is not in the supported table)."""
    where = sdk_class_for(token)
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

"""Every property name of a plan, at every depth, checked against pulumi-gcp's typed Args.

The emitter passes top-level properties as keyword arguments (an unknown one fails there);
nested values go to the SDK as plain dicts, which Pulumi would send on unchecked. This walk
follows each value down the ``<Class>Args`` input types of the installed pulumi-gcp (their
own wire-name -> type table) and reports a name the type doesn't have, or a value of the
wrong shape, so a typo at any depth fails a test instead of a deployment.
"""

from __future__ import annotations

import collections.abc
import importlib
import types
import typing
from typing import Any

from pulumi import _types

from greentic_iac.plan import Plan, is_ref


def args_class(token: str) -> type:
    # gcp:<module>/<camelType>:<Class> -> pulumi_gcp.<module>.<Class>Args
    _, middle, cls = token.split(":")
    module = importlib.import_module(f"pulumi_gcp.{middle.split('/')[0]}")
    return getattr(module, f"{cls}Args")


def _candidates(tp: Any) -> list[Any]:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        found: list[Any] = []
        for arg in typing.get_args(tp):
            found += _candidates(arg)
        return found
    if origin is collections.abc.Awaitable or tp is type(None):
        return []
    if isinstance(tp, type) and tp.__module__.startswith("pulumi.output"):
        return []
    return [tp]


def _fits(value: Any, tp: Any) -> bool:
    origin = typing.get_origin(tp) or tp
    if isinstance(value, list):
        return origin in (collections.abc.Sequence, list)
    if isinstance(value, dict):
        return origin in (collections.abc.Mapping, dict) or (
            isinstance(tp, type) and _types.is_input_type(tp)
        )
    if isinstance(value, bool):
        return tp is bool
    if isinstance(value, int):
        return tp in (int, float)
    if isinstance(value, float):
        return tp is float
    if isinstance(value, str):
        return tp is str
    return False


def problems(value: Any, tp: Any, path: str) -> list[str]:
    if is_ref(value):
        return []  # an Output at run time
    fitting = [c for c in _candidates(tp) if _fits(value, c)]
    if not fitting:
        return [f"{path}: {type(value).__name__} {value!r:.60} does not fit {tp}"]
    chosen = fitting[0]
    origin = typing.get_origin(chosen)
    if isinstance(value, list):
        (item,) = typing.get_args(chosen)
        return [p for i, v in enumerate(value) for p in problems(v, item, f"{path}[{i}]")]
    if isinstance(value, dict) and origin in (collections.abc.Mapping, dict):
        _, item = typing.get_args(chosen)
        return [p for k, v in value.items() for p in problems(v, item, f"{path}.{k}")]
    if isinstance(value, dict):
        names = _types.input_type_types(chosen)
        found: list[str] = []
        for key, item in value.items():
            if key not in names:
                found.append(f"{path}.{key}: not a field of {chosen.__name__}")
            else:
                found += problems(item, names[key], f"{path}.{key}")
        return found
    return []


def plan_problems(plan: Plan) -> list[str]:
    """Every nested property of ``plan`` that pulumi-gcp's typed Args would not take."""
    found: list[str] = []
    for resource in plan.resources:
        cls = args_class(resource.type)
        found += problems(resource.properties, cls, resource.name)
    return found

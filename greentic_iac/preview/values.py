"""How a property value is shown in a human report: short, one line, refs as ``${name.out}``."""

from __future__ import annotations

import json
from typing import Any

from greentic_iac.plan.model import REF_KEY, is_ref
from greentic_iac.plan.wire import map_refs


def _ref_text(resource: str, output: str) -> str:
    return "${" + f"{resource}.{output}" + "}"


def show_value(value: Any, limit: int = 120) -> str:
    """``"text"`` quoted, numbers and booleans as JSON, refs as ``${name.output}``, long
    values cut with an ellipsis and their length (the JSON format has them whole)."""
    if value is None:
        return "(none)"
    if is_ref(value):
        return _ref_text(value[REF_KEY]["resource"], value[REF_KEY]["output"])
    if isinstance(value, (dict, list)):
        value = map_refs(value, _ref_text)
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    else:
        text = json.dumps(value, ensure_ascii=False)
    text = text.replace("\n", "\\n")
    if len(text) > limit:
        return f"{text[: limit - 20]}… ({len(text)} chars)"
    return text


def percent(bps: float | int | None) -> str:
    """Basis points as a percentage with two decimals (``9000`` -> ``90.00%``)."""
    if bps is None:
        return "-"
    return f"{bps / 100:.2f}%"

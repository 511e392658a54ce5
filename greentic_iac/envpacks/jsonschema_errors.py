"""Messages from jsonschema errors, one line per problem: ``<field path>: <rule>``.

The same shape as the spec layer's pydantic messages, so a settings error reads like
``settings.network.vpc_id: 'x' does not match '^vpc-[0-9a-f]+$'``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

_MAX_MESSAGE = 240
_UNEXPECTED = re.compile(r"\('(?P<name>[^']+)'(?: was| were) unexpected\)")
_REQUIRED = re.compile(r"^'(?P<name>[^']+)' is a required property$")


def _join(prefix: str, parts: Iterable[Any]) -> str:
    text = prefix
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(document)"


def _line(error: ValidationError, prefix: str) -> str:
    parts = list(error.absolute_path)
    message = error.message
    if error.validator == "required":
        match = _REQUIRED.match(message)
        if match:
            return f"{_join(prefix, [*parts, match['name']])}: field required"
    if error.validator == "additionalProperties":
        match = _UNEXPECTED.search(message)
        if match:
            return f"{_join(prefix, [*parts, match['name']])}: unknown field (not allowed here)"
    # A value echoed back may be long or multi-line; the message stays one short line.
    message = " ".join(message.split())
    if len(message) > _MAX_MESSAGE:
        message = message[: _MAX_MESSAGE - 3] + "..."
    return f"{_join(prefix, parts)}: {message}"


def _sort_key(error: ValidationError) -> tuple[int, str]:
    # Shallowest first, then by path: stable whichever order jsonschema iterates in.
    return (len(error.absolute_path), "/".join(str(p) for p in error.absolute_path))


def error_lines(validator: Draft202012Validator, instance: Any, prefix: str) -> list[str]:
    """Every problem as one line each (shallowest, then by path), none when valid.

    An ``anyOf``/``oneOf`` failure is reported by its most specific cause (jsonschema's
    ``best_match``): ``settings.tls.certificate_arn: 5 is not of type 'string'`` rather than
    ``settings.tls: {...} is not valid under any of the given schemas``.
    """
    lines: list[str] = []
    for error in sorted(validator.iter_errors(instance), key=_sort_key):
        specific = best_match([error]) if error.context else error
        line = _line(specific or error, prefix)
        if line not in lines:
            lines.append(line)
    return lines


def problems_text(validator: Draft202012Validator, instance: Any, prefix: str) -> str | None:
    """Every problem, one line each (the first is the headline), or None when valid."""
    lines = error_lines(validator, instance, prefix)
    return "\n".join(lines) if lines else None

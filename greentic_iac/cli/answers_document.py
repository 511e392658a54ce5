"""Strict JSON for answers files: refuse what ``json.loads`` quietly accepts.

Python's parser takes the last of two duplicate keys, turns ``NaN``/``Infinity`` into
floats and ``1e999`` into ``inf`` (stored later as ``null``), parses a 5,000-digit integer
only to fail when it is printed, accepts lone surrogates and NUL characters, and recurses
once per nesting level. An answers payload is an operator's intent, so each of these is
refused with the path of the field that holds it (never its value: it may be a secret).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

from greentic_iac.errors import InvalidInputError
from greentic_iac.spec.errors import field_path

# Deep enough for any payload shape (settings included), far below the recursion limit.
MAX_DEPTH = 32
# Integers travel to JSON consumers (Pulumi, Kubernetes, AWS) that hold 64 bits at most.
MAX_INTEGER = 2**63 - 1
_MAX_INTEGER_DIGITS = len(str(MAX_INTEGER))


class _Refused:
    """A parsed value that is not allowed: the walk reports it with its path."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


class _Object(dict[str, Any]):
    """A JSON object that remembers a key it saw twice."""

    duplicate: str | None = None


def _object(pairs: list[tuple[str, Any]]) -> _Object:
    result = _Object()
    for key, value in pairs:
        if key in result and result.duplicate is None:
            result.duplicate = key
        result[key] = value
    return result


def _constant(name: str) -> _Refused:
    return _Refused(f"{name} is not a number (only finite numbers are allowed)")


def _float(text: str) -> float | _Refused:
    value = float(text)
    if not math.isfinite(value):
        return _Refused("number out of range (not a finite 64-bit float)")
    return value


def _integer(text: str) -> int | _Refused:
    # Checked on the digits: int() of a 5,000-digit string raises (the int-str limit).
    if len(text.lstrip("-")) > _MAX_INTEGER_DIGITS or abs(value := int(text)) > MAX_INTEGER:
        return _Refused(f"integer out of range (at most {MAX_INTEGER} in magnitude)")
    return value


def _string_problem(text: str) -> str | None:
    if "\x00" in text:
        return "contains a NUL character"
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return "contains a lone surrogate (not valid Unicode)"
    return None


def _safe_key(key: str) -> bool:
    return _string_problem(key) is None and key.isprintable()


def _children(value: Any) -> Iterator[tuple[str | int, Any]]:
    if isinstance(value, dict):
        yield from value.items()
    elif isinstance(value, list):
        yield from enumerate(value)


def _problem(value: Any, path: list[str | int]) -> str | None:  # noqa: PLR0911 (one rule each)
    """The first thing wrong with ``value`` itself (not its children), as ``path: rule``."""
    where = field_path(path)
    if isinstance(value, _Refused):
        return f"{where}: {value.reason}"
    if isinstance(value, str):
        problem = _string_problem(value)
        return f"{where}: {problem}" if problem else None
    if len(path) > MAX_DEPTH:
        return f"{where}: nested deeper than {MAX_DEPTH} levels"
    if isinstance(value, _Object) and value.duplicate is not None:
        if _safe_key(value.duplicate):
            return f"{where}: duplicate key {value.duplicate!r}"
        return f"{where}: a key appears twice"
    if isinstance(value, dict):
        for key in value:
            problem = _string_problem(key)
            if problem:
                return f"{where}: a key {problem}"
    return None


def check_document(document: Any) -> str | None:
    """The first refused value in document order, or None; iterative, so depth is no risk."""
    stack: list[tuple[list[str | int], Any]] = [([], document)]
    while stack:
        path, value = stack.pop()
        problem = _problem(value, path)
        if problem is not None:
            return problem
        children = [([*path, key], child) for key, child in _children(value)]
        stack.extend(reversed(children))
    return None


def plain(value: Any) -> Any:
    """The checked document as plain dicts and lists (a checked document is shallow)."""
    if isinstance(value, dict):
        return {key: plain(child) for key, child in value.items()}
    if isinstance(value, list):
        return [plain(child) for child in value]
    return value


def parse_answers_text(text: str, label: str) -> Any:
    """Parse ``text`` strictly; every refusal is an ``InvalidInputError`` naming the field."""
    try:
        document = json.loads(
            text,
            object_pairs_hook=_object,
            parse_constant=_constant,
            parse_float=_float,
            parse_int=_integer,
        )
    except json.JSONDecodeError as exc:
        raise InvalidInputError(
            f"{label}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    except RecursionError:
        raise InvalidInputError(
            f"{label}: (document): nested deeper than {MAX_DEPTH} levels"
        ) from None
    problem = check_document(document)
    if problem is not None:
        raise InvalidInputError(f"{label}: {problem}")
    return plain(document)

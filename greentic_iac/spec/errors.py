"""Turn a pydantic ``ValidationError`` into the one-line message users see."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import ValidationError


def field_path(loc: Sequence[int | str]) -> str:
    """``('entries', 1, 'weight_percent')`` -> ``entries[1].weight_percent``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif not part.isprintable() or not part:
            # A key holding a line break, a control character or a surrogate is quoted, so
            # the error stays one printable line.
            text += f"[{part!r}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(document)"


def _message(error: dict[str, object]) -> str:
    kind = error.get("type")
    message = str(error.get("msg", "invalid"))
    if kind == "extra_forbidden":
        return "unknown field (not allowed here)"
    if kind == "missing":
        return "field required"
    if kind == "too_short" and isinstance(context := error.get("ctx"), dict):
        least = context.get("min_length")
        return "must not be empty" if least == 1 else f"needs at least {least} items"
    # pydantic prefixes messages raised from validators with "Value error, ".
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            return message[len(prefix) :]
    return message


def format_validation_error(exc: ValidationError, prefix: str = "") -> str:
    """The first error as ``<field path>: <rule>``; a count when there are more."""
    errors = exc.errors(include_url=False)
    if not errors:
        return prefix + "invalid input"
    first = errors[0]
    loc = [p for p in first.get("loc", ()) if isinstance(p, (int, str))]
    # Union branches add their tag names to the path; keep only real field names.
    loc = [
        p for p in loc if not (isinstance(p, str) and p.startswith(("function-", "tagged-union")))
    ]
    line = f"{prefix}{field_path(loc)}: {_message(dict(first))}"
    if len(errors) > 1:
        line += f" (and {len(errors) - 1} more)"
    return line

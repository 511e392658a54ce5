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


def problem_line(field: str, message: str) -> str:
    """``<field>: <message>``; a message that names a path inside ``field`` itself (a
    validator on ``entries`` saying ``entries[1].revision_id: ...``) is joined onto it, so
    the line reads ``deployments[0].entries[1].revision_id: ...``, not the prefix twice."""
    head = field.rsplit(".", 1)[-1].split("[", 1)[0]
    path, separator, rest = message.partition(": ")
    if (
        head
        and separator
        and " " not in path
        and path.startswith((f"{head}[", f"{head}."))
        and field.endswith(head)
    ):
        return f"{field[: len(field) - len(head)]}{path}: {rest}"
    return f"{field}: {message}"


def validation_problems(exc: ValidationError, prefix: str = "") -> list[str]:
    """Every error as ``<prefix><field path>: <rule>``, in pydantic's order, without repeats."""
    lines: list[str] = []
    for error in exc.errors(include_url=False):
        loc = [p for p in error.get("loc", ()) if isinstance(p, (int, str))]
        # Union branches add their tag names to the path; keep only real field names.
        loc = [
            p
            for p in loc
            if not (isinstance(p, str) and p.startswith(("function-", "tagged-union")))
        ]
        line = prefix + problem_line(field_path(loc), _message(dict(error)))
        if line not in lines:
            lines.append(line)
    return lines or [prefix + "invalid input"]


def format_validation_error(exc: ValidationError, prefix: str = "") -> str:
    """Every problem, one line each naming its field (the first line is the headline)."""
    return "\n".join(validation_problems(exc, prefix))

"""The environment id rule on its own, free of pydantic and ULID.

The store checks ids before it builds a path from them, including on read verbs that only
list directories; keeping the rule here lets them do that without importing the models.
"""

from __future__ import annotations

import re

from greentic_iac.errors import InvalidInputError

_DNS_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def check_environment_id(value: str) -> str:
    """``value`` if it is a lowercase DNS label, else ``ValueError`` (for model validators)."""
    if not _DNS_LABEL.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a valid environment id: use a lowercase DNS label "
            "(a-z, 0-9 and '-', at most 63 characters, starting and ending alphanumeric)"
        )
    return value


def validate_environment_id(value: str) -> str:
    """Check a raw environment id (for example from a CLI argument) before any path use."""
    try:
        return check_environment_id(value)
    except ValueError as exc:
        raise InvalidInputError(f"environment_id: {exc}") from None

"""The secrets backends' failures, as the one-line errors the CLI already knows how to print.

Each class sits under the root error whose exit code fits: a missing secret is a
``NotFoundError`` (exit 2, like any unknown name), missing or refused credentials and a
missing ``kubectl`` are preflight failures (exit 3: fix the machine, then retry), and
anything the backend itself reports is a plain failure (exit 1). Messages name the secret
and the backend's error code; they are built without the value so none can leak.
"""

from __future__ import annotations

from greentic_iac.errors import GreenticError, NotFoundError, PreflightError


class SecretNotFoundError(NotFoundError):
    """The secret (or the key inside it) does not exist in the backend."""


class SecretsAccessError(PreflightError):
    """No credentials, credentials refused, or the backend's tool is not installed."""


class SecretsBackendError(GreenticError):
    """The backend answered with an error, timed out, or could not be reached."""


def one_line(text: str, limit: int = 300) -> str:
    """``text`` folded onto one line and cut at ``limit`` characters."""
    folded = " ".join(text.split())
    return folded if len(folded) <= limit else folded[: limit - 1] + "…"


def scrub(text: str, *values: str) -> str:
    """``text`` with every non-empty ``value`` (and each line of it) replaced by ``***``."""
    pieces = {v for value in values if value for v in (value, *value.splitlines()) if v.strip()}
    for piece in sorted(pieces, key=len, reverse=True):
        text = text.replace(piece, "***")
    return text

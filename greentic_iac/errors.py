"""One root exception and the domain errors every layer raises.

The CLI maps each class to an exit code (``exit_code``) and prints ``str(error)`` as a
single line; anything that is not a ``GreenticError`` is a bug and gets a debug log.
"""

from __future__ import annotations


class GreenticError(Exception):
    """Root of every expected greentic-iac error."""

    exit_code = 1


class InvalidInputError(GreenticError):
    """The caller's input (answers file, id, descriptor, settings) is invalid."""

    exit_code = 2


class NotFoundError(InvalidInputError):
    """A named environment, deployment, revision or binding does not exist."""


class StateCorruptError(InvalidInputError):
    """A state document on disk fails its integrity check or cannot be parsed."""


class PreflightError(GreenticError):
    """A required tool or credential check failed before an apply."""

    exit_code = 3


class ConflictError(GreenticError):
    """Stale generation, lock held by someone else, or idempotency key reuse."""

    exit_code = 4


class AuthorizationError(GreenticError):
    """A mutation of a non-local environment without a grant (fails closed)."""

    exit_code = 2

"""The registry's typed errors: each is bad input (exit 2) naming the descriptor or field.

Seed 001 names them: ``UnknownKind`` and ``VersionUnsupported`` from ``resolve``,
``SlotMismatch`` from ``resolve_for_slot``, ``DuplicateRegistration`` from ``register``.
A plug-in that fails to import is not the caller's fault, so ``BrokenPlugin`` is a plain
``GreenticError`` (exit 1) and ``env doctor`` lists it without failing.
"""

from __future__ import annotations

from greentic_iac.errors import GreenticError, InvalidInputError


class UnknownKind(InvalidInputError):
    """No handler is registered for the descriptor's path."""


class VersionUnsupported(InvalidInputError):
    """The descriptor pins a version outside the handler's ``supported_versions``."""


class SlotMismatch(InvalidInputError):
    """A binding points a slot at a handler that serves another slot."""


class DuplicateRegistration(InvalidInputError):
    """Two handlers claim the same descriptor path (a plug-in cannot shadow a built-in)."""


class ManifestError(InvalidInputError):
    """An env-pack manifest file is malformed (the message names the file)."""


class BrokenPlugin(GreenticError):
    """A third-party handler failed to import or does not implement the protocol."""

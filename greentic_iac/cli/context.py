"""What every verb handler gets: the parsed globals, a lazily opened store and registry.

Nothing heavy is imported here (pydantic loads with the first payload parsed): every verb,
including the read verbs that must start fast, imports this module.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from greentic_iac.errors import InvalidInputError

if TYPE_CHECKING:
    from pydantic import BaseModel

    from greentic_iac.envpacks import EnvPackRegistry
    from greentic_iac.spec import EnvironmentState
    from greentic_iac.spec.answers import Mutation
    from greentic_iac.store import EnvironmentStore, MutationResult
    from greentic_iac.store.model import Change

M = TypeVar("M", bound="BaseModel")


@dataclass(frozen=True)
class Rendered:
    """A handler's output with its own exit code, or a document printed verbatim.

    For verbs whose product is a document in a format the user chose (``preview --format
    markdown``, ``plan --canonical``) and for verbs with their own exit codes (``--detailed-
    exitcode``: 5 means changes present; ``doctor secrets``: 1 means findings). With
    ``result``, JSON output is the usual envelope around it and ``text`` is what a person
    at a terminal sees (the result's table when ``text`` is empty).
    """

    text: str = ""
    exit_code: int = 0
    result: dict[str, Any] | None = None


MAX_ANSWERS_BYTES = 4 * 1024 * 1024


@dataclass
class Context:
    home: Path | None
    store_url: str | None
    output: str
    debug: bool
    args: argparse.Namespace
    # The grant an engine verb was allowed with (``apply.grant_gate``), for its audit events.
    grant: str | None = None
    _store: EnvironmentStore | None = field(default=None, repr=False)
    _registry: EnvPackRegistry | None = field(default=None, repr=False)

    @property
    def store(self) -> EnvironmentStore:
        if self._store is None:
            from greentic_iac.store import open_store

            self._store = open_store(self.store_url, home=self.home)
        return self._store

    @property
    def registry(self) -> EnvPackRegistry:
        if self._registry is None:
            from greentic_iac.envpacks import EnvPackRegistry

            self._registry = EnvPackRegistry.discover()
        return self._registry

    def environment_state(self) -> EnvironmentState:
        """The state of the environment a read verb names positionally."""
        from greentic_iac.spec.environment_id import validate_environment_id

        state: EnvironmentState = self.store.load(validate_environment_id(self.args.environment_id))
        return state

    def allocated(self, change: Change) -> Change:
        """``change`` followed by the deployer's allocation hook (operations/allocations.py):
        what a target allocates per owner is chosen inside the same transaction."""
        from greentic_iac.operations.allocations import with_allocations
        from greentic_iac.operations.baseline import applied_generation
        from greentic_iac.store.claims import claims_for

        home = self.greentic_home

        def applied(environment_id: str) -> int | None:
            return applied_generation(home, environment_id)

        timeout = float(getattr(self.store, "lock_timeout", 10.0))
        claims = claims_for(self.store, home, timeout, applied)
        return with_allocations(change, applied, claims, lambda: self.registry)

    def mutate(self, payload: Mutation, verb: str, change: Change) -> MutationResult:
        """One transaction for an answers payload: its environment, compare-and-swap
        generation, idempotency key and (hashed, audited) payload."""
        return self.store.mutate(
            payload.environment_id,
            self.allocated(change),
            verb=verb,
            expected_generation=payload.expected_generation,
            idempotency_key=payload.idempotency_key,
            payload=payload.to_json_dict(),
        )

    def resolve_names(self, label: str, document: Any) -> Any:
        """The answers document with ``shop``, ``shop@3`` and id prefixes replaced by full
        ids (operations/names.py), read against the environment it names. A document
        without names, or naming no stored environment, is returned as it is: validation
        and the verb report what is wrong with it."""
        from greentic_iac.operations.names import needs_resolving, resolve_names

        if not isinstance(document, dict) or not needs_resolving(document):
            return document
        environment_id = document.get("environment_id")
        if not isinstance(environment_id, str):
            return document
        from greentic_iac.spec.environment_id import validate_environment_id

        try:
            environment_id = validate_environment_id(environment_id)
        except (InvalidInputError, ValueError):
            return document
        if not self.store.exists(environment_id):
            return document
        try:
            return resolve_names(document, self.store.load(environment_id))
        except InvalidInputError as exc:
            raise InvalidInputError(f"{label}: {exc}") from None

    @property
    def greentic_home(self) -> Path:
        from greentic_iac.store import greentic_home

        return greentic_home(self.home)


def read_answers(source: str | None) -> tuple[str, Any]:
    """Load the ``--answers`` JSON document; every failure names the file or the field."""
    from greentic_iac.cli.answers_document import parse_answers_text

    if source is None:
        raise InvalidInputError(
            "--answers: this verb takes its payload from --answers FILE (or - for stdin)"
        )
    if source == "-":
        label = "<stdin>"
        raw = _read_stdin()
    else:
        label = source
        raw = _read_answers_file(source)
    if len(raw) > MAX_ANSWERS_BYTES:
        raise InvalidInputError(f"{label}: answers file is larger than {MAX_ANSWERS_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInputError(f"{label}: answers file is not UTF-8 text") from None
    if not text.strip():
        raise InvalidInputError(f"{label}: answers file is empty")
    document = parse_answers_text(text, label)
    if not isinstance(document, dict):
        raise InvalidInputError(f"{label}: the answers document must be a JSON object")
    return label, document


def _read_stdin() -> bytes:
    if sys.stdin is None:  # started with stdin closed (`<&-`)
        raise InvalidInputError("<stdin>: --answers - needs a standard input, and it is closed")
    try:
        buffer = getattr(sys.stdin, "buffer", None)
        if buffer is not None:
            data: bytes = buffer.read(MAX_ANSWERS_BYTES + 1)
            return data
        # A text stream without bytes underneath (a test's StringIO): encode what it holds.
        return sys.stdin.read(MAX_ANSWERS_BYTES + 1).encode("utf-8", "surrogateescape")
    except OSError as exc:
        raise InvalidInputError(f"<stdin>: cannot read answers ({exc.strerror})") from None


def _read_answers_file(source: str) -> bytes:
    """The file's bytes; only a regular file is opened, so a FIFO or device never blocks."""
    import os
    import stat

    try:
        # O_NONBLOCK: opening a FIFO no writer holds returns at once instead of waiting for
        # one (the fstat below then refuses it); a regular file reads as usual.
        descriptor = os.open(source, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise InvalidInputError(f"{source}: answers file not found") from None
    except IsADirectoryError:
        raise InvalidInputError(f"{source}: is a directory, not an answers file") from None
    except OSError as exc:
        raise InvalidInputError(f"{source}: cannot read answers file ({exc.strerror})") from None
    try:
        mode = os.fstat(descriptor).st_mode
        if stat.S_ISDIR(mode):
            raise InvalidInputError(f"{source}: is a directory, not an answers file")
        if not stat.S_ISREG(mode):
            raise InvalidInputError(
                f"{source}: not a regular file (a FIFO or device); pipe it with --answers -"
            )
        chunks: list[bytes] = []
        size = 0
        while size <= MAX_ANSWERS_BYTES:
            chunk = os.read(descriptor, MAX_ANSWERS_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    except OSError as exc:
        raise InvalidInputError(f"{source}: cannot read answers file ({exc.strerror})") from None
    finally:
        os.close(descriptor)


def parse_payload(model: type[M], label: str, document: Any) -> M:
    import json

    from pydantic import ValidationError

    from greentic_iac.spec import format_validation_error

    # Strict types, in JSON mode: `true` is not the integer 1 and "5" is not 5, while enum
    # values and decimals still read from their JSON forms. The document was checked by
    # parse_answers_text, so dumping it again is exact.
    try:
        return model.model_validate_json(json.dumps(document), strict=True)
    except ValidationError as exc:
        raise InvalidInputError(format_validation_error(exc, prefix=f"{label}: ")) from None

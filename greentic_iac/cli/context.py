"""What every verb handler gets: the parsed globals, a lazily opened store and registry.

Nothing heavy is imported here (pydantic loads with the first payload parsed): every verb,
including the read verbs that must start fast, imports this module.
"""

from __future__ import annotations

import argparse
import json
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
    markdown``, ``plan --json``) and for verbs with their own exit codes (``--detailed-
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

    @property
    def greentic_home(self) -> Path:
        from greentic_iac.store import greentic_home

        return greentic_home(self.home)


def read_answers(source: str | None) -> tuple[str, Any]:
    """Load the ``--answers`` JSON document; every failure names the file."""
    if source is None:
        raise InvalidInputError(
            "--answers: this verb takes its payload from --answers FILE (or - for stdin)"
        )
    if source == "-":
        text = sys.stdin.read(MAX_ANSWERS_BYTES + 1)
        label = "<stdin>"
    else:
        path = Path(source)
        label = source
        if path.is_dir():
            raise InvalidInputError(f"{label}: is a directory, not an answers file")
        try:
            with path.open("rb") as handle:
                raw = handle.read(MAX_ANSWERS_BYTES + 1)
        except FileNotFoundError:
            raise InvalidInputError(f"{label}: answers file not found") from None
        except OSError as exc:
            raise InvalidInputError(f"{label}: cannot read answers file ({exc.strerror})") from None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInputError(f"{label}: answers file is not UTF-8 text") from None
    if len(text) > MAX_ANSWERS_BYTES:
        raise InvalidInputError(f"{label}: answers file is larger than {MAX_ANSWERS_BYTES} bytes")
    if not text.strip():
        raise InvalidInputError(f"{label}: answers file is empty")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(
            f"{label}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    if not isinstance(document, dict):
        raise InvalidInputError(f"{label}: the answers document must be a JSON object")
    return label, document


def parse_payload(model: type[M], label: str, document: Any) -> M:
    from pydantic import ValidationError

    from greentic_iac.spec import format_validation_error

    try:
        return model.model_validate(document)
    except ValidationError as exc:
        raise InvalidInputError(format_validation_error(exc, prefix=f"{label}: ")) from None

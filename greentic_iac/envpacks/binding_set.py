"""One binding contract over the three collections an environment binds packs in.

Core slots (``Environment.packs``, keyed by slot), extensions (keyed by ``(descriptor path,
instance_id)``) and messaging endpoints (keyed by ``endpoint_id``) keep the same contract
(seed 001): ``add`` refuses a bound key; ``update`` bumps ``generation`` and keeps the
previous binding; ``rollback`` restores it, one step only; ``remove`` is terminal (nothing
is left to roll back). A ``BindingSet`` says what differs (which list, the key, how a key
reads in an error, how a binding is built at a key, which fields name it in a result);
the contract itself is written once, here. Validating a payload against the registry
stays with each collection: that is where they differ.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import ValidationError

from greentic_iac.errors import ConflictError, InvalidInputError, NotFoundError
from greentic_iac.spec import (
    Environment,
    EnvPackBinding,
    ExtensionBinding,
    MessagingEndpoint,
    PackDescriptor,
    format_validation_error,
)

Binding = TypeVar("Binding", EnvPackBinding, ExtensionBinding, MessagingEndpoint)
Key = TypeVar("Key")


def check_environment(environment: Environment, environment_id: str) -> None:
    if environment.environment_id != environment_id:
        raise InvalidInputError(
            f"environment_id: {environment_id!r} does not match the loaded environment "
            f"{environment.environment_id!r}"
        )


def rebuild_environment(environment: Environment, **changes: Any) -> Environment:
    """``environment`` with ``changes``, validated again (a bad result is invalid input)."""
    data = environment.model_dump()
    data.update(changes)
    try:
        return Environment.model_validate(data)
    except ValidationError as exc:
        raise InvalidInputError(format_validation_error(exc)) from None


@dataclass(frozen=True)
class BindingSet(Generic[Binding, Key]):
    # The Environment list the bindings live in.
    field: str
    key_of: Callable[[Binding], Key]
    # A key as an error names it, field first: "slot: 'secrets'".
    label: Callable[[Key], str]
    # The verb that changes a bound key (the hint when ``add`` finds it bound).
    update_verb: str
    # A binding at a key, from kind, pack_ref, answers_ref, settings and its history.
    build: Callable[..., Binding]
    # The fields that name a binding in a verb's result, in the order they are shown.
    identity: Callable[[Binding], dict[str, Any]]
    # Whether the "already bound" refusal names the environment (env-packs' always has).
    conflict_names_environment: bool = False

    def find(self, environment: Environment, key: Key) -> Binding | None:
        members: list[Binding] = getattr(environment, self.field)
        return next((b for b in members if self.key_of(b) == key), None)

    def bound(self, environment: Environment, key: Key) -> Binding:
        binding = self.find(environment, key)
        if binding is None:
            raise NotFoundError(
                f"{self.label(key)} is not bound in environment {environment.environment_id!r}"
            )
        return binding

    def refuse_bound(self, environment: Environment, key: Key) -> None:
        if self.find(environment, key) is not None:
            where = (
                f" in environment {environment.environment_id!r}"
                if self.conflict_names_environment
                else ""
            )
            raise ConflictError(
                f"{self.label(key)} is already bound{where} (use {self.update_verb})"
            )

    def replace(self, environment: Environment, key: Key, binding: Binding | None) -> Environment:
        """``environment`` with ``key`` bound to ``binding`` (unbound for None)."""
        members: list[Binding] = getattr(environment, self.field)
        others = [b.model_dump() for b in members if self.key_of(b) != key]
        if binding is not None:
            others.append(binding.model_dump())
        return rebuild_environment(environment, **{self.field: others})

    def result(self, environment: Environment, binding: Binding) -> dict[str, Any]:
        return {
            "environment_id": environment.environment_id,
            **self.identity(binding),
            "pack_ref": binding.pack_ref,
            "answers_ref": binding.answers_ref,
            "generation": binding.generation,
            "has_previous": binding.previous is not None,
        }

    def bind(
        self,
        environment: Environment,
        key: Key,
        current: Binding | None,
        *,
        kind: PackDescriptor,
        pack_ref: str,
        answers_ref: str | None,
        settings: dict[str, Any],
    ) -> tuple[Environment, dict[str, Any]]:
        """The new binding at ``key``; replacing ``current`` bumps and keeps it (rollback)."""
        history: dict[str, Any] = (
            {}
            if current is None
            else {"generation": current.generation + 1, "previous": current.snapshot()}
        )
        binding = self.build(
            key,
            kind=kind,
            pack_ref=pack_ref,
            answers_ref=answers_ref,
            settings=settings,
            **history,
        )
        updated = self.replace(environment, key, binding)
        return updated, self.result(updated, binding)

    def remove(self, environment: Environment, key: Key) -> tuple[Environment, dict[str, Any]]:
        """Detach ``key`` (whatever its kind, so a bad binding can be cleared)."""
        current = self.bound(environment, key)
        updated = self.replace(environment, key, None)
        return updated, {
            "environment_id": updated.environment_id,
            **self.identity(current),
            "removed": True,
            "generation": current.generation,
        }

    def rollback(self, environment: Environment, key: Key) -> tuple[Environment, dict[str, Any]]:
        """Restore what the last ``update`` replaced (one step; ``NotFoundError`` if none)."""
        current = self.bound(environment, key)
        previous = current.previous
        if previous is None:
            raise NotFoundError(f"{self.label(key)} has no previous binding to roll back to")
        binding = self.build(
            key,
            kind=previous.kind,
            pack_ref=previous.pack_ref,
            answers_ref=previous.answers_ref,
            settings=previous.settings,
            generation=current.generation + 1,
        )
        updated = self.replace(environment, key, binding)
        result = self.result(updated, binding)
        result["rolled_back_from"] = str(current.kind)
        return updated, result

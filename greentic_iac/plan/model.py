"""Plan IR data model.

References to another resource's output are plain JSON objects
``{"$ref": {"resource": "<logical name>", "output": "<output name>"}}`` anywhere inside
properties or stack outputs; ``ref()`` builds one and ``iter_refs()`` finds them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Any, Final, Literal, Protocol, Self

from pydantic import Field, model_validator

from greentic_iac.spec.base import SpecModel
from greentic_iac.spec.state import EnvironmentState

PLAN_SCHEMA: Final = "greentic.plan.v1"
REF_KEY: Final = "$ref"


def ref(resource: str, output: str) -> dict[str, Any]:
    return {REF_KEY: {"resource": resource, "output": output}}


def is_ref(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and set(value) == {REF_KEY}
        and isinstance(value[REF_KEY], dict)
        and set(value[REF_KEY]) == {"resource", "output"}
    )


def iter_refs(value: Any) -> Iterator[tuple[str, str]]:
    """Every ``(resource, output)`` referenced anywhere inside ``value``."""
    if is_ref(value):
        yield value[REF_KEY]["resource"], value[REF_KEY]["output"]
    elif isinstance(value, dict):
        for item in value.values():
            yield from iter_refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from iter_refs(item)


def _collect_ref_names(value: Any, found: set[str]) -> None:
    # iter_refs without a generator frame per node: Plan's validator walks every property
    # of every resource, and 10k-resource plans are the bench's case.
    if isinstance(value, dict):
        if is_ref(value):
            found.add(value[REF_KEY]["resource"])
            return
        for item in value.values():
            _collect_ref_names(item, found)
    elif isinstance(value, list):
        for item in value:
            _collect_ref_names(item, found)


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Finding(SpecModel):
    severity: Severity
    code: str
    message: str
    # What the finding is about: a resource's logical name, a deployment or revision id.
    subject: str | None = None


class ResourceOptions(SpecModel):
    protect: bool = False
    delete_before_replace: bool = False
    ignore_changes: list[str] = Field(default_factory=list)
    additional_secret_outputs: list[str] = Field(default_factory=list)


class PlanResource(SpecModel):
    type: str = Field(
        min_length=3, description="Pulumi type token, e.g. aws:lb/listenerRule:ListenerRule"
    )
    name: str = Field(min_length=1, max_length=200, description="stable logical name")
    properties: dict[str, Any] = Field(default_factory=dict)
    parent: str | None = None
    depends_on: list[str] = Field(default_factory=list)
    options: ResourceOptions = Field(default_factory=ResourceOptions)

    def references(self) -> set[str]:
        found: set[str] = set()
        _collect_ref_names(self.properties, found)
        return found

    @classmethod
    def trusted(
        cls,
        *,
        type: str,
        name: str,
        properties: dict[str, Any],
        parent: str | None = None,
        depends_on: list[str] | None = None,
        options: ResourceOptions | None = None,
    ) -> PlanResource:
        """A resource a compiler builds from already-validated state, without re-validation.

        Every field is passed explicitly: for a field left out, ``model_construct`` calls
        the default factory through a signature check that costs more than validating the
        whole resource. ``Plan``'s own validator still checks names and references.
        """
        return cls.model_construct(
            type=type,
            name=name,
            properties=properties,
            parent=parent,
            depends_on=depends_on if depends_on is not None else [],
            options=options
            if options is not None
            else ResourceOptions.model_construct(
                protect=False,
                delete_before_replace=False,
                ignore_changes=[],
                additional_secret_outputs=[],
            ),
        )


class RevisionTraffic(SpecModel):
    revision_id: str
    requested_bps: int = Field(ge=0, le=10_000)
    # The weight the target writes (ALB 0-999, Gateway API bps, nginx canary bps, …).
    applied_weight: int = Field(ge=0)
    # The share that weight really gives, in bps (may be fractional after rounding).
    effective_bps: float = Field(ge=0, le=10_000)


class DeploymentTraffic(SpecModel):
    deployment_id: str
    method: str = Field(description="how bps were converted, e.g. alb-weight-0-999")
    revisions: list[RevisionTraffic] = Field(default_factory=list)

    @property
    def max_error_bps(self) -> float:
        return max((abs(r.effective_bps - r.requested_bps) for r in self.revisions), default=0.0)


class Plan(SpecModel):
    schema_version: Literal["greentic.plan.v1"] = PLAN_SCHEMA
    environment_id: str
    target: str = Field(description="deployer descriptor path, e.g. greentic.deployer.aws-ecs")
    resources: list[PlanResource] = Field(default_factory=list)
    traffic: list[DeploymentTraffic] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    outputs: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _names_and_references_resolve(self) -> Self:
        names: set[str] = set()
        for resource in self.resources:
            if resource.name in names:
                raise ValueError(f"resource name {resource.name!r} is used twice")
            names.add(resource.name)
        for resource in self.resources:
            missing = (
                resource.references()
                | set(resource.depends_on)
                | ({resource.parent} if resource.parent else set())
            ) - names
            if missing:
                raise ValueError(
                    f"resource {resource.name!r} refers to unknown resource {sorted(missing)[0]!r}"
                )
        missing_out = {name for name, _ in iter_refs(self.outputs)} - names
        if missing_out:
            raise ValueError(f"stack output refers to unknown resource {sorted(missing_out)[0]!r}")
        return self

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == Severity.ERROR]

    def resource(self, name: str) -> PlanResource:
        for resource in self.resources:
            if resource.name == name:
                return resource
        raise KeyError(name)

    def canonical(self) -> Plan:
        """Resources sorted by name, findings and traffic in a stable order."""
        return self.model_copy(
            update={
                "resources": sorted(self.resources, key=lambda r: r.name),
                "traffic": sorted(self.traffic, key=lambda t: t.deployment_id),
                "findings": sorted(
                    self.findings, key=lambda f: (f.severity, f.code, f.subject or "", f.message)
                ),
            }
        )

    def canonical_json(self) -> str:
        return json.dumps(self.canonical().to_json_dict(), sort_keys=True, separators=(",", ":"))

    def content_hash(self) -> str:
        return "sha256:" + hashlib.sha256(self.canonical_json().encode()).hexdigest()

    def to_pretty_json(self) -> str:
        return json.dumps(self.canonical().to_json_dict(), sort_keys=True, indent=2) + "\n"

    def save(self, path: Path) -> None:
        path.write_text(self.to_pretty_json(), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Plan:
        return cls.model_validate_json(path.read_bytes())

    def dependency_order(self) -> list[PlanResource]:
        """Resources with every dependency (ref, depends_on, parent) before its dependents.

        Ties break by name so the order is deterministic; a cycle is a ValueError.
        """
        by_name = {r.name: r for r in self.resources}
        deps = {
            r.name: r.references() | set(r.depends_on) | ({r.parent} if r.parent else set())
            for r in self.resources
        }
        ordered: list[PlanResource] = []
        done: set[str] = set()
        visiting: set[str] = set()

        def visit(name: str) -> None:
            if name in done:
                return
            if name in visiting:
                raise ValueError(f"dependency cycle through resource {name!r}")
            visiting.add(name)
            for dep in sorted(deps[name]):
                visit(dep)
            visiting.discard(name)
            done.add(name)
            ordered.append(by_name[name])

        for name in sorted(by_name):
            visit(name)
        return ordered


class Compiler(Protocol):
    """A target: a pure, deterministic function from the environment's state to a plan.

    It reads its target settings from the deployer binding
    (``state.environment.deployer().settings``) and per-deployment/per-revision overrides
    from ``BundleDeployment.settings`` / ``Revision.settings``. No I/O.
    """

    def __call__(self, state: EnvironmentState) -> Plan: ...

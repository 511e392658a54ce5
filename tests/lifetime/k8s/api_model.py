"""An in-memory Kubernetes API server, just deep enough to replay plans into (issue 16).

What it knows is what the issue's defects depend on: object identity is (namespace, kind,
name) across every stack on the cluster; a create of an existing object is
``AlreadyExists`` (pulumi-kubernetes >= 4.29 creates client-side, it no longer upserts);
a namespaced object can't be created in a missing namespace; Deployment ``spec.selector``
and an allocated Service ``spec.clusterIP`` are immutable (an update that changes them is
``Invalid``, so the change must be a replace); and deleting a Namespace deletes everything
in it, whoever created it. Each object remembers the stack that created it.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field
from typing import Any

Identity = tuple[str | None, str, str]  # (namespace or None for cluster-scoped, kind, name)
CLUSTER_SCOPED = frozenset({"Namespace"})


class ApiError(Exception):
    """A refusal the real API server would answer with (its ``reason`` and message)."""

    reason = "BadRequest"

    def __init__(self, identity: Identity, message: str) -> None:
        namespace, kind, name = identity
        where = f"{kind} {namespace + '/' if namespace else ''}{name}"
        super().__init__(f"{self.reason}: {where}: {message}")
        self.identity = identity


class AlreadyExists(ApiError):
    reason = "AlreadyExists"


class NotFound(ApiError):
    reason = "NotFound"


class Invalid(ApiError):
    reason = "Invalid"


def identity_of(manifest: dict[str, Any]) -> Identity:
    kind = str(manifest["kind"])
    metadata = manifest["metadata"]
    namespace = None if kind in CLUSTER_SCOPED else str(metadata.get("namespace") or "default")
    return namespace, kind, str(metadata["name"])


@dataclass
class StoredObject:
    manifest: dict[str, Any]
    created_by: str


@dataclass
class Cluster:
    objects: dict[Identity, StoredObject] = field(default_factory=dict)
    # (deleting stack, creating stack, identity) of each object a Namespace delete took.
    cascaded: list[tuple[str, str, Identity]] = field(default_factory=list)
    _cluster_ips: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def get(self, identity: Identity) -> dict[str, Any] | None:
        found = self.objects.get(identity)
        return found.manifest if found is not None else None

    def in_namespace(self, namespace: str) -> list[Identity]:
        return sorted((i for i in self.objects if i[0] == namespace), key=lambda i: (i[1], i[2]))

    def create(self, stack: str, manifest: dict[str, Any]) -> None:
        identity = identity_of(manifest)
        if identity in self.objects:
            owner = self.objects[identity].created_by
            raise AlreadyExists(identity, f"already exists (created by stack {owner})")
        namespace = identity[0]
        if namespace is not None and (None, "Namespace", namespace) not in self.objects:
            raise NotFound(identity, f'namespaces "{namespace}" not found')
        stored = copy.deepcopy(manifest)
        if identity[1] == "Service":
            spec = stored.setdefault("spec", {})
            if spec.get("clusterIP") is None:
                spec["clusterIP"] = f"10.96.0.{next(self._cluster_ips)}"
        self.objects[identity] = StoredObject(stored, stack)

    def update(self, stack: str, manifest: dict[str, Any]) -> None:
        identity = identity_of(manifest)
        current = self.objects.get(identity)
        if current is None:
            raise NotFound(identity, "not found (update)")
        stored = copy.deepcopy(manifest)
        old_spec = current.manifest.get("spec") or {}
        new_spec = stored.get("spec") or {}
        if identity[1] == "Deployment" and old_spec.get("selector") != new_spec.get("selector"):
            raise Invalid(identity, "spec.selector: field is immutable")
        if identity[1] == "Service":
            allocated = old_spec.get("clusterIP")
            wanted = new_spec.get("clusterIP")
            if wanted is not None and wanted != allocated:
                raise Invalid(identity, "spec.clusterIP: field is immutable")
            stored.setdefault("spec", {})["clusterIP"] = allocated
        current.manifest = stored

    def delete(self, stack: str, identity: Identity) -> None:
        """Deleting what is gone is success (as pulumi-kubernetes treats a 404)."""
        if self.objects.pop(identity, None) is None:
            return
        if identity[1] == "Namespace":
            for inside in self.in_namespace(identity[2]):
                gone = self.objects.pop(inside)
                self.cascaded.append((stack, gone.created_by, inside))

"""Secrets in Kubernetes Secret objects (``greentic.secrets.k8s``), through ``kubectl``.

A logical secret ``NAME`` is its own Secret ``greentic-<name>`` (lowercased into a DNS
subdomain) in the pack's namespace, under the key ``value``, labelled as greentic's and
as the environment's, with the logical name in an annotation (two names that lowercase
alike can't silently share an object). The pack's ``secret_refs`` may instead map ``NAME``
to ``{secret, key}`` of an existing Secret: greentic then writes and reads only that key.

Writes are ``kubectl apply --server-side -f -`` with the manifest on stdin: the value is
never on a command line, and a field manager per logical name means writing one key of a
shared Secret never removes another key that someone (or another name) owns.

``rotate`` keeps the replaced value in the same Secret under ``<key>.previous``
(``value.previous`` for greentic's own Secrets), written first and by a field manager of
its own, so a later ``put`` (which applies only ``<key>``) never drops it. ``delete``
removes a Secret greentic manages, at once (Kubernetes has no recovery window); a Secret
mapped by ``secret_refs`` is someone else's and is never deleted.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from greentic_iac.errors import ConflictError, InvalidInputError
from greentic_iac.secrets.backend import DeleteOutcome, DeleteRequest, PutOutcome, RotateOutcome
from greentic_iac.secrets.errors import SecretNotFoundError, SecretsBackendError
from greentic_iac.secrets.kubectl import Kubectl

K8S: Final = "greentic.secrets.k8s"
MANAGED_BY_LABEL: Final = "app.kubernetes.io/managed-by"
MANAGED_BY: Final = "greentic-iac"  # the same value the k8s target labels its objects with
ENVIRONMENT_LABEL: Final = "greentic.ai/environment"
NAME_ANNOTATION: Final = "greentic.ai/secret-name"
VALUE_KEY: Final = "value"
PREVIOUS_SUFFIX: Final = ".previous"
_FIELD_MANAGER_LIMIT: Final = 128


def secret_object_name(name: str) -> str:
    """``greentic-<name>`` as a DNS subdomain: lowercase, ``_`` as ``-``, clean dot labels.

    Logical names start with a letter or digit and hold only ``[A-Za-z0-9._-]``, so after
    lowercasing the only repairs are the label edges around dots and the end.
    """
    candidate = "greentic-" + name.lower().replace("_", "-")
    candidate = re.sub(r"[-.]*\.[-.]*", ".", candidate).rstrip("-.")
    return candidate[:253].rstrip("-.")


def field_manager(name: str) -> str:
    """One server-side-apply field manager per logical name (at most 128 characters)."""
    manager = f"greentic-secret-{name}"
    if len(manager) <= _FIELD_MANAGER_LIMIT:
        return manager
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:16]
    return f"{manager[: _FIELD_MANAGER_LIMIT - 17]}-{digest}"


@dataclass(frozen=True)
class SecretRef:
    secret: str
    key: str


@dataclass
class KubernetesSecrets:
    """The ``secrets`` verbs' backend for one environment bound to ``greentic.secrets.k8s``."""

    environment_id: str
    kubectl: Kubectl
    secret_refs: dict[str, SecretRef] = field(default_factory=dict)
    kind: str = K8S

    @classmethod
    def from_settings(
        cls,
        environment_id: str,
        settings: Mapping[str, Any],
        *,
        kube_context: str | None = None,
        install_hint: str | None = None,
        timeout_seconds: float | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> KubernetesSecrets:
        options: dict[str, Any] = {}
        if install_hint:
            options["install_hint"] = install_hint
        if timeout_seconds is not None:
            options["timeout_seconds"] = timeout_seconds
        kubectl = Kubectl(
            namespace=str(settings["namespace"]),
            context=kube_context or None,
            environ=environ,
            **options,
        )
        refs = {
            logical: SecretRef(secret=str(ref["secret"]), key=str(ref["key"]))
            for logical, ref in (settings.get("secret_refs") or {}).items()
        }
        return cls(environment_id=environment_id, kubectl=kubectl, secret_refs=refs)

    @property
    def namespace(self) -> str:
        return self.kubectl.namespace

    def location(self, name: str) -> tuple[str, str]:
        """``(Secret object name, key)`` holding logical secret ``name``."""
        ref = self.secret_refs.get(name)
        if ref is not None:
            return ref.secret, ref.key
        return secret_object_name(name), VALUE_KEY

    # ---- the protocol ---------------------------------------------------------------------

    def put(self, name: str, value: str) -> PutOutcome:
        secret, _ = self.location(name)
        what = f"secrets put {name}: Secret {self.namespace}/{secret}"
        existing = self._read(secret, what)
        return self._write(name, value, existing, what)

    def rotate(self, name: str, value: str) -> RotateOutcome:
        secret, key = self.location(name)
        what = f"secrets rotate {name}: Secret {self.namespace}/{secret}"
        existing = self._read(secret, what)
        if existing is None:
            raise SecretNotFoundError(f"{what} does not exist (use secrets put)")
        if name not in self.secret_refs:
            self._check_owner(name, secret, existing, what)
        data = existing.get("data") or {}
        if key not in data:
            raise SecretNotFoundError(f"{what} has no key {key!r} (use secrets put)")
        encoded_old = str(data[key])
        try:
            old = base64.b64decode(encoded_old, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            old = ""
        previous_key = key + PREVIOUS_SUFFIX
        keep = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": secret, "namespace": self.namespace},
            "data": {previous_key: encoded_old},
        }
        self._apply(
            field_manager(name + PREVIOUS_SUFFIX), keep, what, _secret_forms(old, encoded_old)
        )
        written = self._write(name, value, existing, what)
        return RotateOutcome(
            reference=written.reference, previous=f"{self.namespace}/{secret}#{previous_key}"
        )

    def delete(self, name: str, request: DeleteRequest) -> DeleteOutcome:
        if request.recovery_window_days is not None:
            raise InvalidInputError(
                "recovery_window_days: Kubernetes Secrets have no recovery window (deletion "
                "is immediate); leave it out"
            )
        secret, _ = self.location(name)
        what = f"secrets delete {name}: Secret {self.namespace}/{secret}"
        if name in self.secret_refs:
            raise ConflictError(
                f"secret_refs.{name}: {what} is not greentic's; greentic never deletes it "
                "(remove the mapping from the pack's settings instead)"
            )
        existing = self._read(secret, what)
        if existing is None:
            raise SecretNotFoundError(f"{what} does not exist")
        self._check_owner(name, secret, existing, what)
        result = self.kubectl.run(["delete", "secret", secret, "-o", "name"], what=what)
        if result.returncode != 0:
            raise self.kubectl.failure(what, result)
        return DeleteOutcome(reference=f"{self.namespace}/{secret}")

    def _write(
        self, name: str, value: str, existing: dict[str, Any] | None, what: str
    ) -> PutOutcome:
        secret, key = self.location(name)
        metadata: dict[str, Any] = {"name": secret, "namespace": self.namespace}
        if name in self.secret_refs:
            created = existing is None or key not in (existing.get("data") or {})
        else:
            self._check_owner(name, secret, existing, what)
            created = existing is None
            metadata["labels"] = {
                MANAGED_BY_LABEL: MANAGED_BY,
                ENVIRONMENT_LABEL: self.environment_id,
            }
            metadata["annotations"] = {NAME_ANNOTATION: name}
        encoded = base64.b64encode(value.encode("utf-8")).decode("ascii")
        manifest = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": metadata,
            "type": "Opaque",
            "data": {key: encoded},
        }
        if existing is not None and existing.get("type") not in (None, "Opaque"):
            # The type of an existing Secret is immutable: leave it as it is.
            del manifest["type"]
        self._apply(field_manager(name), manifest, what, _secret_forms(value, encoded))
        return PutOutcome(created=created, reference=f"{self.namespace}/{secret}#{key}")

    def _apply(self, manager: str, manifest: dict[str, Any], what: str, secret: str) -> None:
        result = self.kubectl.run(
            [
                "apply",
                "--server-side",
                f"--field-manager={manager}",
                "--force-conflicts",
                "-o",
                "name",
                "-f",
                "-",
            ],
            what=what,
            stdin=json.dumps(manifest),
            secret=secret,
        )
        if result.returncode != 0:
            raise self.kubectl.failure(what, result)

    def get(self, name: str) -> str:
        secret, key = self.location(name)
        what = f"secrets get {name}: Secret {self.namespace}/{secret}"
        existing = self._read(secret, what)
        if existing is None:
            raise SecretNotFoundError(f"{what} does not exist")
        if name not in self.secret_refs:
            self._check_owner(name, secret, existing, what)
        data = existing.get("data") or {}
        if key not in data:
            raise SecretNotFoundError(f"{what} has no key {key!r}")
        try:
            return base64.b64decode(str(data[key]), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise SecretsBackendError(f"{what}: key {key!r} is not base64 UTF-8 text") from None

    def names(self) -> list[str]:
        what = f"secrets list: Secrets in namespace {self.namespace}"
        selector = f"{MANAGED_BY_LABEL}={MANAGED_BY},{ENVIRONMENT_LABEL}={self.environment_id}"
        result = self.kubectl.run(["get", "secrets", "-l", selector, "-o", "json"], what=what)
        if result.returncode != 0:
            raise self.kubectl.failure(what, result)
        document = _json_object(result.stdout, what)
        found: set[str] = set(self.secret_refs)
        for item in document.get("items") or []:
            metadata = (item.get("metadata") or {}) if isinstance(item, dict) else {}
            logical = (metadata.get("annotations") or {}).get(NAME_ANNOTATION)
            if isinstance(logical, str) and logical:
                found.add(logical)
        return sorted(found)

    # ---- kubectl --------------------------------------------------------------------------

    def _read(self, secret: str, what: str) -> dict[str, Any] | None:
        """The Secret object as JSON, or None when it does not exist."""
        result = self.kubectl.run(
            ["get", "secret", secret, "--ignore-not-found", "-o", "json"], what=what
        )
        if result.returncode != 0:
            raise self.kubectl.failure(what, result)
        if not result.stdout.strip():
            return None
        return _json_object(result.stdout, what)

    def _check_owner(
        self, name: str, secret: str, existing: dict[str, Any] | None, what: str
    ) -> None:
        """Refuse a Secret that holds another logical name or another environment's value."""
        if existing is None:
            return
        metadata = existing.get("metadata") or {}
        labels = metadata.get("labels") or {}
        owner = (metadata.get("annotations") or {}).get(NAME_ANNOTATION)
        if labels.get(MANAGED_BY_LABEL) != MANAGED_BY:
            raise ConflictError(
                f"{what} exists and is not managed by greentic; map {name!r} to it with the "
                "pack's secret_refs to use it"
            )
        environment = labels.get(ENVIRONMENT_LABEL)
        if environment != self.environment_id:
            raise ConflictError(f"{what} belongs to environment {environment!r}")
        if owner not in (None, name):
            raise ConflictError(f"{what} already holds secret {owner!r} (the names collide)")


def _secret_forms(value: str, encoded: str) -> str:
    # The scrubber takes one string; the value and its base64 form on separate lines are
    # both replaced (scrub also replaces each line on its own).
    return f"{value}\n{encoded}"


def _json_object(text: str, what: str) -> dict[str, Any]:
    try:
        document = json.loads(text)
    except ValueError:
        raise SecretsBackendError(f"{what}: kubectl printed something that is not JSON") from None
    if not isinstance(document, dict):
        raise SecretsBackendError(f"{what}: kubectl printed JSON that is not an object")
    return document

"""Which backend holds an environment's secrets: the one its secrets pack binding names.

The binding's settings were validated against the pack's schema when it was bound, so this
reads them without re-validating; the deployer binding contributes the kube context a
Kubernetes environment talks to.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from greentic_iac.errors import GreenticError, NotFoundError
from greentic_iac.secrets.aws_sm import AWS_SM, AwsSecretsManager
from greentic_iac.secrets.backend import SecretsBackend
from greentic_iac.secrets.dev_store import DEV_STORE, DevStore
from greentic_iac.secrets.k8s import K8S, KubernetesSecrets
from greentic_iac.spec import CapabilitySlot, EnvironmentState

SUPPORTED_PACKS = (DEV_STORE, AWS_SM, K8S)


def dev_store_path(home: Path, environment_id: str) -> Path:
    return home / "secrets" / f"{environment_id}.json"


def backend_for_state(
    state: EnvironmentState,
    *,
    home: Path,
    kubectl_install_hint: str | None = None,
    kubectl_timeout_seconds: float | None = None,
    environ: Mapping[str, str] | None = None,
) -> SecretsBackend:
    """The backend of ``state``'s secrets pack; an unbound or unknown pack is a one-line error."""
    environment = state.environment
    environment_id = environment.environment_id
    binding = environment.pack_for_slot(CapabilitySlot.SECRETS)
    if binding is None:
        raise NotFoundError(
            f"environment {environment_id} has no secrets pack bound (bind one with "
            "`env-packs add`)"
        )
    pack = binding.kind.path
    if pack == DEV_STORE:
        return DevStore(dev_store_path(home, environment_id))
    if pack == AWS_SM:
        return AwsSecretsManager.from_settings(
            environment_id, binding.settings, tenant=environment.tenant.tenant, environ=environ
        )
    if pack == K8S:
        deployer = environment.deployer()
        context = deployer.settings.get("kube_context") if deployer is not None else None
        return KubernetesSecrets.from_settings(
            environment_id,
            binding.settings,
            kube_context=str(context) if context else None,
            install_hint=kubectl_install_hint,
            timeout_seconds=kubectl_timeout_seconds,
            environ=environ,
        )
    raise GreenticError(
        f"secrets pack {pack} of environment {environment_id}: the secrets verbs support "
        f"{', '.join(SUPPORTED_PACKS)}; use that pack's own tooling for its values"
    )

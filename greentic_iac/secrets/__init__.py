"""Secret values behind the ``secrets`` verbs, in the backend the environment's pack names.

The library the CLI shells over: ``backend_for_state(state, home=...)`` returns a
``SecretsBackend`` (dev-store file, AWS Secrets Manager, or Kubernetes Secrets through
kubectl) with ``put``/``get``/``names``/``rotate``/``delete``. boto3 and kubectl are
reached only when a call is made, so importing this package stays cheap.
"""

from __future__ import annotations

from greentic_iac.secrets.aws_sm import AWS_SM, AwsSecretsManager
from greentic_iac.secrets.backend import (
    DeleteOutcome,
    DeleteRequest,
    PutOutcome,
    RotateOutcome,
    SecretsBackend,
)
from greentic_iac.secrets.chooser import SUPPORTED_PACKS, backend_for_state, dev_store_path
from greentic_iac.secrets.dev_store import DEV_STORE, DevStore
from greentic_iac.secrets.errors import SecretNotFoundError, SecretsAccessError, SecretsBackendError
from greentic_iac.secrets.k8s import K8S, KubernetesSecrets, secret_object_name
from greentic_iac.secrets.kubectl import Kubectl

__all__ = [
    "AWS_SM",
    "DEV_STORE",
    "K8S",
    "SUPPORTED_PACKS",
    "AwsSecretsManager",
    "DeleteOutcome",
    "DeleteRequest",
    "DevStore",
    "Kubectl",
    "KubernetesSecrets",
    "PutOutcome",
    "RotateOutcome",
    "SecretNotFoundError",
    "SecretsAccessError",
    "SecretsBackend",
    "SecretsBackendError",
    "backend_for_state",
    "dev_store_path",
    "secret_object_name",
]

"""The Kubernetes provider settings a stack pins (``Target.provider_config``).

``kubernetes:context`` is the deployer's kubeconfig context (``kube_context``; the
spellings ``kubeContext`` and ``context`` are read too): without it Pulumi deploys to the
kubeconfig's current context, whichever cluster that is. A cluster on AWS (EKS) pins
``aws:region`` as well, as the stack configs always did. Never a secret.
"""

from __future__ import annotations

from typing import Any

from greentic_iac.spec.state import EnvironmentState
from greentic_iac.targets import aws_region

CONTEXT_KEYS = ("kube_context", "kubeContext", "context")


def provider_config(state: EnvironmentState) -> dict[str, str]:
    deployer = state.environment.deployer()
    settings: dict[str, Any] = deployer.settings if deployer else {}
    region = aws_region(state)
    config = {"aws:region": region} if region else {}
    for key in CONTEXT_KEYS:
        value = settings.get(key)
        if isinstance(value, str) and value:
            config["kubernetes:context"] = value
            break
    return config

"""Physical names and labels of the Cloud Run target, from ids only.

Every name is a function of the environment id and a deployment or revision id
(``greentic_iac.plan.names.logical_name``), so a plan never renames a live resource.
Google Cloud's rules: Compute Engine names are RFC 1035 labels of at most 63 characters; a
Cloud Run service name has at most 49 (Cloud Run appends a revision suffix to it); a service
account id has 6-30 characters. Every name starts with a letter (``gr-``), whatever the
environment id starts with. Labels follow the label rules: lowercase keys and values of
``[a-z0-9_-]``, at most 63 characters.
"""

from __future__ import annotations

import re
from typing import Final

from greentic_iac.plan import logical_name, short_hash
from greentic_iac.spec import EnvironmentState

PREFIX: Final = "gr"
SERVICE_NAME_MAX: Final = 49
COMPUTE_NAME_MAX: Final = 63
ACCOUNT_ID_MAX: Final = 30
LABEL_PREFIX: Final = "greentic-"
_LABEL_UNSAFE = re.compile(r"[^a-z0-9_-]+")


def service_name(environment_id: str, revision_id: str) -> str:
    return logical_name(PREFIX, environment_id, revision_id, max_length=SERVICE_NAME_MAX)


def compute_name(environment_id: str, *parts: str) -> str:
    return logical_name(PREFIX, environment_id, *parts, max_length=COMPUTE_NAME_MAX)


def runtime_account_id(environment_id: str) -> str:
    # "greentic-<env>-run" keeps the id at 6 characters or more for one-letter envs.
    return logical_name("greentic", environment_id, "run", max_length=ACCOUNT_ID_MAX)


def certificate_name(environment_id: str, domains: list[str]) -> str:
    """A managed certificate's domains can't change in place: a new domain set is a new
    certificate, so its name carries the set's hash and the replacement never collides."""
    return compute_name(environment_id, "cert", short_hash(",".join(sorted(domains))))


def path_matcher_name(host: str) -> str:
    """``shop.example.com`` -> ``host-shop-example-com``; a wildcard ``*.example.com`` ->
    ``any-example-com`` (folding ``*`` away would give it the bare host's name)."""
    if host.startswith("*."):
        return logical_name("any", host[2:], max_length=COMPUTE_NAME_MAX)
    return logical_name("host", host, max_length=COMPUTE_NAME_MAX)


def label_value(value: str) -> str:
    return _LABEL_UNSAFE.sub("-", value.lower())[:63].strip("-_")


def context_labels(
    state: EnvironmentState, *, deployment_id: str | None = None, revision_id: str | None = None
) -> dict[str, str]:
    """Tenant and deployment context plus the ids, as Google Cloud labels (sorted keys).

    The platform is left out: the spec's platform names have none for serverless
    containers, and a wrong label is worse than none.
    """
    environment = state.environment
    raw = {
        "environment": environment.environment_id,
        "tenant": environment.tenant.tenant,
        "team": environment.tenant.team,
        "cloud": environment.deployment.cloud.value,
        "deployment": deployment_id,
        "revision": revision_id,
    }
    return {
        f"{LABEL_PREFIX}{key}": label_value(value)
        for key, value in sorted(raw.items())
        if value and label_value(value)
    }

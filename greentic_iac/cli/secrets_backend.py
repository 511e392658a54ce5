"""The CLI's side of choosing a secrets backend: what only the CLI knows, passed down.

The backends live in ``greentic_iac.secrets``; this adds the home directory, the kubectl
install hint for this machine from the preflight catalog (the secrets package sits beside
preflight in the layers and does not import it), and ``GREENTIC_KUBECTL_TIMEOUT``.
"""

from __future__ import annotations

import math
import os

from greentic_iac.cli.context import Context
from greentic_iac.errors import InvalidInputError
from greentic_iac.secrets import SecretsBackend, backend_for_state
from greentic_iac.spec import EnvironmentState

KUBECTL_TIMEOUT_VARIABLE = "GREENTIC_KUBECTL_TIMEOUT"


def kubectl_install_hint() -> str:
    from greentic_iac.preflight import install_hint
    from greentic_iac.preflight.platforms import detect_platform

    return install_hint("kubectl", detect_platform(), "the greentic.secrets.k8s secrets pack")


def kubectl_timeout_seconds() -> float | None:
    """``GREENTIC_KUBECTL_TIMEOUT`` in seconds, or None for the backend's default (20 s)."""
    raw = os.environ.get(KUBECTL_TIMEOUT_VARIABLE, "").strip()
    if not raw:
        return None
    try:
        seconds = float(raw)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0 or seconds > 3600:
        raise InvalidInputError(
            f"{KUBECTL_TIMEOUT_VARIABLE}: {raw!r} is not a number of seconds in (0, 3600]"
        )
    return seconds


def backend_for(ctx: Context, state: EnvironmentState) -> SecretsBackend:
    return backend_for_state(
        state,
        home=ctx.greentic_home,
        kubectl_install_hint=kubectl_install_hint(),
        kubectl_timeout_seconds=kubectl_timeout_seconds(),
    )

"""boto3 clients for the AWS target's health and metric sources, bounded in time.

Connect and read timeouts are the caller's bound and a call is tried at most twice, so a
rollout's check of an unreachable endpoint answers within seconds. The endpoint and the
credentials come the usual way (``AWS_ENDPOINT_URL`` points them at an emulator).
"""

from __future__ import annotations

from typing import Any


def bounded_client(service: str, region: str, timeout: float) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=timeout,
        read_timeout=timeout,
        retries={"total_max_attempts": 2, "mode": "standard"},
    )
    session: Any = boto3.session.Session()  # typed per service name; ours is a variable
    return session.client(service, region_name=region, config=config)


def error_text(exc: Exception) -> str:
    """``Code: Message`` of a botocore ClientError, else the exception's own text."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        error = response.get("Error", {})
        return f"{error.get('Code', type(exc).__name__)}: {error.get('Message', '')}".strip()
    return f"{type(exc).__name__}: {exc}"

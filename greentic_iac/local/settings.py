"""The local deployer's settings that the runtime itself reads: process environment, router limits.

They live in the deployer binding (``greentic.deployer.local-process``), whose manifest schema
in ``envpacks/`` checks them when the pack is bound; the runtime reads them again from
``runtime-config.json`` so a hand-edited file cannot widen what a revision process sees or
lift the router's bounds. Unknown keys stay allowed (the manifest passes them through to the
target), so this model ignores what it does not own.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from greentic_iac.errors import InvalidInputError
from greentic_iac.spec import format_validation_error

# POSIX names an operator may pass through from the supervisor's own environment.
ENV_NAME_PATTERN: Final = r"^[A-Za-z_][A-Za-z0-9_]{0,127}$"


class LocalRuntimeSettings(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)

    # Names copied from the operator's environment into every revision process (e.g.
    # HTTP_PROXY); nothing else of it leaks, see process_env.py.
    pass_environment: tuple[str, ...] = Field(default=(), max_length=64)
    # Peers whose X-Forwarded-For is believed (CIDRs); anyone else's is replaced.
    trusted_proxies: tuple[str, ...] = Field(default=(), max_length=64)
    # Slowloris bounds: the whole request head must arrive within header_timeout_seconds
    # of its first byte (or of the connection's start); an idle keep-alive connection is
    # closed after idle_timeout_seconds.
    header_timeout_seconds: float = Field(default=10.0, gt=0, le=3600)
    idle_timeout_seconds: float = Field(default=60.0, gt=0, le=86400)
    # Open connections: in total, and per client source (peer address, IPv6 by /64).
    max_connections: int = Field(default=4096, ge=1, le=1_048_576)
    max_connections_per_client: int = Field(default=256, ge=1, le=1_048_576)
    # Session pins: in total, and per client source (peer address).
    max_session_pins: int = Field(default=16_384, ge=1, le=1_048_576)
    max_session_pins_per_client: int = Field(default=1_024, ge=1, le=1_048_576)

    @field_validator("pass_environment")
    @classmethod
    def _names(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        for index, name in enumerate(names):
            if not re.match(ENV_NAME_PATTERN, name):
                raise ValueError(f"[{index}]: {name!r} is not an environment variable name")
        return names

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, networks: tuple[str, ...]) -> tuple[str, ...]:
        for index, network in enumerate(networks):
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError:
                raise ValueError(f"[{index}]: {network!r} is not an IP network") from None
        return networks

    def proxy_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        return tuple(ipaddress.ip_network(n, strict=False) for n in self.trusted_proxies)


def local_runtime_settings(
    raw: dict[str, Any], *, where: str = "settings."
) -> LocalRuntimeSettings:
    """The runtime's view of the deployer settings; InvalidInputError naming the field."""
    try:
        return LocalRuntimeSettings.model_validate(
            {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()}
        )
    except ValidationError as exc:
        raise InvalidInputError(format_validation_error(exc, where)) from None

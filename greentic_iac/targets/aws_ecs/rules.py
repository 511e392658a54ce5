"""Inputs AWS itself refuses, checked where the operator gives them (exit 2, rule named).

An input that passes greentic's own models but that ELBv2 refuses fails only at ``up``,
half applied. Each check names the AWS rule (Elastic Load Balancing user guide, "Listener
rules": host and path conditions; "Application Load Balancers": name and subnet size).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Final

from greentic_iac.errors import InvalidInputError
from greentic_iac.spec import RouteBinding

MAX_CONDITION_LENGTH: Final = 128
# ALB path patterns: A-Z a-z 0-9 _ - . $ / ~ " ' @ : + & (and the * ? wildcards).
_PATH_CHARACTERS: Final = re.compile(r"^[A-Za-z0-9_\-.$/~\"'@:+&]*$")
_HOST_TLD: Final = re.compile(r"\.[A-Za-z]+$")
MIN_ALB_SUBNET_PREFIX: Final = 27
# A created VPC is split into 16 blocks (two zones x public/private, room to grow).
SUBNET_SPLIT_BITS: Final = 4


def route_problem(route: RouteBinding) -> str | None:
    """Why an ALB listener rule can't carry ``route``, naming the field and the AWS rule."""
    host = route.host
    if "." not in host or not _HOST_TLD.search(host):
        return (
            f"route_binding.host: {host!r} is refused by the ALB host-header rule: a host "
            "needs at least one '.' and only letters after the last '.'"
        )
    if len(host) > MAX_CONDITION_LENGTH:
        return (
            f"route_binding.host: {len(host)} characters; the ALB host-header rule allows "
            f"{MAX_CONDITION_LENGTH}"
        )
    if not _PATH_CHARACTERS.fullmatch(route.path_prefix):
        bad = sorted({c for c in route.path_prefix if not _PATH_CHARACTERS.fullmatch(c)})
        return (
            f"route_binding.path_prefix: {''.join(bad)!r} is refused by the ALB path-pattern "
            "rule (allowed: A-Z a-z 0-9 _ - . $ / ~ \" ' @ : + &)"
        )
    if len(route.path_prefix.rstrip("/")) + 2 > MAX_CONDITION_LENGTH:
        return (
            f"route_binding.path_prefix: the ALB path-pattern rule allows "
            f"{MAX_CONDITION_LENGTH} characters (the prefix and its '/*' pattern)"
        )
    return None


def check_route(route: RouteBinding) -> None:
    problem = route_problem(route)
    if problem is not None:
        raise InvalidInputError(problem)


def check_environment_id(environment_id: str) -> None:
    """The ALB is named after the environment; ELBv2 refuses names starting ``internal-``."""
    if environment_id.startswith("internal-"):
        raise InvalidInputError(
            f"environment_id: {environment_id!r} would name the ALB "
            f"'{environment_id}-alb', and an ALB name must not begin with 'internal-' (ELBv2 "
            "CreateLoadBalancer rule); choose another environment id"
        )


def subnet_prefix_problem(cidr_block: str) -> str | None:
    """The VPC's subnets must be /27 or larger: an ALB needs 8 free addresses per subnet."""
    prefix = ipaddress.ip_network(cidr_block, strict=False).prefixlen + SUBNET_SPLIT_BITS
    if prefix > MIN_ALB_SUBNET_PREFIX:
        return (
            f"{cidr_block} gives /{prefix} subnets, and an ALB needs subnets of at least "
            f"/{MIN_ALB_SUBNET_PREFIX} (ELBv2 subnet rule); use a "
            f"/{MIN_ALB_SUBNET_PREFIX - SUBNET_SPLIT_BITS} or larger VPC"
        )
    return None

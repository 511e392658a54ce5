"""What each routing mode accepts as a path, and one precedence for all of them.

Validation follows the rules the cluster would apply, so a bad ``route_binding`` is refused
at compile time (exit 2 naming the field and the rule) instead of by the API server or the
controller half-way through an apply:

- gateway: Gateway API v1 ``HTTPPathMatch`` for ``PathPrefix`` (the CRD's CEL rules): no
  ``//``, ``/./``, ``/../``, ``%2f``/``%2F``, ``#``, no trailing ``/.`` or ``/..``, only the
  characters ``[-A-Za-z0-9/._~!$&'()*+,;=:@]`` or ``%XX`` escapes (so ASCII only); we also
  refuse ``%5c``/``%5C`` (an encoded ``\\``, which proxies normalise differently);
- nginx: the same rules (ingress-nginx renders them into nginx locations, where an encoded
  slash or a ``//`` matches differently from what the binding means);
- alb: an ALB path-pattern condition's characters (``A-Z a-z 0-9 _ - . $ / ~ " ' @ : + &``).

Hosts: never an IP address (Gateway API ``Hostname``, Ingress ``rules[].host``), and in alb
mode a name with a dot (an ALB host-header condition).

Precedence (Gateway API's definition, also the local router's): an exact host before a
wildcard, a longer wildcard before a shorter one, then the longest path prefix. Gateway API
controllers and ingress-nginx (exact ``server_name`` first, longest location first) do this
themselves; the AWS Load Balancer Controller evaluates an IngressGroup's Ingresses by
``group.order`` then by name, so the alb mode writes ``group.order`` from
``alb_group_order``. Only routes that can match the same request need ordering, and of two
such wildcards the more specific has more labels, of two such prefixes the longer has more
segments, so counting labels and segments orders them without a shared allocation.
"""

from __future__ import annotations

import re
from typing import Final

from greentic_iac.errors import InvalidInputError

_GATEWAY_PATH: Final = re.compile(r"^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|%[0-9a-fA-F]{2})+$")
_GATEWAY_FORBIDDEN: Final = ("//", "/./", "/../", "%2f", "%2F", "#", "%5c", "%5C")
_ALB_PATH: Final = re.compile(r"^[A-Za-z0-9_\-.$/~\"'@:+&]+$")
GATEWAY_RULE: Final = "Gateway API HTTPRoute rules.matches.path (PathPrefix) refuses it"
ALB_RULE: Final = "an ALB path-pattern condition takes only A-Z a-z 0-9 _ - . $ / ~ \" ' @ : + &"
# alb.ingress.kubernetes.io/group.order must be in [-1000, 1000]; lower is evaluated first.
GROUP_ORDER_MIN: Final = -1000
GROUP_ORDER_MAX: Final = 1000


def _gateway_problem(path: str) -> str | None:
    for forbidden in _GATEWAY_FORBIDDEN:
        if forbidden in path:
            return f"contains {forbidden!r}"
    if path.endswith(("/..", "/.")):
        return "ends with '/.' or '/..'"
    if not path.isascii():
        return "is not ASCII (percent-encode it)"
    if not _GATEWAY_PATH.fullmatch(path):
        return "has a character outside [-A-Za-z0-9/._~!$&'()*+,;=:@] and %XX escapes"
    return None


def check_route_path(path: str, mode: str, field: str) -> None:
    """Refuse ``path`` as the routing ``mode`` would; the error names ``field`` and the rule."""
    if mode == "alb":
        if not _ALB_PATH.fullmatch(path):
            raise InvalidInputError(f"{field}: {path!r} is refused: {ALB_RULE}")
        return
    problem = _gateway_problem(path)
    if problem is not None:
        rule = GATEWAY_RULE if mode == "gateway" else f"{GATEWAY_RULE} (and ingress-nginx with it)"
        raise InvalidInputError(f"{field}: {path!r} {problem}; {rule}")


_IPV4: Final = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")


def check_route_host(host: str, mode: str, field: str) -> None:
    """Refuse a host the routing mode can't route on; the error names the rule.

    Gateway API ``Hostname`` and Ingress ``rules[].host`` are DNS names, never IP addresses;
    an ALB host-header condition needs a dot (a listener rule refuses ``localhost``).
    """
    if _IPV4.fullmatch(host):
        kind = "Gateway API HTTPRoute hostnames" if mode == "gateway" else "Ingress rules[].host"
        raise InvalidInputError(
            f"{field}: {host!r} is an IP address; {kind} must be DNS names, not IPs"
        )
    if mode == "alb" and "." not in host:
        raise InvalidInputError(
            f"{field}: {host!r} has no dot; an ALB host-header condition needs a domain name"
        )


def path_segments(path_prefix: str) -> int:
    return len([part for part in path_prefix.split("/") if part])


def host_labels(host: str) -> int:
    return len([label for label in host.split(".") if label and label != "*"])


def precedence_key(host: str, path_prefix: str) -> tuple[bool, int, int]:
    """Larger is more specific: exact host, then more host labels, then more segments."""
    return (not host.startswith("*."), host_labels(host), path_segments(path_prefix))


def alb_group_order(host: str, path_prefix: str) -> int:
    """``group.order`` for a route (lower first): exact hosts in [-100, -1], wildcards in
    [1, 1000]; within each, more host labels and more path segments come first."""
    segments = min(path_segments(path_prefix), 99)
    if not host.startswith("*."):
        return -1 - segments
    labels = min(host_labels(host), 9)
    return GROUP_ORDER_MAX - labels * 100 - segments


__all__ = [
    "alb_group_order",
    "check_route_host",
    "check_route_path",
    "precedence_key",
]

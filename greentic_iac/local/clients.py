"""Who a client is, for the router's per-client bounds: peer addresses and trusted proxies.

Only the TCP peer is known for sure. Behind a proxy the operator trusts (``trusted_proxies``)
the client is the nearest ``X-Forwarded-For`` hop that is not itself trusted; anyone
else's forwarding headers are a claim and are ignored. IPv6 clients count per /64.
"""

from __future__ import annotations

import ipaddress

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def is_trusted(address: str | None, networks: tuple[Network, ...]) -> bool:
    if not address or not networks:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_source(
    peer: str | None, forwarded_for: str | None, networks: tuple[Network, ...]
) -> str:
    """Who sent the request: the peer address, or, behind trusted proxies, the nearest
    X-Forwarded-For hop that is not itself a trusted proxy."""
    source = peer or ""
    if not is_trusted(peer, networks) or not forwarded_for:
        return source
    for hop in reversed([h.strip() for h in forwarded_for.split(",")]):
        if not hop:
            continue
        source = hop
        if not is_trusted(hop, networks):
            break
    return source


def source_key(address: str) -> str:
    """What per-client bounds count by: an IPv4 address, or an IPv6 address's /64 (one
    host usually holds a whole /64, so per-address bounds would not bound it)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)

"""Addresses no real news site lives on: the address guard refuses them unless a source is local."""

from __future__ import annotations

import ipaddress

CGNAT = ipaddress.ip_network("100.64.0.0/10")


def is_private_host(host: str) -> bool:
    """Loopback, private, link-local, carrier-grade NAT, multicast or unspecified addresses
    (IPv4-mapped IPv6 included): nothing a real news site lives on."""
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_unspecified
        or (address.version == 4 and address in CGNAT)
    )

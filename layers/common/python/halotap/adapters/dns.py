"""DNS lookups for the SSRF guard (domain/ssrf.py), which takes them as a function so its rules stay pure."""

from __future__ import annotations

import socket


def resolve_host(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, IPv4 and IPv6, without duplicates. Empty if it does not resolve."""
    try:
        infos = socket.getaddrinfo(host, port, socket.AF_UNSPEC, socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return []
    addresses: list[str] = []
    for _family, _type, _proto, _canonname, sockaddr in infos:
        address = str(sockaddr[0])
        if address not in addresses:
            addresses.append(address)
    return addresses

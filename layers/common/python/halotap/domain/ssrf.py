"""The SSRF guard for PSP notification URLs.

A PSP chooses where halotap POSTs, so a careless or hostile URL could aim halotap's Lambda at the
instance metadata service, a VPC-internal host or localhost. A URL passes only if it is https and
every address its host resolves to is public. Local development opts in to loopback, and only
loopback, with `allow_loopback_http`.

Known gap: DNS rebinding. The name is resolved here and again by httpx when it connects, so a name
with a zero TTL can answer a public address to the check and a private one to the connection. What
closes it is connecting to the very address that was checked: send the request to that IP with the
original `Host` header and `extensions={"sni_hostname": host}` so TLS still verifies the name (or,
like Svix, send through an egress proxy that applies this filter at connect time). Running the check
again at each delivery, as halotap does, narrows the window but does not close it.
"""

from __future__ import annotations

import ipaddress
import socket  # inet_aton only: parsing, not I/O
from collections.abc import Callable
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]

_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network

# Checked in order, so the more specific entries come first. Anything not listed here that Python
# still does not call global (documentation, benchmarking and similar ranges) is refused at the end.
_V4_BLOCKED: tuple[tuple[ipaddress.IPv4Network, str], ...] = (
    (_V4("169.254.169.254/32"), "the cloud metadata address"),
    (_V4("255.255.255.255/32"), "the broadcast address"),
    (_V4("0.0.0.0/8"), "an unspecified address"),
    (_V4("127.0.0.0/8"), "a loopback address"),
    (_V4("10.0.0.0/8"), "a private address"),
    (_V4("172.16.0.0/12"), "a private address"),
    (_V4("192.168.0.0/16"), "a private address"),
    (_V4("100.64.0.0/10"), "a shared (CGNAT) address"),
    (_V4("169.254.0.0/16"), "a link-local address"),
    (_V4("224.0.0.0/4"), "a multicast address"),
    (_V4("240.0.0.0/4"), "a reserved address"),
)
_V6_BLOCKED: tuple[tuple[ipaddress.IPv6Network, str], ...] = (
    (_V6("fd00:ec2::254/128"), "the cloud metadata address"),
    (_V6("::/128"), "an unspecified address"),
    (_V6("::1/128"), "a loopback address"),
    (_V6("::/96"), "a deprecated IPv4-compatible address"),
    (_V6("64:ff9b:1::/48"), "a private (local NAT64) address"),
    (_V6("fc00::/7"), "a private (unique local) address"),
    (_V6("fe80::/10"), "a link-local address"),
    (_V6("fec0::/10"), "a private (site-local) address"),
    (_V6("ff00::/8"), "a multicast address"),
)
# IPv6 forms that carry an IPv4 address; the embedded address must pass the IPv4 rules.
_NAT64 = _V6("64:ff9b::/96")
_LOOPBACK = "a loopback address"


class UnsafeUrl(ValueError):
    """The URL must not be called. The message names the reason and at most the offending address."""


def check_url(url: str, *, resolve: Resolver, allow_loopback_http: bool = False) -> None:
    """Raise UnsafeUrl unless halotap may POST to `url`. `resolve` looks the host up (adapters/dns.py)."""
    # Messages quote the host at most: the path may carry the PSP's own secret token.
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeUrl("not a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise UnsafeUrl("only https URLs are allowed")
    if scheme == "http" and not allow_loopback_http:
        raise UnsafeUrl("only https URLs are allowed")
    if "@" in parts.netloc:
        raise UnsafeUrl("credentials in the URL are not allowed")
    host = parts.hostname
    if not host:
        raise UnsafeUrl("the URL has no host")

    literal = _literal_address(host)
    if literal is not None:
        addresses = [literal]
    else:
        default_port = 443 if scheme == "https" else 80
        resolved = resolve(host, port or default_port)
        if not resolved:
            raise UnsafeUrl(f"{host} does not resolve")
        addresses = [_parse_address(host, text) for text in resolved]

    for address in addresses:
        reason = unsafe_reason(address)
        if reason == _LOOPBACK and allow_loopback_http:
            continue
        if reason is not None:
            subject = f"{address} is" if literal is not None else f"{host} resolves to {address},"
            raise UnsafeUrl(f"{subject} {reason}")
    # Plain http would let anyone on the path read and alter the notification: loopback only.
    if scheme == "http" and not all(unsafe_reason(address) == _LOOPBACK for address in addresses):
        raise UnsafeUrl("http is allowed only to loopback; use https")


def unsafe_reason(address: IPAddress) -> str | None:
    """Why halotap must not call `address`, or None when it is a public address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded, form = _embedded_ipv4(address)
        if embedded is not None:
            reason = unsafe_reason(embedded)
            return None if reason is None else f"{reason} ({form} {embedded})"
        for network, reason in _V6_BLOCKED:
            if address in network:
                return reason
    else:
        for v4_network, reason in _V4_BLOCKED:
            if address in v4_network:
                return reason
    if not address.is_global:
        return "not a public address"
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address | None, str]:
    """The IPv4 address an IPv4-mapped, NAT64 or 6to4 address reaches, which is what the rules judge."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped, "IPv4-mapped"
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF), "NAT64"
    if address.sixtofour is not None:
        return address.sixtofour, "6to4"
    return None, ""


def _literal_address(host: str) -> IPAddress | None:
    """The address a host that is an IP literal names, including the short and hex IPv4 forms that
    the C resolver accepts (`127.1`, `0x7f.0.0.1`, `2130706433`)."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if all(char in "0123456789abcdefx." for char in host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def _parse_address(host: str, text: str) -> IPAddress:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        raise UnsafeUrl(f"{host} resolves to something that is not an IP address") from None

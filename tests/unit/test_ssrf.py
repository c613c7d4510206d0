"""A PSP notification URL must be https and reach only public addresses."""

from __future__ import annotations

import ipaddress
import re

import pytest

from halotap.adapters.dns import resolve_host
from halotap.domain.ssrf import UnsafeUrl, check_url, unsafe_reason

PUBLIC_V4 = "93.184.215.14"
PUBLIC_V6 = "2606:2800:21f:cb07:6820:80da:af6b:8b2c"


def resolver(*addresses: str):
    """A fake DNS: every name resolves to `addresses`, and the test can see what was asked."""
    asked: list[tuple[str, int]] = []

    def resolve(host: str, port: int) -> list[str]:
        asked.append((host, port))
        return list(addresses)

    resolve.asked = asked  # type: ignore[attr-defined]
    return resolve


def must_not_resolve(host: str, port: int) -> list[str]:
    raise AssertionError(f"a literal address or a refused scheme must not be resolved ({host})")


REJECTED = [
    # IPv4 literals
    ("https://127.0.0.1/hook", "loopback"),
    ("https://127.8.9.10/hook", "loopback"),
    ("https://10.0.0.1/hook", "private"),
    ("https://172.16.5.4/hook", "private"),
    ("https://172.31.255.255/hook", "private"),
    ("https://192.168.1.1/hook", "private"),
    ("https://169.254.169.254/latest/meta-data/", "metadata"),
    ("https://169.254.10.1/hook", "link-local"),
    ("https://100.64.0.1/hook", "CGNAT"),
    ("https://100.127.255.254/hook", "CGNAT"),
    ("https://0.0.0.0/hook", "unspecified"),
    ("https://224.0.0.1/hook", "multicast"),
    ("https://239.255.255.250/hook", "multicast"),
    ("https://255.255.255.255/hook", "broadcast"),
    ("https://240.0.0.1/hook", "reserved"),
    ("https://192.0.2.10/hook", "not a public address"),  # TEST-NET-1, documentation only
    # IPv4 spellings the C resolver accepts
    ("https://127.1/hook", "loopback"),
    ("https://0x7f.0.0.1/hook", "loopback"),
    ("https://2130706433/hook", "loopback"),
    # IPv6 literals
    ("https://[::1]/hook", "loopback"),
    ("https://[::]/hook", "unspecified"),
    ("https://[fc00::1]/hook", "private"),
    ("https://[fd12:3456::1]/hook", "private"),
    ("https://[fd00:ec2::254]/latest/meta-data/", "metadata"),
    ("https://[fe80::1]/hook", "link-local"),
    ("https://[fe80::1%25eth0]/hook", "link-local"),
    ("https://[ff02::1]/hook", "multicast"),
    ("https://[2001:db8::1]/hook", "not a public address"),
    # IPv6 forms that carry a private IPv4 address
    ("https://[::ffff:127.0.0.1]/hook", "loopback address (IPv4-mapped 127.0.0.1)"),
    ("https://[::ffff:169.254.169.254]/hook", "metadata address (IPv4-mapped 169.254.169.254)"),
    ("https://[::ffff:10.0.0.1]/hook", "private address (IPv4-mapped 10.0.0.1)"),
    ("https://[::127.0.0.1]/hook", "IPv4-compatible"),
    ("https://[64:ff9b::10.0.0.1]/hook", "private address (NAT64 10.0.0.1)"),
    ("https://[2002:a9fe:a9fe::1]/hook", "metadata address (6to4 169.254.169.254)"),
    # Scheme and form
    (f"http://{PUBLIC_V4}/hook", "only https"),
    ("ftp://psp.example/hook", "only https"),
    ("file:///etc/passwd", "only https"),
    ("https://user:pass@psp.example/hook", "credentials"),
    ("https://token@psp.example/hook", "credentials"),
    ("https:///hook", "no host"),
    ("https://psp.example:99999/hook", "not a valid URL"),
]


@pytest.mark.parametrize(("url", "reason"), REJECTED)
def test_unsafe_urls_are_refused_with_their_reason(url: str, reason: str) -> None:
    with pytest.raises(UnsafeUrl, match=re.escape(reason)):
        check_url(url, resolve=must_not_resolve)


@pytest.mark.parametrize(
    "private",
    ["10.1.2.3", "192.168.0.10", "127.0.0.1", "169.254.169.254", "100.100.100.200", "fd00::5", "::1"],
)
def test_a_name_resolving_to_a_private_address_is_refused(private: str) -> None:
    with pytest.raises(UnsafeUrl, match=f"psp.example resolves to {private}"):
        check_url("https://psp.example/hook", resolve=resolver(private))


def test_one_private_address_among_public_ones_is_enough_to_refuse() -> None:
    with pytest.raises(UnsafeUrl, match=re.escape("resolves to 10.0.0.7, a private address")) as refused:
        check_url("https://psp.example/hook", resolve=resolver(PUBLIC_V4, "10.0.0.7", PUBLIC_V6))
    assert PUBLIC_V4 not in str(refused.value)  # only the offending address is named


def test_a_public_https_url_passes_and_is_resolved_on_its_port() -> None:
    resolve = resolver(PUBLIC_V4, PUBLIC_V6)
    check_url("https://psp.example:8443/hooks/halotap?x=1", resolve=resolve)
    assert resolve.asked == [("psp.example", 8443)]  # type: ignore[attr-defined]


def test_the_default_port_is_resolved_when_the_url_has_none() -> None:
    resolve = resolver(PUBLIC_V4)
    check_url("https://psp.example/hook", resolve=resolve)
    assert resolve.asked == [("psp.example", 443)]  # type: ignore[attr-defined]


def test_a_public_ip_literal_passes_without_a_lookup() -> None:
    check_url(f"https://{PUBLIC_V4}/hook", resolve=must_not_resolve)
    check_url(f"https://[{PUBLIC_V6}]/hook", resolve=must_not_resolve)


def test_a_name_that_does_not_resolve_is_refused() -> None:
    with pytest.raises(UnsafeUrl, match="does not resolve"):
        check_url("https://nowhere.invalid/hook", resolve=resolver())


def test_the_message_never_quotes_the_path_which_may_hold_a_token() -> None:
    with pytest.raises(UnsafeUrl) as refused:
        check_url("https://psp.example/hooks/s3cr3t-token", resolve=resolver("10.0.0.1"))
    assert "s3cr3t" not in str(refused.value)


def test_unsafe_url_is_a_value_error() -> None:
    assert issubclass(UnsafeUrl, ValueError)


# ----------------------------------------------------------------------------- local development


def test_allow_loopback_http_lets_a_loopback_sink_through() -> None:
    check_url("http://127.0.0.1:4020/psp", allow_loopback_http=True, resolve=must_not_resolve)
    check_url("http://[::1]:4020/psp", allow_loopback_http=True, resolve=must_not_resolve)
    check_url("https://127.0.0.1:4020/psp", allow_loopback_http=True, resolve=must_not_resolve)
    check_url("http://localhost:4020/psp", allow_loopback_http=True, resolve=resolver("127.0.0.1", "::1"))


@pytest.mark.parametrize(
    "url", ["http://10.0.0.1/psp", "https://10.0.0.1/psp", "http://169.254.169.254/", "http://[fe80::1]/"]
)
def test_allow_loopback_http_still_refuses_other_private_addresses(url: str) -> None:
    with pytest.raises(UnsafeUrl):
        check_url(url, allow_loopback_http=True, resolve=must_not_resolve)


def test_allow_loopback_http_does_not_allow_http_to_public_hosts() -> None:
    with pytest.raises(UnsafeUrl, match="http is allowed only to loopback"):
        check_url("http://psp.example/hook", allow_loopback_http=True, resolve=resolver(PUBLIC_V4))


def test_allow_loopback_http_refuses_a_name_mixing_loopback_and_private() -> None:
    with pytest.raises(UnsafeUrl, match=re.escape("10.0.0.1")):
        check_url("http://sink.local/", allow_loopback_http=True, resolve=resolver("127.0.0.1", "10.0.0.1"))


# ----------------------------------------------------------------------------- the pieces


@pytest.mark.parametrize("address", [PUBLIC_V4, PUBLIC_V6, "8.8.8.8", "2001:4860:4860::8888", "1.1.1.1"])
def test_public_addresses_have_no_reason_to_be_refused(address: str) -> None:
    assert unsafe_reason(ipaddress.ip_address(address)) is None


def test_resolve_host_dedupes_and_keeps_both_families(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    def fake_getaddrinfo(host: str, port: int, family: int, kind: int) -> list[tuple]:
        assert (host, port, family) == ("psp.example", 443, socket.AF_UNSPEC)
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (PUBLIC_V4, port)),
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (PUBLIC_V6, port, 0, 0)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (PUBLIC_V4, port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    assert resolve_host("psp.example", 443) == [PUBLIC_V4, PUBLIC_V6]


def test_resolve_host_answers_nothing_for_an_unknown_name(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    def fail(*_args: object) -> list[tuple]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    assert resolve_host("nowhere.invalid", 443) == []

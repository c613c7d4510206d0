"""Which way to pay the page puts first, from the User-Agent and client hints alone (no script)."""

from __future__ import annotations

import pytest

from halotap.page.device import Device, Path, path_for

ANDROID_CHROME = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)
IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)
IPAD_OLD = (
    "Mozilla/5.0 (iPad; CPU OS 12_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148"
)
MAC_SAFARI = (  # also what iPadOS 13+ Safari sends
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Safari/605.1.15"
)
WINDOWS_CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
LINUX_CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"user-agent": ANDROID_CHROME}, Path(Device.ANDROID)),
        (
            {"user-agent": ANDROID_CHROME, "sec-ch-ua-mobile": "?1", "sec-ch-ua-platform": '"Android"'},
            Path(Device.ANDROID),
        ),
        ({"user-agent": IPHONE_SAFARI}, Path(Device.IOS)),
        ({"user-agent": IPAD_OLD}, Path(Device.IOS)),
        (
            {"user-agent": WINDOWS_CHROME, "sec-ch-ua-mobile": "?0", "sec-ch-ua-platform": '"Windows"'},
            Path(Device.DESKTOP),
        ),
        ({"user-agent": LINUX_CHROME}, Path(Device.DESKTOP)),
        ({}, Path(Device.DESKTOP)),  # nothing known: the QR code, which any other phone can scan
        # The platform hint wins over a User-Agent that "request the desktop site" rewrote.
        (
            {"user-agent": LINUX_CHROME, "sec-ch-ua-mobile": "?0", "sec-ch-ua-platform": '"Android"'},
            Path(Device.ANDROID),
        ),
        ({"user-agent": "Mozilla/5.0", "sec-ch-ua-platform": "iOS"}, Path(Device.IOS)),
        # A phone that names no platform: the only phone Halo serves is an Android one.
        ({"user-agent": "Mozilla/5.0", "sec-ch-ua-mobile": "?1"}, Path(Device.ANDROID)),
        # A Mac, or an iPad sending a Mac's User-Agent: desktop, with the iPad check left to the script.
        ({"user-agent": MAC_SAFARI}, Path(Device.DESKTOP, maybe_ipad=True)),
        ({"user-agent": MAC_SAFARI, "sec-ch-ua-platform": '"macOS"'}, Path(Device.DESKTOP, maybe_ipad=True)),
    ],
)
def test_the_path_follows_the_device(headers, expected):
    assert path_for(headers) == expected

"""Which way to pay suits the shopper's device, from its User-Agent and client hints, before any script runs.

Halo's consumer app runs on Android only (Play Store), so an Android phone gets the "Pay with Halo"
button first, an iPhone or iPad is told plainly that it cannot pay with Halo and gets the QR code for an
Android phone (and the PSP's fallbackUrl, if the create gave one), and a computer gets the QR code first.

iPadOS Safari (13 and later) sends a Mac's User-Agent and no client hints, so a server cannot tell an iPad
from a Mac. A "Macintosh" browser gets the desktop page with the iPhone and iPad words in it, hidden, and
the page's script shows them (hiding the Android button) when the browser reports a touch screen
(`navigator.maxTouchPoints > 0`: an iPad reports 5, a Mac 0). Without script, such an iPad sees the desktop
page, whose QR code is still the right thing for it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from typing import NamedTuple

_IOS = re.compile(r"\b(iPhone|iPad|iPod)\b")


class Device(StrEnum):
    ANDROID = "android"
    IOS = "ios"
    DESKTOP = "desktop"


class Path(NamedTuple):  # a NamedTuple, not a dataclass: cheaper to create on a cold start
    device: Device
    # A "Macintosh" browser, which may be an iPad: the page's script checks for a touch screen.
    maybe_ipad: bool = False


def _hint(value: str | None) -> str:
    """A structured-header string such as `"Android"`, unquoted and in lower case."""
    return (value or "").strip().strip('"').strip().lower()


def path_for(headers: Mapping[str, str]) -> Path:
    """The path for a request's headers (names in lower case).

    The `Sec-CH-UA-Platform` hint, when sent, wins over the User-Agent, which browsers freeze and which
    "request the desktop site" rewrites. A mobile browser that names no platform (`Sec-CH-UA-Mobile: ?1`)
    gets the Android path, the only phone Halo serves.
    """
    platform = _hint(headers.get("sec-ch-ua-platform"))
    if platform == "android":
        return Path(Device.ANDROID)
    if platform == "ios":
        return Path(Device.IOS)
    agent = headers.get("user-agent") or ""
    if not platform or platform == "unknown":
        if "Android" in agent:
            return Path(Device.ANDROID)
        if _IOS.search(agent):
            return Path(Device.IOS)
        if _hint(headers.get("sec-ch-ua-mobile")) == "?1":
            return Path(Device.ANDROID)
    return Path(Device.DESKTOP, maybe_ipad="Macintosh" in agent and platform in ("", "unknown", "macos"))

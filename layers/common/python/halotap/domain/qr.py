"""QR codes for deep links, when Halo did not send its own image: pure computation, no I/O."""

from __future__ import annotations


def svg_data_uri(url: str) -> str:
    import segno  # only the create path with qrCode=true pays for this import

    return str(segno.make(url, error="m").svg_data_uri(scale=4, border=2))

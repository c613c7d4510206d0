"""Keeps the devstack's resident memory near what it holds, not what a storm once touched.

The devstack serves every request on a thread of its own, and glibc gives threads their own malloc
arenas (up to eight per core). A storm of 2,000 webhooks spreads short-lived allocations over 16
arenas; afterwards they held about 225 MB from the system with 30 MB in use, and glibc returns a free
page in the middle of an arena only when asked. So the devstack asks for at most
`MALLOC_ARENAS` arenas before any thread starts, and `MallocTrimmer`, a part, hands free pages back
every `TRIM_INTERVAL_SECONDS`. Both are glibc calls; elsewhere (musl, macOS) they are skipped.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import threading
from functools import cache
from typing import Any

log = logging.getLogger("devstack.memory")

MALLOC_ARENAS = 2  # threads share them; the devstack's threads mostly wait on sockets and the GIL anyway
TRIM_INTERVAL_SECONDS = 5.0
_M_ARENA_MAX = -8  # glibc's mallopt parameter number (malloc.h)


@cache
def _glibc() -> Any | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
        libc.mallopt, libc.malloc_trim  # noqa: B018 - both must exist: glibc, not another libc
    except (OSError, AttributeError):
        return None
    return libc


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Caps glibc's malloc arenas; only arenas made afterwards obey it, so call it before threads start."""
    libc = _glibc()
    return bool(libc is not None and libc.mallopt(_M_ARENA_MAX, arenas))


def trim() -> bool:
    """Returns free heap pages to the system; True when glibc released some."""
    libc = _glibc()
    return bool(libc is not None and libc.malloc_trim(0))


class MallocTrimmer:
    """A devstack part: trims the heap every few seconds, so a storm's peak does not stay resident."""

    name = "malloc-trim"

    def __init__(self, interval: float = TRIM_INTERVAL_SECONDS) -> None:
        self._interval = interval
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if _glibc() is None:
            log.debug("not glibc: the heap is left to the C library")
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def request_stop(self) -> None:
        self._stopping.set()  # wakes the wait at once; a trim under way takes milliseconds

    def stop(self) -> None:
        self.request_stop()
        if self._thread is not None:
            self._thread.join(1.0)
            self._thread = None

    def check(self) -> None:
        pass

    def _run(self) -> None:
        while not self._stopping.wait(self._interval):
            trim()

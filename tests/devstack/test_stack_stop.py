"""A stop winds every part down together: the parts with threads are all told before any is waited for."""

from __future__ import annotations

from devstack.memory import MallocTrimmer, limit_malloc_arenas, trim
from devstack.stack import Devstack


class Part:
    def __init__(self, name: str, calls: list[str], *, threads: bool) -> None:
        self.name, self._calls = name, calls
        if threads:
            self.request_stop = lambda: calls.append(f"tell {name}")

    def start(self) -> None:
        pass

    def stop(self) -> None:
        self._calls.append(f"stop {self.name}")

    def check(self) -> None:
        pass


def test_every_part_with_threads_is_told_to_stop_before_any_part_is_stopped() -> None:
    calls: list[str] = []
    parts = [
        Part("moto", calls, threads=False),
        Part("poller", calls, threads=True),
        Part("ticker", calls, threads=True),
    ]

    Devstack(parts).stop()  # type: ignore[arg-type]

    assert calls == ["tell ticker", "tell poller", "stop ticker", "stop poller", "stop moto"]


def test_the_heap_trimmer_stops_at_once_when_told() -> None:
    trimmer = MallocTrimmer(interval=3600.0)  # it would otherwise sleep an hour between trims
    trimmer.start()
    thread = trimmer._thread
    assert thread is not None

    trimmer.stop()

    assert not thread.is_alive()  # its hour-long wait was cut short, not waited out


def test_on_glibc_the_arenas_are_capped_and_the_heap_can_be_trimmed() -> None:
    # This machine's Python runs on glibc; elsewhere both calls answer False and change nothing.
    assert limit_malloc_arenas()
    assert isinstance(trim(), bool)

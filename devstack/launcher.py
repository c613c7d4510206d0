"""Runs `python -m devstack` as a child process in its own process group: for make demo and e2e tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from devstack.config import DevConfig

REPO_ROOT = Path(__file__).resolve().parent.parent
READY_LINE = "ready"
STOP_GRACE_SECONDS = 10.0


class DevstackFailed(Exception):
    """The devstack did not become ready; the message ends with the tail of its log."""


def free_ports(count: int) -> list[int]:
    """Distinct ports that were free a moment ago (all held at once, so no two are the same)."""
    probes = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [int(probe.getsockname()[1]) for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def log_tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


@dataclass
class DevstackProcess:
    process: subprocess.Popen[bytes]
    log_path: Path
    config: DevConfig

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.config.api_port}"

    @property
    def halo_url(self) -> str:
        return f"http://127.0.0.1:{self.config.halo_port}"

    @property
    def moto_url(self) -> str:
        return f"http://127.0.0.1:{self.config.moto_port}"

    @property
    def sink_url(self) -> str:
        return f"http://127.0.0.1:{self.config.sink_port}"

    @property
    def api_key(self) -> str:
        return self.config.api_key

    @property
    def webhook_token(self) -> str:
        return self.config.webhook_token

    def log_tail(self, lines: int = 40) -> str:
        return log_tail(self.log_path, lines)

    def wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(
                line.rstrip("\r") == READY_LINE
                for line in self.log_path.read_text(errors="replace").splitlines()
            ):
                return
            if self.process.poll() is not None:
                raise DevstackFailed(
                    f"the devstack exited with code {self.process.returncode} before it was ready; "
                    f"the end of {self.log_path}:\n{log_tail(self.log_path)}"
                )
            time.sleep(0.1)
        raise DevstackFailed(
            f"the devstack was not ready within {timeout:.0f} s; the end of {self.log_path}:\n{log_tail(self.log_path)}"
        )

    def stop(self) -> int:
        """SIGTERM to the whole process group, SIGKILL if it is still there after the grace period."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
            except ProcessLookupError:
                pass
        return self.process.wait()


def launch(
    log_path: Path, overrides: Mapping[str, str] | None = None, *, timeout: float = 90.0
) -> DevstackProcess:
    """Starts the devstack with this environment plus `overrides` and waits for its `ready` line."""
    env = {**os.environ, **(overrides or {})}
    config = DevConfig.from_env(env)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "devstack"],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            process_group=0,  # its own group: stop() signals every process the devstack may start
        )
    stack = DevstackProcess(process, log_path, config)
    try:
        stack.wait_until_ready(timeout)
    except BaseException:
        stack.stop()
        raise
    return stack

"""moto's server, in a thread of this process, and the environment that sends every SDK call to it."""

from __future__ import annotations

import httpx
from moto.server import ThreadedMotoServer

from devstack.config import aws_environment, export


class MotoServer:
    """A devstack part. Starting it points this process's AWS SDK (AWS_ENDPOINT_URL) at it."""

    name = "moto"

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self._host, self._port = host, port
        self._server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
        self._started = False

    @property
    def url(self) -> str:
        host, port = self._server.get_host_and_port() if self._started else (self._host, self._port)
        return f"http://{host}:{port}"

    def start(self) -> None:
        self._server.start()
        self._started = True
        export(aws_environment(self.url))

    def stop(self) -> None:
        if self._started:
            self._server.stop()
            self._started = False

    def check(self) -> None:
        httpx.get(f"{self.url}/moto-api/config", timeout=2).raise_for_status()

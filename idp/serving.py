"""Running the application under uvicorn, with one or several worker processes."""

from __future__ import annotations

import socket
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from idp import logs


class NoDelayH11Protocol(H11Protocol):
    """HTTP/1.1 with Nagle's algorithm off on every connection.

    With `--workers N` uvicorn listens on a socket made without IPPROTO_TCP, so asyncio does not
    set TCP_NODELAY on accepted connections, and every later request on a keep-alive connection
    waits ~40 ms for the peer's delayed ACK. Setting it here fixes both modes the same way.
    """

    def connection_made(self, transport: Any) -> None:
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)


def run(host: str, port: int, workers: int = 1, log_format: str = "text") -> None:
    """Serve until stopped; idp's access log replaces uvicorn's, and uvicorn logs in idp's format.

    Proxy headers are off: the client address is the TCP peer's, which X-Forwarded-For cannot
    choose (client authentication is throttled per address)."""
    uvicorn.run("idp.app:create_app", factory=True, host=host, port=port, workers=workers,
                http=NoDelayH11Protocol, log_level="info", access_log=False, proxy_headers=False,
                log_config=logs.config(log_format))

"""One overall time limit for an outbound conversation, whatever the peer does.

A socket timeout bounds each wait, not their sum: a peer that trickles its status line, its
headers or its SMTP replies a byte at a time keeps every wait short and the conversation (and
the worker thread running it) open for as long as it likes. A `Deadline` watches the sockets it
is given and shuts them down when time is up, which ends a blocked read or write at once; the
client library then fails as on a lost connection, and `expired` tells the caller it was time.

    with Deadline(10) as deadline:
        sock = socket.create_connection(address, timeout=deadline.remaining())
        deadline.watch(sock)
        ...

Every sender's network calls go through one: `http.post` (HTTP connector, Aliyun) and SMTP.
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Any


class Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._ends_at = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._watched: list[socket.socket] = []
        self._expired = False
        self._timer = threading.Timer(seconds, self.expire)
        self._timer.daemon = True

    def __enter__(self) -> Deadline:
        self._timer.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._timer.cancel()
        with self._lock:
            for duplicate in self._watched:
                duplicate.close()
            self._watched = []

    @property
    def expired(self) -> bool:
        return self._expired or time.monotonic() >= self._ends_at

    def remaining(self) -> float:
        """Seconds left, for a connect timeout; a TimeoutError once none are."""
        left = self._ends_at - time.monotonic()
        if left <= 0:
            raise TimeoutError("the deadline passed")
        return left

    def watch(self, sock: socket.socket) -> None:
        """Shut `sock` down when time is up (at once if it already is).

        A duplicate of the descriptor is kept: it stays valid when a library wraps `sock` in TLS
        (which detaches the original object), and shutting it down ends the one connection both share.
        """
        duplicate = socket.fromfd(sock.fileno(), sock.family, sock.type)
        with self._lock:
            self._watched.append(duplicate)
            if self._expired:
                shut(duplicate)

    def expire(self) -> None:
        with self._lock:  # shutdown never blocks; holding the lock keeps `__exit__` from closing meanwhile
            self._expired = True
            for duplicate in self._watched:
                shut(duplicate)

    def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpx's `trace` request extension: watch each connection as soon as it is open."""
        if event.endswith("connect_tcp.complete"):
            self.watch(info["return_value"].get_extra_info("socket"))


def shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:  # already closed by the peer or the client
        pass

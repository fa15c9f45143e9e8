"""A peer that answers a byte at a time: each wait is short, the whole answer never ends.

It reads whatever the client sends and, meanwhile, writes `opening` and then filler bytes one
every `interval` seconds, for at most `lasting` seconds (so that a client without an overall
deadline fails a test instead of hanging it).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

HTTP_OPENING = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Trickle: "
SMTP_OPENING = b"220-smtp.example.test ESMTP "


@contextmanager
def trickling(opening: bytes, *, interval: float = 0.05, lasting: float = 4.0) -> Iterator[int]:
    """Serve on a free loopback port until the block ends; yields the port."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def drain(conn: socket.socket) -> None:
        try:
            while conn.recv(65536):
                pass
        except OSError:
            pass

    def trickle(conn: socket.socket) -> None:
        threading.Thread(target=drain, args=(conn,), daemon=True).start()
        ends_at = time.monotonic() + lasting
        sent = 0
        try:
            while time.monotonic() < ends_at and not stop.is_set():
                conn.sendall(opening[sent:sent + 1] or b"a")
                sent += 1
                time.sleep(interval)
        except OSError:
            pass
        finally:
            conn.close()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=trickle, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        listener.close()

"""What-if experiments: run idp with a suggested change applied at run time, idp's files untouched.

`BENCH_WHATIF=nodelay,static-discovery python -m bench.whatif serve --workers 2` is `idp serve`
with those patches. They are applied when this module is imported, so uvicorn's spawned workers
(which import the parent's main module) get them too. `bash bench/run --whatif NAMES` uses this
for every idp target. Experiments only: each patch stands in for a proper change in idp.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

STANDARD_SITE = Path(__file__).parent / ".whatif-site"  # uvloop and httptools, for this experiment only


def nodelay() -> None:
    """uvicorn binds the --workers listener with proto 0, so asyncio never sets TCP_NODELAY on
    accepted sockets (Kludex/uvicorn#3149): re-wrap the listener as IPPROTO_TCP."""
    from uvicorn.config import Config

    bind = Config.bind_socket

    def bind_tcp(self: Config) -> socket.socket:
        sock = bind(self)
        if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto == 0:
            tcp = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
            tcp.set_inheritable(True)
            return tcp
        return sock

    Config.bind_socket = bind_tcp


def static_discovery(seconds: float = 5.0) -> None:
    """Serve discovery and JWKS from a per-process copy rebuilt every few seconds, with no
    database transaction and no thread hop per request."""
    from starlette.responses import Response

    from idp.web import oidc

    def cached(handler: Callable[[Any], Awaitable[Response]]) -> Callable[[Any], Awaitable[Response]]:
        state: dict[str, Any] = {"until": 0.0, "copy": None}

        async def serve(request: Any) -> Response:
            now = time.monotonic()
            if state["copy"] is None or now > state["until"]:
                response = await handler(request)
                if response.status_code != 200:
                    return response
                headers = {k: v for k, v in response.headers.items() if k != "content-length"}
                state.update(copy=(response.body, headers), until=now + seconds)
            body, headers = state["copy"]
            return Response(body, headers=headers)

        return serve

    oidc.well_known = cached(oidc.well_known)
    oidc.jwks = cached(oidc.jwks)


def sqlite_lock() -> None:
    """Queue this process's units of work on a lock instead of in SQLite's busy handler, which
    sleeps 1, 2, 5, 10 ... 100 ms between tries for the write lock that BEGIN IMMEDIATE takes."""
    import threading

    from idp.services import Services

    run = Services.run
    lock = threading.Lock()

    def run_queued(self: Services, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if not self.settings.database_url.startswith("sqlite"):
            return run(self, fn, *args, **kwargs)
        with lock:
            return run(self, fn, *args, **kwargs)

    Services.run = run_queued


def standard() -> None:
    """uvicorn[standard]'s uvloop and httptools (uvicorn picks them when importable), from a folder
    of their own so that the shared virtualenv is not changed."""
    sys.path.insert(0, str(STANDARD_SITE))
    import httptools  # noqa: F401
    import uvloop  # noqa: F401


def install_standard() -> None:
    if not (STANDARD_SITE / "uvloop").exists():
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--target", str(STANDARD_SITE),
                        "uvloop>=0.19", "httptools>=0.6"], check=True)


PATCHES = {"nodelay": nodelay, "static-discovery": static_discovery, "sqlite-lock": sqlite_lock,
           "standard": standard}


def apply(names: list[str]) -> None:
    for name in names:
        PATCHES[name]()


apply([name for name in os.environ.get("BENCH_WHATIF", "").split(",") if name])

if __name__ == "__main__":
    from idp.cli import main

    sys.exit(main(sys.argv[1:]))

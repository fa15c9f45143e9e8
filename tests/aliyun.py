"""The Aliyun Direct Mail stub (and any small ASGI app) on a free loopback port, in a background thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import uvicorn

from idp import aliyun_stub

ACCESS_KEY_ID = "test-access-key-id"
ACCESS_KEY_SECRET = "stub-secret-0f3a9c2e7b"


@contextmanager
def serve_in_thread(app: Any) -> Iterator[str]:
    """Serve `app` with uvicorn on 127.0.0.1 until the block ends; yields its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    # A request still held by a `delay` behaviour must not hold up the end of the block.
    config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@dataclass
class AliyunStub:
    """A running stub: its URL, the credentials it knows, and its HTTP controls."""

    url: str
    access_key_id: str = ACCESS_KEY_ID
    access_key_secret: str = ACCESS_KEY_SECRET

    def messages(self, to: str | None = None) -> list[dict[str, str]]:
        return httpx.get(f"{self.url}messages", params={"to": to} if to else None).raise_for_status().json()

    def behave(self, **behaviour: Any) -> None:
        """Answer following requests with e.g. `error={"Code": ..., "Message": ...}`, `status=`, `body=`, `delay=`."""
        httpx.put(f"{self.url}behaviour", json=behaviour).raise_for_status()

    def reset(self) -> None:
        httpx.delete(f"{self.url}behaviour").raise_for_status()
        httpx.delete(f"{self.url}messages").raise_for_status()

    def config(self, **extra: Any) -> dict[str, Any]:
        """An aliyun-dm connector config pointing at this stub."""
        return {
            "accessKeyId": self.access_key_id, "accessKeySecret": self.access_key_secret,
            "accountName": "no-reply@mail.example.test", "endpoint": self.url, "templates": templates(), **extra,
        }


@contextmanager
def running_stub(now: Callable[[], datetime] | None = None) -> Iterator[AliyunStub]:
    app = aliyun_stub.create_app({ACCESS_KEY_ID: ACCESS_KEY_SECRET}, now)
    with serve_in_thread(app) as url:
        yield AliyunStub(url)


def templates() -> list[dict[str, str]]:
    """Logto's four required templates, with recognisable subjects."""
    return [
        {"usageType": "SignIn", "subject": "Sign-in code {{code}}",
         "content": "Your sign-in code is {{code}}, {{ code }} is your code"},
        {"usageType": "Register", "subject": "Register code {{code}}", "content": "Register with {{code}}"},
        {"usageType": "ForgotPassword", "subject": "Reset code {{code}}", "content": "Reset with {{code}}"},
        {"usageType": "Generic", "subject": "Your code {{code}}", "content": "Your code is {{code}}"},
    ]

"""A request id on every request (`X-Request-Id`), and the access log: one line per request.

The line has the method, the path without its query string (queries carry codes, tokens, state
and login hints), the status, the duration and the request id. An incoming `X-Request-Id` made of
plain characters is kept, so that a proxy's id can be followed through idp's logs.
"""

from __future__ import annotations

import logging
import re
import secrets
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from idp import logs

log = logging.getLogger("idp.access")
HEADER = b"x-request-id"
ACCEPTED_ID = re.compile(rb"[A-Za-z0-9._-]{8,64}")


class AccessLog:
    def __init__(self, app: ASGIApp, enabled: bool = True) -> None:
        self.app = app
        self.enabled = enabled

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = incoming_id(scope) or secrets.token_hex(8)
        token = logs.request_id.set(rid)
        started = time.perf_counter()
        status = 500  # what the client gets if the application fails before answering

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (HEADER, rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if self.enabled:
                logs.event(log, "request", method=scope["method"], path=scope["path"], status=status,
                           duration_ms=round((time.perf_counter() - started) * 1000, 1))
            logs.request_id.reset(token)


def incoming_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == HEADER and ACCEPTED_ID.fullmatch(value):
            return value.decode()
    return None

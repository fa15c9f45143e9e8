"""HTTP delivery: Logto's HTTP email connector, and the bounded POST every HTTP-based sender uses.

The HTTP connector POSTs `{to, type, payload}` as JSON to the configured `endpoint`, with the
optional `authorization` value as the `Authorization` header (`connector-http-email`).
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from idp.mail import Message, SendError, SenderEnvironment, scrub
from idp.mail.connectors import require_object, string_field, url_field, without_none
from idp.mail.deadline import Deadline
from idp.mail.templates import check_recipient

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 10.0
MAX_BODY_BYTES = 64 * 1024
MAX_DESCRIPTION = 200


def validate(config: Any) -> dict[str, Any]:
    """Logto's HTTP email config: `endpoint` (URL), optional `authorization` header value."""
    config = require_object(config)
    return without_none({
        "endpoint": url_field(config, "endpoint"),
        "authorization": string_field(config, "authorization", required=False),
    })


def create(config: dict[str, Any], env: SenderEnvironment) -> HttpSender:
    config = validate(config)
    return HttpSender(config["endpoint"], config.get("authorization"))


class HttpSender:
    """Hands each message to the operator's own HTTP endpoint."""

    def __init__(self, endpoint: str, authorization: str | None, *, timeout: float = TIMEOUT_SECONDS) -> None:
        self.endpoint = endpoint
        self._authorization = authorization
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"HttpSender(endpoint={self.endpoint!r})"

    def send(self, message: Message) -> None:
        body = {"to": check_recipient(message.to), "type": message.type, "payload": message.payload}
        headers = {"Authorization": self._authorization} if self._authorization else {}
        status, text = post(self.endpoint, service="HTTP email endpoint", timeout=self.timeout,
                            json=body, headers=headers)
        if not 200 <= status < 300:
            log.warning("HTTP email endpoint answered %s", status)
            description = scrub(text, self._authorization, message.payload.get("code"))[:MAX_DESCRIPTION]
            description = description or f"HTTP {status}"
            raise SendError("connector.general", f"Error occurred in connector: {description}", 400, statusCode=status)


def post(url: str, *, service: str, timeout: float = TIMEOUT_SECONDS, **request: Any) -> tuple[int, str]:
    """POST once (never retried, so a code is never sent twice) and return (status, body text).

    The whole exchange, from connecting to the last byte of the body, ends within `timeout`
    (a `Deadline`). Timeouts and network failures become `connector.general`.
    """
    with Deadline(timeout) as deadline:
        try:
            with httpx.Client(timeout=timeout, follow_redirects=False) as client:
                with client.stream("POST", url, extensions={"trace": deadline.trace}, **request) as response:
                    return response.status_code, read_body(response)
        except httpx.HTTPError as error:
            if deadline.expired or isinstance(error, httpx.TimeoutException):
                log.warning("%s timed out after %s s", service, timeout)
                raise SendError("connector.general",
                                f"Error occurred in connector: {service} timed out after {timeout:g} s", 400) from None
            log.warning("%s is unreachable: %s", service, type(error).__name__)
            raise SendError("connector.general", f"Error occurred in connector: {service} is unreachable "
                            f"({type(error).__name__})", 400) from None


def read_body(response: httpx.Response) -> str:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode("utf-8", errors="replace")

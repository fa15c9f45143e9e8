"""Errors in Logto's shape: `{code, message}` with an HTTP status.

    RequestError            any failure a caller can act on (4xx/5xx with a Logto code)
    └── (raised directly; the code names the case, e.g. "session.invalid_credentials")
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse


class RequestError(Exception):
    def __init__(self, code: str, message: str, status: int = 400, *, keep_changes: bool = False, **data: Any) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.data = data
        # Commit the transaction before answering with this error (e.g. a counted wrong code).
        self.keep_changes = keep_changes

    def response(self) -> JSONResponse:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data:
            body["data"] = self.data
        return JSONResponse(body, status_code=self.status)


def not_found() -> RequestError:
    return RequestError("entity.not_found", "The requested resource does not exist.", 404)


def invalid_input(message: str) -> RequestError:
    return RequestError("guard.invalid_input", message, 400)

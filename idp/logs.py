"""Logging: one configuration for the command line, the server and uvicorn, in text or JSON lines.

Every record logged while a request is handled carries that request's id (`request_id`, also sent
back as `X-Request-Id`), so that an operator can find everything one request did. Structured
events go through `event`, which keeps each value on one line and never more than a short
string: callers pass ids and error codes, never secrets, codes, tokens or passwords.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
from typing import Any

FORMATS = ("text", "json")
TEXT_FORMAT = "%(levelname)s %(name)s: %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s"
PLAIN_VALUE = re.compile(r"[\w.:/@+-]*")
MAX_VALUE = 128

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("idp_request_id", default=None)


class RequestIdFilter(logging.Filter):
    """Adds the current request's id (or None) to every record, and drops uvicorn's copy of its
    message with terminal colours (it would be a JSON field of its own)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        record.__dict__.pop("color_message", None)
        return True


def config(log_format: str = "text") -> dict[str, Any]:
    """A `logging.config.dictConfig` document for idp and uvicorn: everything to standard error."""
    if log_format == "json":
        formatter: dict[str, Any] = {"()": "pythonjsonlogger.json.JsonFormatter", "fmt": JSON_FIELDS,
                                     "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"}}
    else:
        formatter = {"format": TEXT_FORMAT}
    quiet = {"level": "WARNING"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"idp": formatter},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr", "formatter": "idp",
                                "filters": ["request_id"]}},
        "root": {"level": "INFO", "handlers": ["stderr"]},
        "loggers": {
            # uvicorn's own loggers propagate to the root handler instead of keeping theirs.
            **{name: {"level": "INFO", "handlers": [], "propagate": True}
               for name in ("uvicorn", "uvicorn.error", "uvicorn.access")},
            "alembic": quiet,
            "httpx": quiet,
        },
    }


def event(logger: logging.Logger, message: str, **fields: Any) -> None:
    """Log `message key=value ...` at info, ending with the request id; JSON lines also get each
    field as a key of its own."""
    shown = {key: short(value) for key, value in fields.items()}
    text = " ".join([message, *(f"{key}={as_text(value)}" for key, value in shown.items())])
    current = request_id.get()
    logger.info(f"{text} request_id={current}" if current else text, extra=shown)


def short(value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_VALUE:
        return value[:MAX_VALUE] + "…"
    return value


def as_text(value: Any) -> str:
    """A value on one line: plain words as they are, anything else quoted with escapes."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and PLAIN_VALUE.fullmatch(value) and value:
        return value
    return json.dumps(value, ensure_ascii=True, default=str)

"""`/api/dev/*`: development-mode controls. Absent (404) unless IDP_DEV is set."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from idp import devtools, identifiers
from idp.errors import RequestError, not_found
from idp.models import OutboxMessage
from idp.services import Context, services
from idp.web.experience import read_json

MAX_WAIT = 60
LIMIT = 100


def messages(ctx: Context, to_key: str | None, after_id: int = 0) -> list[dict]:
    query = select(OutboxMessage).where(OutboxMessage.id > after_id).order_by(OutboxMessage.id.desc()).limit(LIMIT)
    if to_key:
        query = query.where(OutboxMessage.to_key == to_key)
    return [
        {"id": row.id, "to": row.to, "type": row.type, "subject": row.subject, "content": row.content,
         "code": row.code, "created_at": row.created_at.isoformat()}
        for row in ctx.db.scalars(query)
    ]


def dev_only(handler):
    """Answer 404 unless development mode is on."""

    async def guarded(request: Request) -> Response:
        if not services(request).settings.dev:
            return not_found().response()
        return await handler(request)

    return guarded


def json_step(step, status: int = 200):
    """A development control: read a JSON body, run `step(ctx, body)`, answer its result."""

    async def handler(request: Request) -> Response:
        try:
            body = await read_json(request)
            result = await services(request).call(step, body)
        except RequestError as error:
            return error.response()
        return Response(status_code=204) if result is None else JSONResponse(result, status_code=status)

    return dev_only(handler)


async def outbox(request: Request) -> Response:
    """Messages newest first. `?to=` filters by recipient; `?after=ID` keeps messages newer than
    message ID; `?wait=S` answers as soon as one such message exists, waiting up to S seconds."""
    svc = services(request)
    try:
        to = request.query_params.get("to")
        to_key = identifiers.email_key(to) if to else None
        after = whole_number(request.query_params.get("after", "0"), "after")
        seconds = min(wait_seconds(request.query_params.get("wait", "0")), MAX_WAIT)
    except RequestError as error:
        return error.response()
    deadline = time.monotonic() + seconds
    while True:
        found = await svc.read(messages, to_key, after)
        if found or time.monotonic() >= deadline:
            return JSONResponse(found)
        await asyncio.sleep(0.05)


def whole_number(value: str, name: str) -> int:
    if not value.isdigit() or len(value) > 18:
        raise RequestError("guard.invalid_input", f"{name} must be a message id (a whole number).")
    return int(value)


def wait_seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):  # also refuses nan
        raise RequestError("guard.invalid_input", "wait must be a number of seconds.")
    return seconds


ROUTES = [
    ("/api/dev/outbox", ["GET"], dev_only(outbox)),
    ("/api/dev/clock", ["GET"], json_step(lambda ctx, body: devtools.clock(ctx))),
    ("/api/dev/clock", ["POST"], json_step(devtools.advance_clock)),
    ("/api/dev/reset", ["POST"], json_step(lambda ctx, body: devtools.reset(ctx.db))),
    ("/api/dev/fixed-codes", ["GET"], json_step(lambda ctx, body: devtools.fixed_codes(ctx))),
    ("/api/dev/fixed-codes", ["PUT"], json_step(devtools.set_fixed_codes)),
    ("/api/dev/keys/rotate", ["POST"], json_step(devtools.rotate_keys)),
    ("/api/dev/seed", ["POST"], json_step(devtools.apply_seed)),
]

"""`/api/experience/*`: Logto's Experience API over the interaction bound to this browser.

Bodies are JSON; a cross-site page cannot send JSON without a CORS preflight, which idp never
grants, so the API needs no separate CSRF token.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from idp.errors import RequestError
from idp.experience import codes, flow
from idp.models import Interaction
from idp.services import Context, services
from idp.web import json_body, steps



async def read_json(request: Request) -> dict[str, Any]:
    if request.method in ("GET", "HEAD"):
        return {}
    raw = await request.body()
    if len(raw) > json_body.MAX_BODY:
        raise RequestError("request.general", "The request body is too large.", 413)
    return json_body.parse_body(raw, request.headers.get("content-type", ""))


def with_interaction(step: Callable[[Context, Interaction, dict[str, Any]], Any], status: int = 200):
    """Build a handler that runs `step` on this browser's interaction in one transaction."""

    async def handler(request: Request) -> Response:
        try:
            body = await read_json(request)
            cookie = request.cookies.get("_interaction")
            result = await services(request).call(run_step, step, cookie, body)
        except RequestError as error:
            return error.response()
        if result is None:
            return Response(status_code=204 if status == 200 else status)
        return JSONResponse(result, status_code=status)

    return handler


def run_step(ctx: Context, step: Callable[..., Any], cookie: str | None, body: dict[str, Any]) -> Any:
    return steps.in_interaction(ctx, cookie, step, body)


def start(ctx: Context, interaction: Interaction, body: dict[str, Any]) -> None:
    flow.start(ctx, interaction, body.get("interactionEvent"))


def set_event(ctx: Context, interaction: Interaction, body: dict[str, Any]) -> None:
    flow.set_event(ctx, interaction, body.get("interactionEvent"))


def view(ctx: Context, interaction: Interaction, body: dict[str, Any]) -> dict[str, Any]:
    return flow.public_view(interaction)


def verify_password(ctx: Context, interaction: Interaction, body: dict[str, Any]) -> dict[str, Any]:
    verification_id = flow.verify_password(ctx, interaction, body.get("identifier"), body.get("password"))
    return {"verificationId": verification_id}


def submit(ctx: Context, interaction: Interaction, body: dict[str, Any]) -> dict[str, Any] | None:
    return flow.submit(ctx, interaction)


def add_profile(ctx: Context, interaction: Interaction, body: dict[str, Any]) -> None:
    flow.add_profile(ctx, interaction, body)


def reset_password(ctx: Context, interaction: Interaction, body: dict[str, Any]) -> None:
    flow.reset_password(ctx, interaction, body.get("password"))


def verify_code(ctx: Context, interaction: Interaction, body: dict[str, Any]) -> dict[str, Any]:
    verification_id = codes.verify_code(ctx, interaction, body.get("identifier"), body.get("verificationId"),
                                        body.get("code"))
    return {"verificationId": verification_id}


async def identification(request: Request) -> Response:
    """201 when the identification created the user (Register), 204 otherwise."""
    try:
        body = await read_json(request)
        created = await services(request).call(
            run_step, lambda ctx, it, b: flow.identify(ctx, it, b.get("verificationId")),
            request.cookies.get("_interaction"), body)
    except RequestError as error:
        return error.response()
    return Response(status_code=201 if created else 204)


async def send_code(request: Request) -> Response:
    """Create the code, deliver it after the commit, withdraw it if delivery fails."""
    try:
        body = await read_json(request)
        sent = await steps.send_code(services(request), request.cookies.get("_interaction"), lambda ctx, it: (
            codes.request_code(ctx, it, body.get("identifier"), body.get("interactionEvent"))),
            request.headers.get("accept-language"))
    except RequestError as error:
        return error.response()
    return JSONResponse({"verificationId": sent.verification_id})


ROUTES = [
    ("/api/experience", ["PUT"], with_interaction(start)),
    ("/api/experience/interaction-event", ["PUT"], with_interaction(set_event)),
    ("/api/experience/interaction", ["GET"], with_interaction(view)),
    ("/api/experience/verification/password", ["POST"], with_interaction(verify_password)),
    ("/api/experience/verification/verification-code", ["POST"], send_code),
    ("/api/experience/verification/verification-code/verify", ["POST"], with_interaction(verify_code)),
    ("/api/experience/identification", ["POST"], identification),
    ("/api/experience/profile", ["POST"], with_interaction(add_profile)),
    ("/api/experience/profile/password", ["PUT"], with_interaction(reset_password)),
    ("/api/experience/submit", ["POST"], with_interaction(submit)),
]

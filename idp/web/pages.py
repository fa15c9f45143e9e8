"""Hosted sign-in pages: plain HTML forms over the same flow as the Experience API."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from idp import security
from idp.errors import RequestError
from idp.experience import flow
from idp.models import Interaction
from idp.services import Context, services
from idp.store import configs, interactions
from idp.web.responses import error_page, page


def csrf_token(ctx: Context, cookie: str) -> str:
    return security.keyed_hash(configs.secret(ctx.db, "csrf"), f"page:{cookie}")


def load(ctx: Context, cookie: str | None) -> tuple[Interaction, str] | None:
    interaction = interactions.by_cookie(ctx.db, cookie, ctx.now)
    if interaction is None or cookie is None:
        return None
    return interaction, csrf_token(ctx, cookie)


async def sign_in(request: Request) -> Response:
    cookie = request.cookies.get("_interaction")
    found = await services(request).call(load, cookie)
    if found is None:
        return unknown_session(request)
    interaction, token = found
    return page(request, "sign_in.html", csrf=token, email=interaction.params.get("login_hint", ""))


async def sign_in_submit(request: Request) -> Response:
    cookie = request.cookies.get("_interaction")
    form = await request.form()
    fields = {key: value for key, value in form.items() if isinstance(value, str)}

    def run(ctx: Context) -> dict[str, Any]:
        found = load(ctx, cookie)
        if found is None:
            raise RequestError("session.not_found", "Session not found. Please go back and sign in again.")
        interaction, token = found
        if not security.same(fields.get("csrf", ""), token):
            raise RequestError("session.csrf_token_mismatch", "The form has expired. Please try again.", 403)
        flow.start(ctx, interaction, "SignIn")
        verification_id = flow.verify_password(
            ctx, interaction, {"type": "email", "value": fields.get("email", "")}, fields.get("password")
        )
        flow.identify(ctx, interaction, verification_id)
        return flow.submit(ctx, interaction)

    try:
        result = await services(request).call(run)
    except RequestError as error:
        if error.code == "session.not_found":
            return unknown_session(request)
        token = await services(request).call(lambda ctx: csrf_token(ctx, cookie or ""))
        return page(request, "sign_in.html", status=error.status, csrf=token, email=fields.get("email", ""),
                    error=error.message)
    return RedirectResponse(result["redirectTo"], status_code=303)


def unknown_session(request: Request) -> Response:
    return error_page(request, "session.not_found",
                      "This sign-in session was not found or has expired. Go back to the application and start again.")

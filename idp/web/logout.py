"""`/oidc/session/end`: the confirmation page, the confirming POST, and the logged-out page."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from idp.oidc import logout
from idp.oidc.requests import read
from idp.services import Context, services
from idp.web.responses import error_page, page, set_cookies


async def end_session(request: Request) -> Response:
    params = (await read(request)).payload.data
    cookie = request.cookies.get("_session")

    def prepare(ctx: Context) -> tuple[logout.LogoutRequest, str]:
        return logout.check(ctx, params), logout.xsrf(ctx, cookie)

    try:
        checked, token = await services(request).call(prepare)
    except logout.LogoutError as error:
        return error_page(request, "invalid_request", str(error))
    return page(request, "logout.html", checked=checked, xsrf=token)


async def confirm(request: Request) -> Response:
    params = (await read(request)).payload.data
    try:
        target = await services(request).call(logout.confirm, params, request.cookies.get("_session"))
    except logout.LogoutError as error:
        return error_page(request, "invalid_request", str(error))
    issuer = services(request).settings.issuer
    response = RedirectResponse(target or f"{issuer}/session/end/success", status_code=303)
    set_cookies(request, response, {"_session": None})
    return response


async def success(request: Request) -> Response:
    return page(request, "logged_out.html")

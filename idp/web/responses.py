"""Shared ways to answer: cookies, redirects, error pages."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from idp.oidc.authorization import ErrorPage, Redirect
from idp.services import services

COOKIE_PATHS = {"_session": "/", "_interaction": "/"}


def page(request: Request, template: str, status: int = 200, **values: Any) -> HTMLResponse:
    svc = services(request)
    html = svc.templates.get_template(template).render(settings=svc.settings, **values)
    return HTMLResponse(html, status_code=status)


def error_page(request: Request, error: str, description: str, status: int = 400,
               explain: dict[str, Any] | None = None) -> HTMLResponse:
    return page(request, "error.html", status, error=error, description=description, explain=explain)


def set_cookies(request: Request, response: Response, cookies: dict[str, str | None]) -> None:
    secure = services(request).settings.secure_cookies
    for name, value in cookies.items():
        if value is None:
            response.delete_cookie(name, path=COOKIE_PATHS.get(name, "/"), secure=secure, httponly=True, samesite="lax")
        else:
            response.set_cookie(name, value, path=COOKIE_PATHS.get(name, "/"), secure=secure, httponly=True,
                                samesite="lax")


def outcome(request: Request, result: ErrorPage | Redirect) -> Response:
    if isinstance(result, ErrorPage):
        return error_page(request, result.error, result.description, result.status, result.explain)
    response = RedirectResponse(result.location, status_code=303)
    set_cookies(request, response, result.cookies)
    return response

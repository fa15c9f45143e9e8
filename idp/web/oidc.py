"""`/oidc/*`: discovery, JWKS, authorization, token, userinfo, revocation, introspection."""

from __future__ import annotations

import base64
import binascii
import json
import logging
from typing import Any
from urllib.parse import unquote_plus

from authlib.oauth2.rfc6749 import OAuth2Error
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from idp import keys, logs
from idp.oidc import authorization, discovery, userinfo
from idp.oidc.requests import IdpRequest, read
from idp.services import Context, services
from idp.web.responses import outcome

log = logging.getLogger("idp.oidc")
JWKS_CACHE = "no-cache, max-age=0, must-revalidate"
MAX_BODY = 56 * 1024


async def well_known(request: Request) -> Response:
    svc = services(request)
    algs = await svc.read(lambda ctx: keys.available_algs(ctx.db))
    return JSONResponse(discovery.document(svc.settings.issuer, algs),
                        headers={"Access-Control-Allow-Origin": "*"})


async def jwks(request: Request) -> Response:
    svc = services(request)
    body = await svc.read(lambda ctx: svc.keys.jwks(ctx.db))
    return JSONResponse(body, headers={"Cache-Control": JWKS_CACHE, "Access-Control-Allow-Origin": "*"})


async def authorize(request: Request) -> Response:
    if too_large(request):
        return JSONResponse({"error": "invalid_request", "error_description": "The request is too large."}, 413)
    oauth_request = await read(request)
    result = await services(request).call(authorization.authorize, oauth_request, request.cookies.get("_session"))
    return outcome(request, result)


async def resume(request: Request) -> Response:
    result = await services(request).call(
        authorization.resume, request.path_params["uid"], request.cookies.get("_interaction"),
        request.cookies.get("_session"),
    )
    return outcome(request, result)


async def token(request: Request) -> Response:
    if too_large(request):
        return oauth_error("invalid_request", "The request is too large.", 413)
    oauth_request = await read_body(request)
    if oauth_request.duplicated():
        response: Response = oauth_error("invalid_request", "Parameters must not be repeated.")
    else:
        response = await services(request).call(lambda ctx: ctx.services.oauth.create_token_response(oauth_request))
    if response.status_code >= 400:
        logs.event(log, "token request refused", client_id=claimed_client_id(oauth_request),
                   grant_type=oauth_request.form.get("grant_type"), error=error_code(response))
    return response


def claimed_client_id(oauth_request: IdpRequest) -> str | None:
    """The client id the request names (Basic user name or `client_id`), for the log only: never the secret."""
    scheme, _, value = oauth_request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            return unquote_plus(base64.b64decode(value.strip(), validate=True).decode().partition(":")[0])
        except (binascii.Error, UnicodeDecodeError):
            return None
    return oauth_request.form.get("client_id")


def error_code(response: Response) -> str | None:
    try:
        return json.loads(bytes(response.body)).get("error")
    except (ValueError, AttributeError):
        return None


async def revocation(request: Request) -> Response:
    return await endpoint(request, "revocation")


async def introspection(request: Request) -> Response:
    return await endpoint(request, "introspection")


async def endpoint(request: Request, name: str) -> Response:
    if too_large(request):
        return oauth_error("invalid_request", "The request is too large.", 413)
    oauth_request = await read_body(request)
    return await services(request).call(lambda ctx: ctx.services.oauth.create_endpoint_response(name, oauth_request))


async def me(request: Request) -> Response:
    oauth_request = await read(request)

    def answer(ctx: Context) -> Response:
        try:
            body = userinfo.claims_for(ctx, oauth_request)
        except OAuth2Error as error:
            status, payload, headers = error()
            return JSONResponse(dict(payload), status, headers=dict(headers))
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    return await services(request).read(answer)


async def read_body(request: Request) -> IdpRequest:
    """Token, revocation and introspection take their parameters from the body only (RFC 6749 §3.2)."""
    form = await request.form()  # empty unless the body is a form
    peer = request.client.host if request.client else None
    return IdpRequest(request.method, str(request.url), request.headers, QueryParams(), form, peer)


def oauth_error(error: str, description: str, status: int = 400) -> JSONResponse:
    body: dict[str, Any] = {"error": error, "error_description": description}
    return JSONResponse(body, status, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


def too_large(request: Request) -> bool:
    length = request.headers.get("content-length", "0")
    return not length.isdigit() or int(length) > MAX_BODY

"""`/api/*`: Logto's Management API (bearer token required) and `/api/swagger.json`.

Each route authenticates the bearer token, parses the JSON body and runs one operation of
`idp.management`, all in one transaction. `mount(app)` adds the routes to an application.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from idp.errors import RequestError
from idp.mail import delivery
from idp.management import (
    applications,
    auth,
    connectors,
    openapi,
    resources,
    roles,
    sign_in_experience,
    users,
    verification_codes,
)
from idp.management.call import Call, Reply
from idp.services import Context, services
from idp.web import json_body

Operation = Callable[[Context, Call], Any]


async def read_limited(request: Request) -> bytes:
    """The raw body, refused (413) past `json_body.MAX_BODY` bytes without reading further."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > json_body.MAX_BODY:
            raise RequestError("request.general", "The request body is too large.", 413)
        chunks.append(chunk)
    return b"".join(chunks)


@dataclass(frozen=True)
class Incoming:
    """What an operation's transaction needs from the request (read while async)."""

    authorization: str | None
    raw: bytes
    content_type: str
    path: dict[str, str]
    query: QueryParams
    target: str  # path and query string


def run(ctx: Context, operation: Operation, incoming: Incoming) -> Any:
    """Authenticate, then parse the body, then run the operation: Logto's order of checks."""
    auth.authenticate(ctx, incoming.authorization)
    body = json_body.parse_body(incoming.raw, incoming.content_type)
    call = Call(path=incoming.path, query=incoming.query, body=body, url=f"{ctx.settings.endpoint}{incoming.target}")
    return operation(ctx, call)


async def perform(request: Request, operation: Operation) -> Any:
    """Run `operation` for `request`; RequestError and IntegrityError propagate."""
    incoming = Incoming(
        authorization=request.headers.get("authorization"),
        raw=await read_limited(request) if request.method in ("POST", "PUT", "PATCH") else b"",
        content_type=request.headers.get("content-type", ""),
        path=dict(request.path_params),
        query=request.query_params,
        target=f"{request.url.path}?{request.url.query}",
    )
    return await services(request).call(run, operation, incoming)


def endpoint(operation: Operation) -> Callable[[Request], Any]:
    async def handler(request: Request) -> Response:
        try:
            return answer(await perform(request, operation))
        except RequestError as error:
            return error.response()
        except IntegrityError:  # a concurrent request took the same unique value first
            return unique_violation().response()

    return handler


def answer(result: Any) -> Response:
    if isinstance(result, Reply):
        if result.body is None:
            return Response(status_code=204 if result.status == 200 else result.status, headers=result.headers)
        return JSONResponse(result.body, status_code=result.status, headers=result.headers)
    if result is None:
        return Response(status_code=204)
    return JSONResponse(result)


def unique_violation() -> RequestError:
    return RequestError("entity.unique_integrity_violation", "The entity already exists.", 422)


async def request_code(request: Request) -> Response:
    """Create the code in one transaction, send it after the commit, withdraw it if sending fails."""
    svc = services(request)
    try:
        sent = await perform(request, verification_codes.request_code)
    except RequestError as error:
        return error.response()
    try:
        await run_in_threadpool(delivery.send, svc, sent.message)
    except RequestError as error:  # no sender, or it failed: the code must not stay usable
        await svc.call(verification_codes.withdraw, sent.code_id)
        return error.response()
    return Response(status_code=204)


async def test_connector(request: Request) -> Response:
    """Send Logto's test message through the config given; the service's words answer a failure."""
    try:
        test = await perform(request, connectors.test_sender)
        await run_in_threadpool(delivery.send, services(request), test.message, test.sender)
    except RequestError as error:
        return error.response()
    return Response(status_code=204)


async def status(request: Request) -> Response:
    """`GET /api/status`: 204 while idp is up, as Logto answers (no token needed)."""
    return Response(status_code=204)


async def swagger(request: Request) -> Response:
    return JSONResponse(openapi.document(services(request).settings.endpoint))


OPERATIONS: list[tuple[str, str, Operation]] = [
    ("/api/applications", "GET", applications.list_applications),
    ("/api/applications", "POST", applications.create_application),
    ("/api/applications/{id}", "GET", applications.get_application),
    ("/api/applications/{id}", "PATCH", applications.update_application),
    ("/api/applications/{id}", "DELETE", applications.delete_application),
    ("/api/applications/{applicationId}/roles", "GET", roles.list_application_roles),
    ("/api/applications/{applicationId}/roles", "POST", roles.add_application_roles),
    ("/api/applications/{applicationId}/roles", "PUT", roles.replace_application_roles),
    ("/api/applications/{applicationId}/roles/{roleId}", "DELETE", roles.delete_application_role),
    ("/api/roles", "GET", roles.list_roles),
    ("/api/roles/{id}", "GET", roles.get_role),
    ("/api/users", "GET", users.list_users),
    ("/api/users", "POST", users.create_user),
    ("/api/users/{userId}", "GET", users.get_user),
    ("/api/users/{userId}", "PATCH", users.update_user),
    ("/api/users/{userId}", "DELETE", users.delete_user),
    ("/api/users/{userId}/password", "PATCH", users.set_password),
    ("/api/users/{userId}/password/verify", "POST", users.verify_password),
    ("/api/users/{userId}/has-password", "GET", users.has_password),
    ("/api/users/{userId}/custom-data", "GET", users.get_custom_data),
    ("/api/users/{userId}/custom-data", "PATCH", users.update_custom_data),
    ("/api/users/{userId}/profile", "PATCH", users.update_profile),
    ("/api/users/{userId}/is-suspended", "PATCH", users.set_suspended),
    ("/api/resources", "GET", resources.list_resources),
    ("/api/resources", "POST", resources.create_resource),
    ("/api/resources/{id}", "GET", resources.get_resource),
    ("/api/resources/{id}", "PATCH", resources.update_resource),
    ("/api/resources/{id}", "DELETE", resources.delete_resource),
    ("/api/sign-in-exp", "GET", sign_in_experience.get_sign_in_experience),
    ("/api/sign-in-exp", "PATCH", sign_in_experience.update_sign_in_experience),
    ("/api/connectors", "GET", connectors.list_connectors),
    ("/api/connectors", "POST", connectors.create_connector),
    ("/api/connectors/{id}", "GET", connectors.get_connector),
    ("/api/connectors/{id}", "PATCH", connectors.update_connector),
    ("/api/connectors/{id}", "DELETE", connectors.delete_connector),
    ("/api/verification-codes/verify", "POST", verification_codes.verify_code),
]


def dispatch(handlers: dict[str, Callable[[Request], Any]]) -> Callable[[Request], Any]:
    """One route per path, so that a 405 lists every method the path has in `Allow`."""

    async def handler(request: Request) -> Response:
        return await handlers["GET" if request.method == "HEAD" else request.method](request)

    return handler


def build_routes() -> list[Route]:
    by_path: dict[str, dict[str, Callable[[Request], Any]]] = {
        "/api/status": {"GET": status},
        "/api/swagger.json": {"GET": swagger},
        "/api/verification-codes": {"POST": request_code},
        "/api/connectors/{factoryId}/test": {"POST": test_connector},
    }
    for path, method, operation in OPERATIONS:
        by_path.setdefault(path, {})[method] = endpoint(operation)
    return [Route(path, dispatch(handlers), methods=list(handlers)) for path, handlers in by_path.items()]


ROUTES = build_routes()


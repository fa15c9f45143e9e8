"""Starlette requests in the shape authlib's synchronous server expects.

The body is read while async (`await read(request)`); the result can then travel to a worker
thread. Query and form parameters both count, and repeated parameters stay visible so that
duplicates can be refused.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from authlib.oauth2.rfc6749 import OAuth2Payload, OAuth2Request
from starlette.datastructures import FormData, Headers, QueryParams
from starlette.requests import Request

from idp.services import services


class Payload(OAuth2Payload):
    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._pairs = pairs

    @property
    def data(self) -> dict[str, str]:
        # Empty values count as omitted (RFC 6749 §3.1).
        return {key: value for key, value in self._pairs if value != ""}

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        values: defaultdict[str, list[str]] = defaultdict(list)
        for key, value in self._pairs:
            if value != "":
                values[key].append(value)
        return values


class IdpRequest(OAuth2Request):
    """An OAuth2Request built from already-read parts.

    authlib refuses a plain-http URI that is not loopback, judging by the URI it is given. Built
    from the request, that URI reflects the client's `Host` header (a 500 for `Host: evil.test`)
    and, behind a TLS-terminating proxy, the proxy hop. Whether idp is served over https is the
    deployment's setting (`IDP_ENDPOINT`), so that check is not made per request.
    """

    def __init__(self, method: str, uri: str, headers: Headers, query: QueryParams, form: FormData,
                 peer: str | None = None) -> None:
        super().__init__(method=method, uri="https://idp.invalid/", headers=headers)
        self.uri = uri
        self.peer = peer  # the TCP peer's address (never a forwarded-for header)
        self._query = query
        self._form = form
        pairs = list(query.multi_items())
        if method == "POST":
            pairs += [(key, value) for key, value in form.multi_items() if isinstance(value, str)]
        self.payload = Payload(pairs)

    @property
    def args(self) -> QueryParams:
        return self._query

    @property
    def form(self) -> dict[str, str]:
        return {key: value for key, value in self._form.items() if isinstance(value, str)}

    def duplicated(self) -> list[str]:
        return sorted(key for key, values in self.payload.datalist.items() if len(values) > 1)


async def read(request: Request) -> IdpRequest:
    form = FormData()
    if request.method == "POST":
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
    return IdpRequest(request.method, public_uri(request), request.headers, request.query_params, form)


def public_uri(request: Request) -> str:
    """The request's URI on the configured endpoint: `Host` and `X-Forwarded-*` never choose it."""
    uri = services(request).settings.endpoint + request.url.path
    return f"{uri}?{request.url.query}" if request.url.query else uri


def from_params(params: dict[str, Any], uri: str) -> IdpRequest:
    """Rebuild an authorization request from stored parameters (a list value is a repeated parameter)."""
    pairs = [(key, item) for key, value in params.items() for item in (value if isinstance(value, list) else [value])]
    return IdpRequest("GET", uri, Headers(), QueryParams(pairs), FormData())

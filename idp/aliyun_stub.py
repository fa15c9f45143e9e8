"""A local stand-in for Aliyun Direct Mail's `SingleSendMail`, for tests and offline demos.

It checks requests as Aliyun does (access key, signature, timestamp within 15 minutes, nonce
never reused, required parameters) and keeps each accepted message, readable at `GET /messages`.

    POST   /             the Direct Mail API (form-encoded, as the real one)
    GET    /messages     accepted messages `[{to, subject, html, fromAlias, envId, requestId}]` (`?to=` filters)
    DELETE /messages     forget them
    PUT    /behaviour    `{"error": {"Code", "Message"} | null, "status": 400, "body": "raw text" | null,
                          "delay": seconds}`: answer every following request this way
    DELETE /behaviour    back to normal
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from idp.mail.aliyun import sign

log = logging.getLogger(__name__)
HOST_ID = "dm.aliyuncs.com"
MAX_SKEW = timedelta(minutes=15)
COMMON_PARAMETERS = ("Action", "Format", "Version", "AccessKeyId", "SignatureMethod", "SignatureVersion",
                     "SignatureNonce", "Timestamp", "Signature")
SEND_PARAMETERS = ("AccountName", "AddressType", "ReplyToAddress", "ToAddress", "Subject")


class Refusal(Exception):
    """An Aliyun error answer: `{Code, Message, RequestId, HostId, Recommend}` with an HTTP status."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(code)
        self.code, self.message, self.status = code, message, status


class DirectMailStub:
    """State of one stub: known access keys, used nonces, accepted messages, forced behaviour."""

    def __init__(self, access_keys: dict[str, str], now: Callable[[], datetime]) -> None:
        self._access_keys = access_keys
        self.now = now
        self.nonces: set[str] = set()
        self.messages: list[dict[str, str]] = []
        self.behaviour: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"DirectMailStub(access_key_ids={sorted(self._access_keys)!r})"

    def check(self, form: dict[str, str]) -> None:
        """Raise the Refusal Aliyun would answer, in the order Aliyun checks."""
        for name in COMMON_PARAMETERS:
            if not form.get(name):
                raise Refusal(f"Missing{name}", f"{name} is mandatory for this action.")
        if form["SignatureMethod"] != "HMAC-SHA1" or form["SignatureVersion"] != "1.0":
            raise Refusal("InvalidSignatureMethod", "Specified signature method is not supported.")
        secret = self._access_keys.get(form["AccessKeyId"])
        if secret is None:
            raise Refusal("InvalidAccessKeyId.NotFound", "Specified access key is not found.", 404)
        unsigned = {key: value for key, value in form.items() if key != "Signature"}
        if not hmac.compare_digest(sign(unsigned, secret), form["Signature"]):
            raise Refusal("SignatureDoesNotMatch", "Specified signature is not matched with our calculation.")
        self.check_timestamp(form["Timestamp"])
        if form["SignatureNonce"] in self.nonces:
            raise Refusal("SignatureNonceUsed", "Specified signature nonce was used already.")
        self.nonces.add(form["SignatureNonce"])
        self.check_send(form)

    def check_timestamp(self, value: str) -> None:
        try:
            moment = datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        except ValueError:
            raise Refusal("InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.") \
                from None
        if abs(self.now() - moment) > MAX_SKEW:
            raise Refusal("InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")

    def check_send(self, form: dict[str, str]) -> None:
        if form["Action"] != "SingleSendMail":
            raise Refusal("InvalidAction.NotFound", "Specified api is not found, please check your url and method.",
                          404)
        for name in SEND_PARAMETERS:
            if not form.get(name):
                raise Refusal(f"Missing{name}", f"{name} is mandatory for this action.")
        if not (form.get("HtmlBody") or form.get("TextBody")):
            raise Refusal("MissingHtmlBody", "HtmlBody or TextBody is mandatory for this action.")

    def accept(self, form: dict[str, str], request_id: str) -> dict[str, str]:
        env_id = str(600000000 + len(self.messages) + 1)
        self.messages.append({
            "to": form["ToAddress"], "subject": form["Subject"], "html": form.get("HtmlBody", ""),
            "fromAlias": form.get("FromAlias", ""), "accountName": form["AccountName"],
            "envId": env_id, "requestId": request_id,
        })
        log.info("accepted a message to %s (EnvId %s)", form["ToAddress"], env_id)
        return {"EnvId": env_id, "RequestId": request_id}


def error_body(code: str, message: str, request_id: str) -> dict[str, str]:
    return {"RequestId": request_id, "HostId": HOST_ID, "Code": code, "Message": message,
            "Recommend": f"https://api.aliyun.com/troubleshoot?q={code}&product=Dm"}


def create_app(access_keys: dict[str, str], now: Callable[[], datetime] | None = None) -> Starlette:
    """The stub as an ASGI app; `access_keys` maps AccessKeyId to AccessKeySecret."""
    stub = DirectMailStub(access_keys, now or (lambda: datetime.now(timezone.utc)))

    async def direct_mail(request: Request) -> Response:
        form = {key: value for key, value in (await request.form()).items() if isinstance(value, str)}
        request_id = str(uuid.uuid4()).upper()
        behaviour = dict(stub.behaviour)
        await asyncio.sleep(float(behaviour.get("delay") or 0))
        try:
            stub.check(form)
        except Refusal as refusal:
            return JSONResponse(error_body(refusal.code, refusal.message, request_id), refusal.status)
        return forced(behaviour, request_id) or JSONResponse(stub.accept(form, request_id))

    async def messages(request: Request) -> Response:
        if request.method == "DELETE":
            stub.messages.clear()
            return Response(status_code=204)
        to = request.query_params.get("to")
        return JSONResponse([message for message in stub.messages if to in (None, message["to"])])

    async def behaviour(request: Request) -> Response:
        stub.behaviour = await request.json() if request.method == "PUT" else {}
        return JSONResponse(stub.behaviour)

    app = Starlette(routes=[
        Route("/", direct_mail, methods=["POST"]),
        Route("/messages", messages, methods=["GET", "DELETE"]),
        Route("/behaviour", behaviour, methods=["PUT", "DELETE"]),
    ])
    app.state.stub = stub
    return app


def forced(behaviour: dict[str, Any], request_id: str) -> Response | None:
    """The answer a test asked for with `PUT /behaviour`, or None to accept normally."""
    status = int(behaviour.get("status") or 400)
    if behaviour.get("body") is not None:
        return Response(behaviour["body"], status_code=status, media_type="text/plain")
    error = behaviour.get("error")
    if error:
        return JSONResponse(error_body(error["Code"], error.get("Message", error["Code"]), request_id), status)
    if behaviour.get("status"):
        return JSONResponse({"RequestId": request_id}, status)
    return None


def serve(*, host: str, port: int, access_key_id: str, access_key_secret: str) -> None:
    """Run the stub with uvicorn until interrupted."""
    import uvicorn

    print(f"Aliyun Direct Mail stub listening on http://{host}:{port}/ (messages at /messages)", flush=True)
    uvicorn.run(create_app({access_key_id: access_key_secret}), host=host, port=port, log_level="warning",
                access_log=False)

"""Aliyun Direct Mail `SingleSendMail`, as Logto's `connector-aliyun-dm` (v1.6.1) calls it.

One form-encoded POST per message, signed with HMAC-SHA1 (Aliyun RPC signature version 1.0).
idp adds one optional config field, `endpoint`, which replaces the region's URL (for a local stub).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import uuid
from datetime import datetime, timezone
from typing import Any, Callable
from urllib.parse import quote

from starlette.datastructures import Secret

from idp.mail import Message, SendError, SenderEnvironment, scrub
from idp.mail.connectors import choice_field, require_object, string_field, url_field, without_none
from idp.mail.http import TIMEOUT_SECONDS, post
from idp.mail.templates import check_recipient, check_templates, choose, render, render_subject

log = logging.getLogger(__name__)
REGION_ENDPOINTS = {
    "cn-hangzhou": "https://dm.aliyuncs.com/",
    "ap-southeast-1": "https://dm.ap-southeast-1.aliyuncs.com/",
    "ap-southeast-2": "https://dm.ap-southeast-2.aliyuncs.com/",
    "eu-central-1": "https://dm.eu-central-1.aliyuncs.com/",
    "us-east-1": "https://dm.us-east-1.aliyuncs.com/",
}
DEFAULT_REGION = "cn-hangzhou"
FIXED_PARAMETERS = {
    "Action": "SingleSendMail", "Format": "json", "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0",
    "Version": "2015-11-23", "ReplyToAddress": "false", "AddressType": "1",
}
ERROR_DETAILS = ("Code", "RequestId", "HostId", "Recommend")
INVALID_RESPONSE = "The connector's response is invalid."


def validate(config: Any) -> dict[str, Any]:
    """Logto's `aliyunDmConfigGuard`, plus idp's optional `endpoint`; unknown keys are dropped."""
    config = require_object(config)
    return without_none({
        "accessKeyId": string_field(config, "accessKeyId"),
        "accessKeySecret": string_field(config, "accessKeySecret"),
        "accountName": string_field(config, "accountName"),
        "fromAlias": string_field(config, "fromAlias", required=False),
        "regionId": choice_field(config, "regionId", tuple(REGION_ENDPOINTS), None),
        "endpoint": url_field(config, "endpoint", required=False),
        "templates": check_templates(config.get("templates")),
    })


def create(config: dict[str, Any], env: SenderEnvironment) -> AliyunSender:
    return AliyunSender(validate(config), now=env.now)


def sign(params: dict[str, str], secret: str) -> str:
    """The `Signature` of a POST to `/` carrying `params` (every parameter except Signature itself)."""
    canonical = "&".join(sorted(f"{percent_encode(key)}={percent_encode(value)}" for key, value in params.items()))
    string_to_sign = f"POST&{percent_encode('/')}&{percent_encode(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def percent_encode(value: str) -> str:
    """RFC 3986 encoding of UTF-8: only `A-Za-z0-9-_.~` stay as they are."""
    return quote(value, safe="-_.~")


def timestamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class AliyunSender:
    """Sends each message with one signed SingleSendMail request; never retries."""

    def __init__(self, config: dict[str, Any], *, now: Callable[[], datetime],
                 timeout: float = TIMEOUT_SECONDS) -> None:
        self.access_key_id = config["accessKeyId"]
        self._secret = Secret(config["accessKeySecret"])
        self.account_name = config["accountName"]
        self.from_alias = config.get("fromAlias")
        self.region_id = config.get("regionId", DEFAULT_REGION)
        self.url = config.get("endpoint") or REGION_ENDPOINTS[self.region_id]
        self.templates = config["templates"]
        self.now = now
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"AliyunSender(access_key_id={self.access_key_id!r}, url={self.url!r})"

    def send(self, message: Message) -> None:
        form = self.signed_form(message)
        status, body = post(self.url, service="Aliyun Direct Mail", timeout=self.timeout, data=form)
        answer = parse(scrub(body, str(self._secret), message.payload.get("code")))
        if 200 <= status < 300:
            accepted(answer)
        else:
            raise rejected(status, answer)

    def signed_form(self, message: Message) -> dict[str, str]:
        template = choose(self.templates, message.type)
        params = without_none({
            **FIXED_PARAMETERS,
            "AccessKeyId": self.access_key_id,
            "RegionId": self.region_id,
            "AccountName": self.account_name,
            "ToAddress": check_recipient(message.to),
            "FromAlias": self.from_alias,
            "Subject": render_subject(template["subject"], message.payload),
            "HtmlBody": render(template["content"], message.payload, escape_html=True),
            "SignatureNonce": str(uuid.uuid4()),
            "Timestamp": timestamp(self.now()),
        })
        return {**params, "Signature": sign(params, str(self._secret))}


def parse(body: str) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        log.warning("Aliyun Direct Mail answered a body that is not JSON")
        raise SendError("connector.invalid_response", INVALID_RESPONSE, 400) from None


def accepted(answer: Any) -> None:
    """Check a success body is `{EnvId: string, RequestId: string}`."""
    if not (isinstance(answer, dict) and isinstance(answer.get("EnvId"), str)
            and isinstance(answer.get("RequestId"), str)):
        log.warning("Aliyun Direct Mail answered success without EnvId/RequestId")
        raise SendError("connector.invalid_response", INVALID_RESPONSE, 400)


def rejected(status: int, answer: Any) -> SendError:
    """Aliyun's `{Code, Message, RequestId?, HostId?, Recommend?}` as Logto's `connector.general`."""
    if not (isinstance(answer, dict) and isinstance(answer.get("Code"), str)
            and isinstance(answer.get("Message"), str)):
        log.warning("Aliyun Direct Mail answered %s with an unrecognised body", status)
        return SendError("connector.invalid_response", INVALID_RESPONSE, 400, statusCode=status)
    details = {key: answer[key] for key in ERROR_DETAILS if isinstance(answer.get(key), str)}
    log.warning("Aliyun Direct Mail refused the message: %s (RequestId %s)", answer["Code"], details.get("RequestId"))
    return SendError("connector.general", f"Error occurred in connector: {answer['Message']}", 400, **details)

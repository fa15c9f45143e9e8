"""The Direct Mail stub checks requests as Aliyun does, records what it accepts, and obeys its controls."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from idp.mail.aliyun import sign, timestamp
from tests.aliyun import ACCESS_KEY_ID, ACCESS_KEY_SECRET


@pytest.fixture(autouse=True)
def clean(stub):
    stub.reset()
    yield
    stub.reset()


def form(secret: str = ACCESS_KEY_SECRET, *, now: datetime | None = None, drop: str | None = None,
         **overrides: str) -> dict[str, str]:
    """A SingleSendMail form signed by hand, independently of the sender."""
    params = {
        "Action": "SingleSendMail", "Format": "json", "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0",
        "Version": "2015-11-23", "AccessKeyId": ACCESS_KEY_ID, "RegionId": "cn-hangzhou",
        "AccountName": "no-reply@mail.example.test", "ReplyToAddress": "false", "AddressType": "1",
        "ToAddress": "alice@example.test", "Subject": "Your code 123456", "HtmlBody": "<p>123456</p>",
        "SignatureNonce": str(uuid.uuid4()), "Timestamp": timestamp(now or datetime.now(UTC)),
        **overrides,
    }
    if drop:
        del params[drop]
    return {**params, "Signature": sign(params, secret)}


def test_a_correctly_signed_request_is_accepted_and_recorded(stub):
    response = httpx.post(stub.url, data=form())
    assert response.status_code == 200
    assert set(response.json()) == {"EnvId", "RequestId"}
    [message] = stub.messages()
    assert message["to"] == "alice@example.test"
    assert message["subject"] == "Your code 123456"
    assert message["html"] == "<p>123456</p>"
    assert message["envId"] == response.json()["EnvId"]


def test_messages_can_be_filtered_by_recipient(stub):
    httpx.post(stub.url, data=form()).raise_for_status()
    httpx.post(stub.url, data=form(ToAddress="bob@example.test")).raise_for_status()
    assert [m["to"] for m in stub.messages("bob@example.test")] == ["bob@example.test"]
    assert len(stub.messages()) == 2


def refusal(response: httpx.Response) -> tuple[int, str]:
    body = response.json()
    assert {"RequestId", "HostId", "Code", "Message", "Recommend"} <= set(body)
    return response.status_code, body["Code"]


def test_a_wrong_secret_is_signature_does_not_match(stub):
    assert refusal(httpx.post(stub.url, data=form("not-the-secret"))) == (400, "SignatureDoesNotMatch")


def test_a_tampered_parameter_is_signature_does_not_match(stub):
    tampered = {**form(), "ToAddress": "alice@example.test,attacker@evil.test"}
    assert refusal(httpx.post(stub.url, data=tampered)) == (400, "SignatureDoesNotMatch")
    assert stub.messages() == []


def test_an_unknown_access_key_is_not_found(stub):
    assert refusal(httpx.post(stub.url, data=form(AccessKeyId="someone-else"))) == (
        404, "InvalidAccessKeyId.NotFound")


@pytest.mark.parametrize("skew", [timedelta(minutes=16), timedelta(minutes=-16)])
def test_a_timestamp_more_than_15_minutes_off_is_expired(stub, skew):
    stale = form(now=datetime.now(UTC) + skew)
    assert refusal(httpx.post(stub.url, data=stale)) == (400, "InvalidTimeStamp.Expired")


def test_a_timestamp_within_15_minutes_is_accepted(stub):
    assert httpx.post(stub.url, data=form(now=datetime.now(UTC) - timedelta(minutes=14))).status_code == 200


def test_a_malformed_timestamp_is_refused(stub):
    assert refusal(httpx.post(stub.url, data=form(Timestamp="2016-10-20 06:27:56"))) == (
        400, "InvalidTimeStamp.Format")


def test_a_reused_nonce_is_refused(stub):
    first = form()
    assert httpx.post(stub.url, data=first).status_code == 200
    replay = form(SignatureNonce=first["SignatureNonce"])
    assert refusal(httpx.post(stub.url, data=replay)) == (400, "SignatureNonceUsed")
    assert len(stub.messages()) == 1


@pytest.mark.parametrize("name", ["AccountName", "ToAddress", "Subject", "SignatureNonce", "Timestamp"])
def test_a_missing_parameter_is_refused(stub, name):
    assert refusal(httpx.post(stub.url, data=form(drop=name))) == (400, f"Missing{name}")


def test_a_missing_body_is_refused(stub):
    assert refusal(httpx.post(stub.url, data=form(drop="HtmlBody"))) == (400, "MissingHtmlBody")


def test_a_forced_error_is_answered_after_checking_the_request(stub):
    stub.behave(error={"Code": "InvalidToAddress.Spam", "Message": "spam"}, status=403)
    assert refusal(httpx.post(stub.url, data=form())) == (403, "InvalidToAddress.Spam")
    assert refusal(httpx.post(stub.url, data=form("wrong"))) == (400, "SignatureDoesNotMatch")
    assert stub.messages() == []


def test_a_forced_raw_body_and_status(stub):
    stub.behave(body="<html>Bad Gateway</html>", status=502)
    response = httpx.post(stub.url, data=form())
    assert (response.status_code, response.text) == (502, "<html>Bad Gateway</html>")


def test_a_forced_delay(stub):
    stub.behave(delay=0.5)
    started = time.monotonic()
    assert httpx.post(stub.url, data=form()).status_code == 200
    assert time.monotonic() - started >= 0.5


def test_reset_restores_normal_answers(stub):
    stub.behave(status=503)
    assert httpx.post(stub.url, data=form()).status_code == 503
    stub.reset()
    assert httpx.post(stub.url, data=form()).status_code == 200

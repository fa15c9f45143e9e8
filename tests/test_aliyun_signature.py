"""The Aliyun RPC signature (HMAC-SHA1, version 1.0) against the vector in Logto's `utils.test.ts`."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from idp.mail.aliyun import percent_encode, sign, timestamp

# connector-aliyun-dm src/mock.ts + src/utils.test.ts
VECTOR_PARAMS = {
    "AccessKeyId": "testid", "AccountName": "<a%b'>", "Action": "SingleSendMail", "AddressType": "1",
    "Format": "XML", "HtmlBody": "4", "RegionId": "cn-hangzhou", "ReplyToAddress": "true",
    "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0", "Subject": "3", "TagName": "2",
    "ToAddress": "1@test.com", "Version": "2015-11-23", "SignatureNonce": "c1b2c332-4cfb-4a0f-b8cc-ebe622aa0a5c",
    "Timestamp": "2016-10-20T06:27:56Z",
}
VECTOR_SECRET = "testsecret"
VECTOR_SIGNATURE = "llJfXJjBW3OacrVgxxsITgYaYm0="


def test_signature_matches_logtos_vector():
    assert sign(VECTOR_PARAMS, VECTOR_SECRET) == VECTOR_SIGNATURE


def test_signature_does_not_depend_on_parameter_order():
    assert sign(dict(reversed(list(VECTOR_PARAMS.items()))), VECTOR_SECRET) == VECTOR_SIGNATURE


def test_signature_changes_with_any_value_or_the_secret():
    assert sign({**VECTOR_PARAMS, "ToAddress": "2@test.com"}, VECTOR_SECRET) != VECTOR_SIGNATURE
    assert sign(VECTOR_PARAMS, "testsecret2") != VECTOR_SIGNATURE


def test_percent_encoding_is_rfc3986():
    assert percent_encode("A-z0_9.~") == "A-z0_9.~"
    assert percent_encode("!\"'()*+ /&=%") == "%21%22%27%28%29%2A%2B%20%2F%26%3D%25"
    assert percent_encode("é码") == "%C3%A9%E7%A0%81"


def test_timestamp_is_utc_without_fraction():
    moment = datetime(2016, 10, 20, 14, 27, 56, 999000, tzinfo=timezone(timedelta(hours=8)))
    assert timestamp(moment) == "2016-10-20T06:27:56Z"

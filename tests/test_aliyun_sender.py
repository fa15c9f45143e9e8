"""The Aliyun Direct Mail sender: config guard, the exact request, and every error path, against the stub."""

from __future__ import annotations

import logging
import re
import socket
import time
from datetime import UTC, datetime, timedelta

import pytest

from idp import mail
from idp.mail import Message, SenderEnvironment, SendError
from idp.mail.aliyun import AliyunSender, create, validate
from idp.settings import Settings
from tests.aliyun import ACCESS_KEY_SECRET, templates
from tests.trickle import HTTP_OPENING, trickling

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def utc_now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture(autouse=True)
def clean(stub):
    stub.reset()
    yield
    stub.reset()


def sender_for(stub, *, now=utc_now, timeout: float = 10.0, **config) -> AliyunSender:
    return AliyunSender(validate(stub.config(**config)), now=now, timeout=timeout)


def sign_in(to: str = "alice@example.test", code: str = "1234") -> Message:
    return Message(to=to, type="SignIn", payload={"code": code})


def config(**changes) -> dict:
    base = {"accessKeyId": "id", "accessKeySecret": "secret", "accountName": "a@mail.example.test",
            "templates": templates()}
    return {key: value for key, value in {**base, **changes}.items() if value is not None}


# --- config guard ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("changes, message", [
    ({"accessKeyId": None}, "accessKeyId: Required"),
    ({"accessKeySecret": 7}, "accessKeySecret: Expected string"),
    ({"accountName": None}, "accountName: Required"),
    ({"templates": None}, "templates: Expected array"),
    ({"templates": templates()[1:]}, "Template with UsageType (SignIn) should be provided!"),
    ({"regionId": "cn-shanghai"}, ("regionId: Invalid enum value. Expected 'cn-hangzhou' | 'ap-southeast-1' | "
                                   "'ap-southeast-2' | 'eu-central-1' | 'us-east-1', received 'cn-shanghai'")),
    ({"endpoint": "ftp://stub"}, "endpoint: Invalid url"),
    ({"fromAlias": 1}, "fromAlias: Expected string"),
])
def test_invalid_config_is_connector_invalid_config(changes, message):
    with pytest.raises(SendError) as caught:
        validate(config(**changes))
    assert (caught.value.code, caught.value.message, caught.value.status) == ("connector.invalid_config", message, 400)


def test_valid_config_keeps_known_fields_only():
    checked = validate(config(regionId="ap-southeast-1", fromAlias="Example", unknown="dropped"))
    assert checked["regionId"] == "ap-southeast-1" and checked["fromAlias"] == "Example"
    assert "unknown" not in checked


def test_a_non_object_config_is_invalid():
    with pytest.raises(SendError, match="Expected object"):
        validate(["not", "an", "object"])


@pytest.mark.parametrize("region, url", [
    (None, "https://dm.aliyuncs.com/"),
    ("ap-southeast-1", "https://dm.ap-southeast-1.aliyuncs.com/"),
    ("ap-southeast-2", "https://dm.ap-southeast-2.aliyuncs.com/"),
    ("eu-central-1", "https://dm.eu-central-1.aliyuncs.com/"),
    ("us-east-1", "https://dm.us-east-1.aliyuncs.com/"),
])
def test_the_region_chooses_the_url_and_region_id(region, url):
    sender = AliyunSender(validate(config(regionId=region)), now=utc_now)
    assert sender.url == url
    assert sender.signed_form(sign_in())["RegionId"] == (region or "cn-hangzhou")


def test_endpoint_replaces_the_region_url():
    sender = AliyunSender(validate(config(regionId="eu-central-1", endpoint="http://127.0.0.1:9/")), now=utc_now)
    assert sender.url == "http://127.0.0.1:9/"
    assert sender.signed_form(sign_in())["RegionId"] == "eu-central-1"


def test_the_entry_point_builds_the_sender(stub):
    env = SenderEnvironment(settings=Settings(), sessions=None, now=utc_now)
    assert isinstance(mail.factory("aliyun-dm")(stub.config(), env), AliyunSender)
    with pytest.raises(SendError):
        create({"accessKeyId": "only"}, env)


# --- the request -----------------------------------------------------------------------------------------------

def test_the_form_has_exactly_logtos_parameters(stub):
    form = sender_for(stub).signed_form(sign_in())
    assert set(form) == {"Action", "Format", "SignatureMethod", "SignatureVersion", "Version", "AccessKeyId",
                         "RegionId", "AccountName", "ReplyToAddress", "AddressType", "ToAddress", "Subject",
                         "HtmlBody", "SignatureNonce", "Timestamp", "Signature"}
    assert form["Action"] == "SingleSendMail" and form["Format"] == "json" and form["Version"] == "2015-11-23"
    assert form["SignatureMethod"] == "HMAC-SHA1" and form["SignatureVersion"] == "1.0"
    assert form["ReplyToAddress"] == "false" and form["AddressType"] == "1"
    assert form["AccountName"] == "no-reply@mail.example.test" and form["ToAddress"] == "alice@example.test"
    assert form["Subject"] == "Sign-in code 1234"
    assert form["HtmlBody"] == "Your sign-in code is 1234, 1234 is your code"
    assert TIMESTAMP.fullmatch(form["Timestamp"]) and UUID4.fullmatch(form["SignatureNonce"])


def test_from_alias_is_sent_only_when_configured(stub):
    assert sender_for(stub, fromAlias="Example Co").signed_form(sign_in())["FromAlias"] == "Example Co"


def test_timestamp_comes_from_the_environment_clock(stub):
    fixed = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert sender_for(stub, now=lambda: fixed).signed_form(sign_in())["Timestamp"] == "2030-01-02T03:04:05Z"


def test_a_message_is_delivered_and_verified_by_the_stub(stub):
    sender_for(stub).send(sign_in(code="482913"))
    [message] = stub.messages()
    assert message["to"] == "alice@example.test"
    assert message["subject"] == "Sign-in code 482913"
    assert message["html"] == "Your sign-in code is 482913, 482913 is your code"


def test_each_request_has_a_fresh_nonce(stub):
    sender = sender_for(stub)
    for _ in range(3):
        sender.send(sign_in())  # the stub refuses a reused SignatureNonce
    assert len(stub.messages()) == 3


def test_other_types_fall_back_to_the_generic_template(stub):
    sender_for(stub).send(Message(to="alice@example.test", type="OrganizationInvitation", payload={"code": "77"}))
    assert stub.messages()[0]["subject"] == "Your code 77"


def test_payload_values_are_html_escaped_in_the_body(stub):
    custom = templates()
    custom[3]["content"] = "<p>{{code}} for {{application.name}}</p>"
    sender = sender_for(stub, templates=custom)
    sender.send(Message("alice@example.test", "Generic", {"code": "1", "application": {"name": "<b>x</b>"}}))
    assert stub.messages()[0]["html"] == "<p>1 for &lt;b&gt;x&lt;/b&gt;</p>"


@pytest.mark.parametrize("to", ["alice@example.test,attacker@evil.test", "alice@example.test;b@evil.test",
                                "alice@example.test b@evil.test", "alice@example.test\r\nb@evil.test",
                                "Alice <alice@example.test>"])
def test_anything_but_one_recipient_is_refused_before_any_request(stub, to):
    with pytest.raises(SendError) as caught:
        sender_for(stub).send(sign_in(to=to))
    assert caught.value.code == "guard.invalid_input"
    assert stub.messages() == []


# --- errors ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("code, status", [
    ("InvalidToAddress", 400), ("InvalidToAddress.Spam", 400), ("InvalidSendMail.Spam", 400),
    ("InvalidMailAddress.NotFound", 404), ("InvalidMailAddressStatus.Malformed", 400), ("Throttling.User", 400),
    ("ServiceUnavailable", 503),
])
def test_an_aliyun_error_body_is_connector_general(stub, code, status):
    stub.behave(error={"Code": code, "Message": f"The {code} message."}, status=status)
    with pytest.raises(SendError) as caught:
        sender_for(stub).send(sign_in())
    error = caught.value
    assert (error.code, error.status) == ("connector.general", 400)
    assert error.message == f"Error occurred in connector: The {code} message."
    assert error.data["Code"] == code and error.data["RequestId"] and error.data["HostId"] == "dm.aliyuncs.com"


def test_a_wrong_secret_surfaces_signature_does_not_match(stub):
    with pytest.raises(SendError) as caught:
        sender_for(stub, accessKeySecret="not-the-secret").send(sign_in())
    assert caught.value.data["Code"] == "SignatureDoesNotMatch"
    assert caught.value.message == (
        "Error occurred in connector: Specified signature is not matched with our calculation.")


def test_an_unknown_access_key_surfaces_not_found(stub):
    with pytest.raises(SendError) as caught:
        sender_for(stub, accessKeyId="unknown").send(sign_in())
    assert caught.value.data["Code"] == "InvalidAccessKeyId.NotFound"


def test_a_clock_off_by_20_minutes_surfaces_expired_timestamp(stub):
    with pytest.raises(SendError) as caught:
        sender_for(stub, now=lambda: utc_now() - timedelta(minutes=20)).send(sign_in())
    assert caught.value.data["Code"] == "InvalidTimeStamp.Expired"


@pytest.mark.parametrize("behaviour", [
    {"body": "<html>oops</html>", "status": 200},
    {"body": "<html>Service Unavailable</html>", "status": 503},
    {"body": "{\"Code\": 5}", "status": 400},
    {"status": 200},  # JSON without EnvId
    {"status": 500},  # JSON without Code/Message
])
def test_an_unexpected_body_is_invalid_response(stub, behaviour):
    stub.behave(**behaviour)
    with pytest.raises(SendError) as caught:
        sender_for(stub).send(sign_in())
    assert (caught.value.code, caught.value.status) == ("connector.invalid_response", 400)


def test_a_slow_service_times_out_within_the_bound_and_is_not_retried(stub):
    stub.behave(delay=1)
    started = time.monotonic()
    with pytest.raises(SendError) as caught:
        sender_for(stub, timeout=0.3).send(sign_in())
    assert time.monotonic() - started < 0.9
    assert caught.value.code == "connector.general"
    assert "timed out" in caught.value.message
    # The one request lands when the stub's delay is over; a retry would add a second message.
    time.sleep(max(0.0, started + 1.3 - time.monotonic()))
    assert len(stub.messages()) <= 1


def test_a_trickled_answer_ends_at_the_deadline(stub):
    with trickling(HTTP_OPENING) as port:
        started = time.monotonic()
        with pytest.raises(SendError) as caught:
            sender_for(stub, timeout=0.5, endpoint=f"http://127.0.0.1:{port}/").send(sign_in())
    assert time.monotonic() - started < 1.2
    assert (caught.value.code, caught.value.message) == (
        "connector.general", "Error occurred in connector: Aliyun Direct Mail timed out after 0.5 s")


def test_the_default_timeout_is_at_most_ten_seconds(stub):
    assert sender_for(stub).timeout == AliyunSender(validate(config()), now=utc_now).timeout <= 10


def test_an_unreachable_service_is_connector_general(stub):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}/"
    with pytest.raises(SendError) as caught:
        sender_for(stub, endpoint=url).send(sign_in())
    assert caught.value.code == "connector.general"
    assert "unreachable" in caught.value.message


# --- the secret ------------------------------------------------------------------------------------------------

def everything_said(error: SendError, caplog) -> str:
    return " ".join([str(error), repr(error), error.message, repr(error.data), repr(error.args), caplog.text])


@pytest.mark.parametrize("behaviour", [
    {"error": {"Code": "InvalidToAddress", "Message": "bad address"}},
    {"error": {"Code": "Echo", "Message": f"you sent {ACCESS_KEY_SECRET}"}},
    {"body": f"secret={ACCESS_KEY_SECRET}", "status": 500},
    {"status": 200},
    {"delay": 1},
])
def test_the_secret_never_appears_in_errors_or_logs(stub, caplog, behaviour):
    caplog.set_level(logging.DEBUG)
    stub.behave(**behaviour)
    sender = sender_for(stub, timeout=0.3)
    with pytest.raises(SendError) as caught:
        sender.send(sign_in(code="918273"))
    said = everything_said(caught.value, caplog)
    assert ACCESS_KEY_SECRET not in said
    assert "918273" not in said  # nor the code
    assert ACCESS_KEY_SECRET not in repr(sender) + repr(vars(sender)) + str(vars(sender))


def test_the_secret_is_not_logged_on_success(stub, caplog):
    caplog.set_level(logging.DEBUG)
    sender_for(stub).send(sign_in(code="564738"))
    assert ACCESS_KEY_SECRET not in caplog.text and "564738" not in caplog.text

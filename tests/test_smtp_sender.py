"""The SMTP sender against a real local SMTP server (aiosmtpd), in each security mode."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import logging
import socket
import ssl
import time
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from idp import mail
from idp.mail import Message, SenderEnvironment, SendError
from idp.mail.smtp import SmtpSender, validate
from idp.settings import Settings
from tests.aliyun import templates
from tests.server import free_port
from tests.trickle import SMTP_OPENING, trickling

USERNAME = "mailer"
PASSWORD = "smtp-pass-5d1e8a"


class Inbox:
    """An aiosmtpd handler that keeps each message, or refuses every recipient."""

    def __init__(self) -> None:
        self.envelopes: list = []
        self.refuse_recipients = False
        self.data_delay = 0.0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse_recipients:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.data_delay)
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
    valid = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USERNAME.encode(), PASSWORD.encode())
    return AuthResult(success=valid, handled=False)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1: (cert file, key file)."""
    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    return str(folder / "cert.pem"), str(folder / "key.pem")


def server_context(certificate) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


@pytest.fixture
def smtp_server(request):
    """Start an SMTP server; `smtp_server(**aiosmtpd options)` returns (inbox, port)."""
    controllers = []

    def start(**options):
        inbox, port = Inbox(), free_port()
        controller = Controller(inbox, hostname="127.0.0.1", port=port, **options)
        controller.start()
        controllers.append(controller)
        return inbox, port

    yield start
    for controller in controllers:
        controller.stop()


def smtp_config(port: int = 25, **changes) -> dict:
    base = {"host": "127.0.0.1", "port": port, "security": "none", "fromEmail": "no-reply@example.test",
            "templates": templates()}
    return {key: value for key, value in {**base, **changes}.items() if value is not None}


def sender(port: int, *, timeout: float = 10.0, **changes) -> SmtpSender:
    return SmtpSender(validate(smtp_config(port, **changes)), timeout=timeout)


def sign_in(to: str = "alice@example.test", code: str = "246810") -> Message:
    return Message(to=to, type="SignIn", payload={"code": code})


def parsed(envelope):
    return message_from_bytes(envelope.content, policy=policy.default)


def test_one_html_message_goes_to_exactly_one_recipient(smtp_server):
    inbox, port = smtp_server()
    sender(port).send(sign_in())
    [envelope] = inbox.envelopes
    assert envelope.mail_from == "no-reply@example.test"
    assert envelope.rcpt_tos == ["alice@example.test"]
    email = parsed(envelope)
    assert (email["From"], email["To"], email["Subject"]) == (
        "no-reply@example.test", "alice@example.test", "Sign-in code 246810")
    assert email.get_content_type() == "text/html"
    assert email.get_content().strip() == "Your sign-in code is 246810, 246810 is your code"


def test_other_types_use_the_generic_template(smtp_server):
    inbox, port = smtp_server()
    sender(port).send(Message("alice@example.test", "BindMfa", {"code": "13"}))
    assert parsed(inbox.envelopes[0])["Subject"] == "Your code 13"


def test_a_subject_value_cannot_add_headers(smtp_server):
    inbox, port = smtp_server()
    sender(port).send(sign_in(code="1\r\nBcc: attacker@evil.test"))
    [envelope] = inbox.envelopes
    assert envelope.rcpt_tos == ["alice@example.test"]
    assert parsed(envelope)["Bcc"] is None


@pytest.mark.parametrize("to", ["alice@example.test,attacker@evil.test", "alice@example.test\r\nRCPT TO:<x@evil.test>",
                                "Alice <alice@example.test>"])
def test_anything_but_one_recipient_is_refused_before_connecting(smtp_server, to):
    inbox, port = smtp_server()
    with pytest.raises(SendError) as caught:
        sender(port).send(sign_in(to=to))
    assert caught.value.code == "guard.invalid_input"
    assert inbox.envelopes == []


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_login_with_the_right_password(smtp_server):
    inbox, port = smtp_server(authenticator=authenticate, auth_require_tls=False, auth_required=True)
    sender(port, username=USERNAME, password=PASSWORD).send(sign_in())
    assert len(inbox.envelopes) == 1


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_a_wrong_password_is_connector_general_without_the_password(smtp_server, caplog):
    caplog.set_level(logging.DEBUG)
    inbox, port = smtp_server(authenticator=authenticate, auth_require_tls=False, auth_required=True)
    wrong = "wrong-pass-77c1"
    failing = sender(port, username=USERNAME, password=wrong)
    with pytest.raises(SendError) as caught:
        failing.send(sign_in(code="112233"))
    error = caught.value
    assert (error.code, error.status) == ("connector.general", 400)
    assert error.message.startswith("Error occurred in connector: the SMTP server answered 535")
    said = " ".join([str(error), repr(error), repr(error.data), caplog.text, repr(failing), repr(vars(failing))])
    assert wrong not in said and "112233" not in said
    assert inbox.envelopes == []


def test_starttls_to_a_server_without_it_fails_clearly(smtp_server):
    _, port = smtp_server()
    with pytest.raises(SendError) as caught:
        sender(port, security="starttls").send(sign_in())
    assert caught.value.message == "Error occurred in connector: the SMTP server does not support STARTTLS"


def test_starttls_with_a_trusted_certificate(smtp_server, certificate, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", certificate[0])
    inbox, port = smtp_server(tls_context=server_context(certificate), require_starttls=True,
                              authenticator=authenticate, auth_required=True)
    sender(port, security="starttls", username=USERNAME, password=PASSWORD).send(sign_in())
    assert len(inbox.envelopes) == 1


def test_implicit_tls_with_a_trusted_certificate(smtp_server, certificate, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", certificate[0])
    inbox, port = smtp_server(ssl_context=server_context(certificate))
    sender(port, security="tls").send(sign_in())
    assert len(inbox.envelopes) == 1


def test_an_untrusted_certificate_is_refused(smtp_server, certificate):
    inbox, port = smtp_server(ssl_context=server_context(certificate))
    with pytest.raises(SendError) as caught:
        sender(port, security="tls").send(sign_in())
    assert caught.value.message.startswith("Error occurred in connector: TLS with the SMTP server failed")
    assert inbox.envelopes == []


def test_a_refused_recipient_is_connector_general(smtp_server):
    inbox, port = smtp_server()
    inbox.refuse_recipients = True
    with pytest.raises(SendError) as caught:
        sender(port).send(sign_in())
    assert caught.value.message == "Error occurred in connector: the SMTP server refused the recipient"


def test_a_silent_server_times_out_within_the_bound():
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        started = time.monotonic()
        with pytest.raises(SendError) as caught:
            sender(silent.getsockname()[1], timeout=0.5).send(sign_in())
    assert time.monotonic() - started < 1.5
    assert caught.value.message == "Error occurred in connector: the SMTP server timed out"


def test_the_whole_conversation_shares_one_deadline(smtp_server):
    inbox, port = smtp_server()
    inbox.data_delay = 0.4
    slow_steps = sender(port, timeout=0.6)
    slow_steps.send(sign_in())  # 0.4 s at DATA fits
    inbox.data_delay = 2.0
    started = time.monotonic()
    with pytest.raises(SendError) as caught:
        slow_steps.send(sign_in())
    assert time.monotonic() - started < 1.2
    assert caught.value.message == "Error occurred in connector: the SMTP server timed out"


def test_an_unreachable_server_is_connector_general():
    with pytest.raises(SendError) as caught:
        sender(free_port()).send(sign_in())
    assert caught.value.message == (
        "Error occurred in connector: the SMTP server is unreachable (ConnectionRefusedError)")


def test_the_default_timeout_is_at_most_ten_seconds():
    assert sender(25).timeout <= 10


@pytest.mark.parametrize("changes, message", [
    ({"host": None}, "host: Required"),
    ({"port": "25"}, "port: Expected an integer between 1 and 65535"),
    ({"port": 70000}, "port: Expected an integer between 1 and 65535"),
    ({"security": "ssl"}, "security: Invalid enum value. Expected 'none' | 'starttls' | 'tls', received 'ssl'"),
    ({"username": "u"}, "username and password: Provide both or neither"),
    ({"fromEmail": "a@b.test, c@d.test"}, "fromEmail: Invalid email"),
    ({"fromEmail": None}, "fromEmail: Required"),
    ({"templates": templates()[:3]}, "Template with UsageType (Generic) should be provided!"),
])
def test_invalid_config_is_connector_invalid_config(changes, message):
    with pytest.raises(SendError) as caught:
        validate(smtp_config(**changes))
    assert (caught.value.code, caught.value.message) == ("connector.invalid_config", message)


def test_security_defaults_to_starttls_and_the_entry_point_builds_the_sender():
    config = smtp_config(587, security=None)
    assert validate(config)["security"] == "starttls"
    env = SenderEnvironment(settings=Settings(), sessions=None, now=lambda: dt.datetime.now(dt.UTC))
    assert isinstance(mail.factory("smtp")(config, env), SmtpSender)


def test_a_trickled_greeting_ends_at_the_deadline():
    with trickling(SMTP_OPENING) as port:
        started = time.monotonic()
        with pytest.raises(SendError) as caught:
            sender(port, timeout=0.5).send(sign_in())
    assert time.monotonic() - started < 1.2
    assert caught.value.message == "Error occurred in connector: the SMTP server timed out"

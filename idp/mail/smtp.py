"""SMTP delivery with smtplib: one HTML message to one recipient per connection.

Config: `host`, `port`, `security` (`none` | `starttls` | `tls`, default `starttls`), optional
`username` + `password`, `fromEmail`, and `templates` as Logto's (the four required usage types).
"""

from __future__ import annotations

import logging
import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, Callable

from starlette.datastructures import Secret

from idp.mail import Message, SendError, SenderEnvironment, scrub
from idp.mail.connectors import choice_field, invalid_config, require_object, string_field, without_none
from idp.mail.deadline import Deadline
from idp.mail.http import TIMEOUT_SECONDS
from idp.mail.templates import check_recipient, check_templates, choose, render, render_subject

log = logging.getLogger(__name__)
SECURITY_MODES = ("none", "starttls", "tls")


def validate(config: Any) -> dict[str, Any]:
    config = require_object(config)
    port = config.get("port")
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise invalid_config("port: Expected an integer between 1 and 65535")
    username = string_field(config, "username", required=False)
    password = string_field(config, "password", required=False)
    if (username is None) != (password is None):
        raise invalid_config("username and password: Provide both or neither")
    from_email = string_field(config, "fromEmail")
    check_from_email(from_email)
    return without_none({
        "host": string_field(config, "host"), "port": port,
        "security": choice_field(config, "security", SECURITY_MODES, "starttls"),
        "username": username, "password": password, "fromEmail": from_email,
        "templates": check_templates(config.get("templates")),
    })


def check_from_email(value: Any) -> None:
    try:
        check_recipient(value)
    except SendError:
        raise invalid_config("fromEmail: Invalid email") from None


def create(config: dict[str, Any], env: SenderEnvironment) -> SmtpSender:
    return SmtpSender(validate(config))


class SmtpSender:
    """Opens a connection per message; the whole conversation, connecting included, shares one `Deadline`."""

    def __init__(self, config: dict[str, Any], *, timeout: float = TIMEOUT_SECONDS) -> None:
        self.host, self.port, self.security = config["host"], config["port"], config["security"]
        self.username = config.get("username")
        self._password = Secret(config["password"]) if "password" in config else None
        self.from_email = config["fromEmail"]
        self.templates = config["templates"]
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"SmtpSender(host={self.host!r}, port={self.port!r}, security={self.security!r})"

    def send(self, message: Message) -> None:
        email = self.compose(message)
        with Deadline(self.timeout) as deadline:
            try:
                self.deliver(email, message.to, deadline)
            except smtplib.SMTPResponseException as error:
                reply = scrub(error.smtp_error.decode("utf-8", "replace"), self.password, message.payload.get("code"))
                reply = reply[:200]
                raise self.failure(f"the SMTP server answered {error.smtp_code} {reply}") from None
            except smtplib.SMTPRecipientsRefused:
                raise self.failure("the SMTP server refused the recipient") from None
            except OSError as error:  # smtplib, ssl and socket errors, timeouts included
                raise self.failure(describe(error, deadline.expired)) from None

    @property
    def password(self) -> str | None:
        return None if self._password is None else str(self._password)

    def compose(self, message: Message) -> EmailMessage:
        template = choose(self.templates, message.type)
        email = EmailMessage()
        email["From"] = self.from_email
        email["To"] = check_recipient(message.to)
        email["Subject"] = render_subject(template["subject"], message.payload)
        email["Date"] = formatdate(localtime=False)
        email["Message-ID"] = make_msgid(domain=self.from_email.rsplit("@", 1)[1])
        email.set_content(render(template["content"], message.payload, escape_html=True), subtype="html")
        return email

    def deliver(self, email: EmailMessage, recipient: str, deadline: Deadline) -> None:
        context = ssl.create_default_context()
        tls = context if self.security == "tls" else None
        with WatchedSMTP(self.host, self.port, deadline, tls) as client:
            for step in self.conversation(client, email, recipient, context):
                step()

    def conversation(self, client: smtplib.SMTP, email: EmailMessage, recipient: str,
                     context: ssl.SSLContext) -> list[Callable[[], Any]]:
        steps: list[Callable[[], Any]] = [client.ehlo]
        if self.security == "starttls":
            steps += [lambda: client.starttls(context=context), client.ehlo]
        if self.username is not None:
            steps.append(lambda: client.login(self.username or "", self.password or ""))
        steps.append(lambda: client.send_message(email, self.from_email, [recipient]))
        return steps

    def failure(self, reason: str) -> SendError:
        log.warning("SMTP delivery through %s:%s failed: %s", self.host, self.port, reason)
        return SendError("connector.general", f"Error occurred in connector: {reason}", 400)


class WatchedSMTP(smtplib.SMTP):
    """smtplib's client whose connection `deadline` watches from the moment it is open; with a
    `tls` context, the connection starts with TLS (implicit TLS, as `smtplib.SMTP_SSL`)."""

    def __init__(self, host: str, port: int, deadline: Deadline, tls: ssl.SSLContext | None = None) -> None:
        self.deadline, self.tls = deadline, tls
        super().__init__(host, port, timeout=deadline.remaining())

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        sock = super()._get_socket(host, port, timeout)
        self.deadline.watch(sock)
        return sock if self.tls is None else self.tls.wrap_socket(sock, server_hostname=host)


def describe(error: BaseException, expired: bool) -> str:
    # smtplib reports a reply that timed out as SMTPServerDisconnected("...: timed out").
    if expired or isinstance(error, TimeoutError) or "timed out" in str(error):
        return "the SMTP server timed out"
    if isinstance(error, ssl.SSLError):
        return f"TLS with the SMTP server failed ({error.reason or type(error).__name__})"
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return "the SMTP server does not support STARTTLS"
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return "the SMTP server closed the connection"
    if isinstance(error, smtplib.SMTPException):
        return f"SMTP failed ({type(error).__name__})"
    return f"the SMTP server is unreachable ({type(error).__name__})"

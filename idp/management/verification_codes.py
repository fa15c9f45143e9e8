"""`/api/verification-codes`: Logto's `Generic` email codes, outside any sign-in interaction.

A code is created in one transaction and delivered after the commit (see
`idp.web.management.request_code`); when delivery fails the code is withdrawn. Codes, send
limits, try counting and lockout are those of the Experience API (`idp.experience.codes`).
"""

from __future__ import annotations

from dataclasses import dataclass

from idp import identifiers
from idp.errors import RequestError, invalid_input
from idp.experience import codes
from idp.mail import Message
from idp.management import fields
from idp.management.call import Call
from idp.services import Context
from idp.store import codes as stored_codes

TYPE = "Generic"
MAX_CODE = 64


@dataclass(frozen=True)
class CodeToSend:
    code_id: str
    message: Message


def request_code(ctx: Context, call: Call) -> CodeToSend:
    email = recipient(call)
    key = identifiers.email_key(email)
    codes.check_send_rate(ctx, key)
    code = codes.new_code()
    row = stored_codes.replace(ctx.db, interaction_id=None, email_key=key, type=TYPE,
                               code_hash=codes.code_hash(ctx, None, key, TYPE, code), now=ctx.now,
                               ttl=ctx.settings.verification_code_ttl)
    return CodeToSend(row.id, Message(to=email, type=TYPE, payload={"code": code}))


def withdraw(ctx: Context, code_id: str) -> None:
    stored_codes.discard(ctx.db, code_id)


def verify_code(ctx: Context, call: Call) -> None:
    email = recipient(call)
    code = fields.text(call.body, "verificationCode", required=True, max_length=MAX_CODE)
    key = identifiers.email_key(email)
    row = stored_codes.latest_for_email(ctx.db, key, TYPE)
    if row is None:
        raise RequestError("verification_code.not_found",
                           "Verification code not found. Please send verification code first.")
    codes.check_code(ctx, None, key, row.id, code)


def recipient(call: Call) -> str:
    if "email" not in call.body:
        raise invalid_input("email is required (idp sends codes by email only).")
    return identifiers.email(call.body["email"])

"""Email verification codes inside an interaction: request one, verify it.

Logto's values (6 digits, 600 s, 10 tries, its error codes) with stronger storage: only a keyed
hash of the code is kept, bound to the interaction, the address and the purpose. A code for an
unknown address is created but never delivered when delivery would reveal that the address is
unknown (ForgotPassword, or SignIn while registration is closed); the answer is the same.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from idp import devtools, identifiers, security
from idp.errors import RequestError
from idp.experience import config, flow, sentinel
from idp.mail import Message
from idp.models import Interaction
from idp.services import Context
from idp.store import codes, configs, limits, users


@dataclass
class CodeRequest:
    verification_id: str
    code_id: str
    message: Message | None  # None: created but deliberately not delivered
    # True where an unknown address is never sent anything: a failed delivery must then look the same.
    conceal_failure: bool = False


def code_hash(ctx: Context, interaction_id: str | None, email_key: str, type: str, code: str) -> str:
    return security.keyed_hash(configs.secret(ctx.db, "codes"), f"{interaction_id}:{email_key}:{type}:{code}")


def new_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def check_send_rate(ctx: Context, email_key: str) -> None:
    """At most N messages per recipient per window (Logto: 10 per 600 s), shared by all workers."""
    if not limits.take(ctx.db, "message", limits.key("message", email_key), ctx.now,
                       ctx.settings.message_rate_window, ctx.settings.message_rate_limit):
        raise RequestError("request.message_rate_limited", "Too many messages were sent. Try again later.", 429)


def request_code(ctx: Context, interaction: Interaction, identifier: Any, event: Any) -> CodeRequest:
    """`POST /api/experience/verification/verification-code`."""
    flow.require_event(interaction)
    flow.check_event(event)
    email = flow.check_identifier(identifier, ("email",))
    document = config.load(ctx.db)
    if event == "SignIn":
        config.require_sign_in_method(document, "email", "verificationCode")
    user = users.by_email(ctx.db, email.key)
    check_send_rate(ctx, email.key)
    code = devtools.fixed_code_for(ctx, email.key) or new_code()
    row = codes.replace(ctx.db, interaction_id=interaction.id, email_key=email.key, type=event,
                        code_hash=code_hash(ctx, interaction.id, email.key, event, code), now=ctx.now,
                        ttl=ctx.settings.verification_code_ttl)
    verification_id = flow.add_verification(interaction, {
        "type": "EmailVerificationCode", "identifier": {"type": "email", "value": email.value},
        "codeId": row.id, "event": event, "verified": False,
    })
    private = event == "ForgotPassword" or (event == "SignIn" and not config.registration_open(document))
    to = user.primary_email if user is not None and user.primary_email else email.value
    payload = {"code": code, **locale(interaction)}
    message = None if private and user is None else Message(to=to, type=event, payload=payload)
    return CodeRequest(verification_id, row.id, message, conceal_failure=private)


def locale(interaction: Interaction) -> dict[str, str]:
    value = (interaction.params or {}).get("ui_locales", "").split()
    return {"locale": value[0]} if value else {}


def withdraw(ctx: Context, interaction: Interaction, request: CodeRequest) -> None:
    """Undo a code request whose message could not be sent: nothing stays usable."""
    codes.discard(ctx.db, request.code_id)
    flow.remove_verification(interaction, request.verification_id)


def spoil(ctx: Context, interaction: Interaction, request: CodeRequest) -> None:
    """Undo a code request whose message could not be sent, leaving the verification as one for an
    address that is never sent anything: its code becomes a new one that nobody was sent."""
    record = flow.verification(interaction, request.verification_id)
    key = identifiers.email_key(record["identifier"]["value"])
    event, code = record["event"], new_code()
    row = codes.replace(ctx.db, interaction_id=interaction.id, email_key=key, type=event,
                        code_hash=code_hash(ctx, interaction.id, key, event, code), now=ctx.now,
                        ttl=ctx.settings.verification_code_ttl)
    flow.update_verification(interaction, request.verification_id, codeId=row.id)


def verify_code(ctx: Context, interaction: Interaction, identifier: Any, verification_id: Any, code: Any) -> str:
    """`POST /api/experience/verification/verification-code/verify`."""
    record = flow.verification(interaction, verification_id)
    if record["type"] != "EmailVerificationCode":
        raise RequestError("session.verification_session_not_found", "The verification record was not found.", 404)
    email = flow.check_identifier(identifier, ("email",))
    if email.key != identifiers.email_key(record["identifier"]["value"]):
        raise RequestError("verification_code.email_mismatch", "Email mismatch. Please request a new verification code.")
    if not isinstance(code, str) or not code:
        raise RequestError("guard.invalid_input", "code is required.")
    check_code(ctx, interaction.id, email.key, record["codeId"], code)
    user = users.by_email(ctx.db, email.key)
    flow.update_verification(interaction, verification_id, verified=True, userId=user.id if user else None)
    return verification_id


def check_code(ctx: Context, interaction_id: str | None, email_key: str, code_id: str, code: str) -> None:
    """Logto's order of answers. The try is counted before the code is compared, in one statement,
    so that parallel tries never compare more codes than allowed; a right code past the last try
    is answered exactly like a wrong one. Failures are kept although the request fails."""
    sentinel.guard(ctx, email_key)
    max_tries = ctx.settings.verification_code_max_tries
    counted = codes.count_try(ctx.db, code_id, ctx.now, max_tries)
    row = codes.get(ctx.db, code_id)
    if row is None or row.consumed_at is not None:
        raise RequestError("verification_code.not_found",
                           "Verification code not found. Please send verification code first.")
    if row.expires_at <= ctx.now:
        raise RequestError("verification_code.expired",
                           "Verification code has expired. Please request a new verification code.")
    if not counted:
        sentinel.record_failure(ctx, email_key)
        raise RequestError("verification_code.exceed_max_try", "Verification code retries limitation exceeded. "
                           "Please request a new verification code.", keep_changes=True)
    if not security.same(code_hash(ctx, interaction_id, row.email_key, row.type, code), row.code_hash):
        sentinel.record_failure(ctx, email_key)
        raise RequestError("verification_code.code_mismatch", "Invalid verification code.", keep_changes=True)
    if not codes.consume(ctx.db, row.id, ctx.now):
        raise RequestError("verification_code.not_found",
                           "Verification code not found. Please send verification code first.")

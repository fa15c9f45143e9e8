"""Email verification codes inside an interaction: request one, verify it.

Logto's values (6 digits, 600 s, 10 tries, its error codes) with stronger storage: only a keyed
hash of the code is kept, bound to the interaction, the address and the purpose. A code for an
unknown address is created but never delivered when delivery would reveal that the address is
unknown (ForgotPassword, or SignIn while registration is closed); the answer is the same.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from idp import devtools, security
from idp.errors import RequestError
from idp.experience import config, flow
from idp.mail import Message
from idp.models import Interaction
from idp.services import Context
from idp.store import codes, configs, limits, users

EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)


@dataclass
class CodeRequest:
    verification_id: str
    code_id: str
    message: Message | None  # None: created but deliberately not delivered
    # True where an unknown address is never sent anything: a failed delivery must then look the same.
    conceal_failure: bool = False


def check_email(value: Any) -> str:
    """Exactly one plain address: no lists, display names, whitespace or header tricks."""
    if not isinstance(value, str) or len(value) > 256 or not EMAIL.fullmatch(value):
        raise RequestError("guard.invalid_input", "The email address is invalid.", 400)
    return value


def code_hash(ctx: Context, interaction_id: str | None, email_key: str, type: str, code: str) -> str:
    return security.keyed_hash(configs.secret(ctx.db, "codes"), f"{interaction_id}:{email_key}:{type}:{code}")


def new_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def check_send_rate(ctx: Context, email: str) -> None:
    """At most N messages per recipient per window (Logto: 10 per 600 s), shared by all workers."""
    key = limits.key("message", email)
    window = ctx.settings.message_rate_window
    if limits.count(ctx.db, "message", key, ctx.now, window) >= ctx.settings.message_rate_limit:
        raise RequestError("request.message_rate_limited", "Too many messages were sent. Try again later.", 429)
    limits.record(ctx.db, "message", key, ctx.now)


def request_code(ctx: Context, interaction: Interaction, identifier: Any, event: Any) -> CodeRequest:
    """`POST /api/experience/verification/verification-code`."""
    flow.require_event(interaction)
    flow.check_event(event)
    kind, value = flow.check_identifier(identifier, ("email",))
    email = check_email(value)
    document = config.load(ctx.db)
    if event == "SignIn":
        config.require_sign_in_method(document, "email", "verificationCode")
    user = users.by_email(ctx.db, email)
    check_send_rate(ctx, email)
    code = devtools.fixed_code_for(ctx, email) or new_code()
    key = users.email_key(email)
    row = codes.replace(ctx.db, interaction_id=interaction.id, email_key=key, type=event,
                        code_hash=code_hash(ctx, interaction.id, key, event, code), now=ctx.now,
                        ttl=ctx.settings.verification_code_ttl)
    verification_id = flow.add_verification(interaction, {
        "type": "EmailVerificationCode", "identifier": {"type": "email", "value": email},
        "codeId": row.id, "event": event, "verified": False,
    })
    private = event == "ForgotPassword" or (event == "SignIn" and not config.registration_open(document))
    to = user.primary_email if user is not None and user.primary_email else email
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
    key = users.email_key(record["identifier"]["value"])
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
    kind, value = flow.check_identifier(identifier, ("email",))
    if users.email_key(value) != users.email_key(record["identifier"]["value"]):
        raise RequestError("verification_code.email_mismatch", "Email mismatch. Please request a new verification code.")
    if not isinstance(code, str) or not code:
        raise RequestError("guard.invalid_input", "code is required.")
    check_code(ctx, interaction.id, record, code)
    user = users.by_email(ctx.db, record["identifier"]["value"])
    flow.update_verification(interaction, verification_id, verified=True, userId=user.id if user else None)
    return verification_id


def check_code(ctx: Context, interaction_id: str | None, record: dict[str, Any], code: str) -> None:
    """Logto's order of checks; every failure is counted before it is answered."""
    email_key = users.email_key(record["identifier"]["value"])
    guard_lockout(ctx, email_key)
    row = codes.get(ctx.db, record["codeId"])
    if row is None or row.consumed_at is not None:
        raise RequestError("verification_code.not_found",
                           "Verification code not found. Please send verification code first.")
    if row.expires_at <= ctx.now:
        raise RequestError("verification_code.expired",
                           "Verification code has expired. Please request a new verification code.")
    max_tries = ctx.settings.verification_code_max_tries
    expected = code_hash(ctx, interaction_id, row.email_key, row.type, code)
    tries = row.try_count
    if tries >= max_tries or not security.same(expected, row.code_hash):
        codes.count_try(ctx.db, row.id)
        record_failure(ctx, email_key)
        if tries >= max_tries:
            raise RequestError("verification_code.exceed_max_try", "Verification code retries limitation exceeded. "
                               "Please request a new verification code.", keep_changes=True)
        raise RequestError("verification_code.code_mismatch", "Invalid verification code.", keep_changes=True)
    if not codes.consume(ctx.db, row.id, ctx.now, max_tries):
        raise RequestError("verification_code.not_found",
                           "Verification code not found. Please send verification code first.")


def guard_lockout(ctx: Context, identifier_key: str) -> None:
    if limits.locked_until(ctx.db, limits.key("verify", identifier_key), ctx.now):
        raise RequestError("session.verification_blocked_too_many_attempts",
                           "Too many attempts. Please try again later.", 400)


def record_failure(ctx: Context, identifier_key: str) -> None:
    """Failed passwords and codes share one budget per identifier (Logto's sentinel)."""
    key = limits.key("verify", identifier_key)
    limits.record(ctx.db, "verify", key, ctx.now)
    if limits.count(ctx.db, "verify", key, ctx.now, ctx.settings.verify_failure_window) >= ctx.settings.verify_failure_limit:
        limits.lock(ctx.db, key, ctx.now + timedelta(seconds=ctx.settings.lockout_seconds))

"""The interaction state machine: choose an event, verify, identify, submit.

State lives in the interaction row (JSON), so any worker can serve the next step:

    {"event": "SignIn", "verifications": {id: record}, "userId": ..., "profile": {...}}

A verification record says what was proven (a password, later an email code) about which
identifier; identification turns a record into the interaction's user; submit finishes.
"""

from __future__ import annotations

import copy
import secrets
from typing import Any

from idp import identifiers, security
from idp.errors import RequestError
from idp.experience import config, passwords, sentinel
from idp.identifiers import Identifier
from idp.models import Interaction, User
from idp.services import Context
from idp.store import grants, sessions, users
from idp.store import interactions as store

EVENTS = ("SignIn", "Register", "ForgotPassword")


def state(interaction: Interaction) -> dict[str, Any]:
    return copy.deepcopy(interaction.state or {})


def start(ctx: Context, interaction: Interaction, event: str) -> None:
    """`PUT /api/experience`: begin (or restart) with an event; earlier state is dropped."""
    check_event(event)
    config.require_event_allowed(config.load(ctx.db), event)
    store.save_state(interaction, {"event": event, "verifications": {}})


def set_event(ctx: Context, interaction: Interaction, event: str) -> None:
    """`PUT /api/experience/interaction-event`: SignIn and Register switch freely, but nothing
    switches to or from ForgotPassword, so that a code verified for one purpose never serves the
    other (Logto's rule). A change drops the pending profile, as in Logto."""
    check_event(event)
    config.require_event_allowed(config.load(ctx.db), event)
    current = state(interaction)
    if (event == "ForgotPassword") != (current.get("event") == "ForgotPassword"):
        raise RequestError("session.not_supported_for_forgot_password",
                           "The event cannot change to or from ForgotPassword. Start a new interaction.", 400)
    if current.get("event") != event:
        current.pop("profile", None)
    current["event"] = event
    store.save_state(interaction, current)


def check_event(event: Any) -> None:
    if event not in EVENTS:
        raise RequestError("guard.invalid_input", f"interactionEvent must be one of {', '.join(EVENTS)}.")


def require_event(interaction: Interaction) -> str:
    event = state(interaction).get("event")
    if event is None:
        raise RequestError("session.interaction_not_found", "Interaction not found. Please start a new sign-in.", 404)
    return event


def add_verification(interaction: Interaction, record: dict[str, Any]) -> str:
    current = state(interaction)
    verification_id = secrets.token_urlsafe(12)
    current.setdefault("verifications", {})[verification_id] = {"id": verification_id, **record}
    store.save_state(interaction, current)
    return verification_id


def verification(interaction: Interaction, verification_id: Any) -> dict[str, Any]:
    record = state(interaction).get("verifications", {}).get(verification_id) if isinstance(verification_id, str) else None
    if record is None:
        raise RequestError("session.verification_session_not_found",
                           "The verification session was not found. Please restart the flow.", 404)
    return record


def verify_password(ctx: Context, interaction: Interaction, identifier: dict[str, Any], password: Any) -> str:
    """`POST /api/experience/verification/password`: unknown users cost the same as wrong passwords."""
    require_event(interaction)
    given = check_identifier(identifier, ("email", "username"))
    if not isinstance(password, str) or not password or len(password) > passwords.MAX_LENGTH:
        raise RequestError("guard.invalid_input", "password is required.")
    config.require_sign_in_method(config.load(ctx.db), given.kind, "password")
    sentinel.guard(ctx, given.key)
    user = users.by_email(ctx.db, given.key) if given.kind == "email" else users.by_username(ctx.db, given.key)
    if not security.check_password(user.password_hash if user else None, password):
        sentinel.record_failure(ctx, given.key)
        raise RequestError("session.invalid_credentials", "Incorrect account or password.", 422, keep_changes=True)
    assert user is not None
    return add_verification(interaction, {"type": "Password", "identifier": {"type": given.kind, "value": given.value},
                                          "userId": user.id, "verified": True})


def check_identifier(identifier: Any, kinds: tuple[str, ...]) -> Identifier:
    """`{type, value}` of one of `kinds`, with its canonical key; anything else is 400 guard.invalid_input."""
    if not isinstance(identifier, dict) or identifier.get("type") not in kinds:
        raise RequestError("guard.invalid_input", f"identifier.type must be one of {', '.join(kinds)}.")
    value = identifier.get("value")
    if not isinstance(value, str) or not value:
        raise RequestError("guard.invalid_input", "identifier.value is required.")
    return identifiers.parse(identifier["type"], value)


def remove_verification(interaction: Interaction, verification_id: str) -> None:
    current = state(interaction)
    current.get("verifications", {}).pop(verification_id, None)
    store.save_state(interaction, current)


def update_verification(interaction: Interaction, verification_id: str, **values: Any) -> None:
    current = state(interaction)
    current["verifications"][verification_id].update(values)
    store.save_state(interaction, current)


def identify(ctx: Context, interaction: Interaction, verification_id: Any) -> bool:
    """`POST /api/experience/identification`; returns True when it created the user (Register)."""
    event = require_event(interaction)
    if event == "Register":
        return register(ctx, interaction, verification_id)
    record = verification(interaction, verification_id)
    if event == "ForgotPassword" and record["type"] != "EmailVerificationCode":
        raise RequestError("session.not_supported_for_forgot_password",
                           "This verification is not supported for forgot password.", 422)
    require_verified(record)
    user = users.get(ctx.db, record.get("userId") or "")
    if user is None and record["identifier"]["type"] == "email":
        user = users.by_email(ctx.db, record["identifier"]["value"])
    if user is None:
        raise RequestError("user.user_not_exist", "User does not exist.", 404)
    set_user(interaction, user, record)
    return False


def require_verified(record: dict[str, Any]) -> None:
    if not record.get("verified"):
        raise RequestError("session.verification_failed", "The verification was not successful.", 422)


def set_user(interaction: Interaction, user: User, record: dict[str, Any]) -> None:
    check_can_sign_in(user)
    current = state(interaction)
    if current.get("userId") not in (None, user.id):
        raise RequestError("session.identity_conflict",
                           "Identity mismatch detected. Please start a new session to use a different identity.", 409)
    current["userId"] = user.id
    current["amr"] = sorted({*current.get("amr", []), "pwd" if record["type"] == "Password" else "otp"})
    store.save_state(interaction, current)


def register(ctx: Context, interaction: Interaction, verification_id: Any) -> bool:
    """Create the user from a verified email (and a password when the sign-up asks for one)."""
    document = config.load(ctx.db)
    config.require_event_allowed(document, "Register")
    current = state(interaction)
    profile = current.setdefault("profile", {})
    if verification_id is not None:
        record = verification(interaction, verification_id)
        if record["type"] != "EmailVerificationCode":
            raise RequestError("session.verification_session_not_found", "The verification record was not found.", 404)
        require_verified(record)
        profile["email"] = record["identifier"]["value"]
        store.save_state(interaction, current)
    if current.get("userId"):
        return False
    email = profile.get("email")
    if not email:
        raise missing_profile("email")
    if users.by_email(ctx.db, email) is not None:
        raise RequestError("user.email_already_in_use", "This email is associated with an existing account.", 422)
    if document["signUp"]["password"] and not profile.get("passwordHash"):
        raise missing_profile("password")
    user = users.create(ctx.db, now=ctx.now, email=email, password_hash=profile.get("passwordHash"))
    set_user(interaction, user, {"type": "EmailVerificationCode"})
    return True


def missing_profile(field: str) -> RequestError:
    # Kept: the email attached so far stays on the interaction for the next call.
    return RequestError("user.missing_profile", "Please provide the missing profile information to continue.",
                        422, keep_changes=True, missingProfile=[field])


def add_profile(ctx: Context, interaction: Interaction, body: dict[str, Any]) -> None:
    """`POST /api/experience/profile`: a password, or an email proven by a verification."""
    event = require_event(interaction)
    current = state(interaction)
    profile = current.setdefault("profile", {})
    kind = body.get("type")
    if kind == "password" and event in ("Register", "SignIn"):
        personal = (profile.get("email"),)
        profile["passwordHash"] = security.hash_password(passwords.check(body.get("value"), personal))
    elif kind == "email":
        record = verification(interaction, body.get("verificationId"))
        require_verified(record)
        profile["email"] = record["identifier"]["value"]
    else:
        raise RequestError("guard.invalid_input", "Unsupported profile type for this interaction.")
    store.save_state(interaction, current)


def reset_password(ctx: Context, interaction: Interaction, password: Any) -> None:
    """`PUT /api/experience/profile/password` (ForgotPassword only)."""
    if require_event(interaction) != "ForgotPassword":
        raise RequestError("session.invalid_interaction_type", "This is only for forgot password.", 400)
    current = state(interaction)
    user = users.get(ctx.db, current.get("userId") or "")
    if user is None:
        raise RequestError("session.identifier_not_found", "User identifier not found. Please sign in again.", 404)
    passwords.check(password, (user.primary_email, user.username, user.name))
    if security.check_password(user.password_hash, password):
        raise RequestError("user.same_password", "The new password cannot be the same as your current password.", 422)
    current.setdefault("profile", {})["passwordHash"] = security.hash_password(password)
    store.save_state(interaction, current)


def check_can_sign_in(user: User) -> None:
    if user.is_suspended:
        raise RequestError("user.suspended", "This account has been suspended.", 401)


def submit(ctx: Context, interaction: Interaction) -> dict[str, Any] | None:
    """`POST /api/experience/submit`: finish. SignIn and Register resume the authorization;
    ForgotPassword changes the password, ends the user's sessions and revokes their grants."""
    event = require_event(interaction)
    current = state(interaction)
    user = users.get(ctx.db, current.get("userId") or "")
    if user is None:
        raise RequestError("session.identifier_not_found", "User identifier not found. Please sign in again.", 404)
    check_can_sign_in(user)
    if event == "ForgotPassword":
        new_hash = current.get("profile", {}).get("passwordHash")
        if not new_hash:
            raise RequestError("user.new_password_required_in_profile", "Please set a new password.", 422)
        users.set_password_hash(ctx.db, user, new_hash, ctx.now)
        sessions.end_for_user(ctx.db, user.id, ctx.now)
        grants.revoke_user_grants(ctx.db, user.id, ctx.now)
        store.save_state(interaction, {})
        return None
    interaction.result = {"userId": user.id, "amr": current.get("amr", []), "authTime": ctx.now.timestamp()}
    return {"redirectTo": f"{ctx.settings.issuer}/auth/{interaction.id}"}


def public_view(interaction: Interaction) -> dict[str, Any]:
    """`GET /api/experience/interaction`: what a custom UI may see."""
    current = state(interaction)
    records = [
        {key: value for key, value in record.items() if key in ("id", "type", "identifier", "verified")}
        for record in current.get("verifications", {}).values()
    ]
    body: dict[str, Any] = {"interactionEvent": current.get("event"), "profile": current.get("profile", {}),
                            "verificationRecords": records}
    if current.get("userId"):
        body["userId"] = current["userId"]
    return body

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

from idp import security
from idp.errors import RequestError
from idp.models import Interaction, User
from idp.services import Context
from idp.store import interactions as store
from idp.store import users

EVENTS = ("SignIn", "Register", "ForgotPassword")


def state(interaction: Interaction) -> dict[str, Any]:
    return copy.deepcopy(interaction.state or {})


def start(ctx: Context, interaction: Interaction, event: str) -> None:
    """`PUT /api/experience`: begin (or restart) with an event; earlier state is dropped."""
    check_event(event)
    store.save_state(interaction, {"event": event, "verifications": {}})


def set_event(ctx: Context, interaction: Interaction, event: str) -> None:
    check_event(event)
    current = state(interaction)
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
    """`POST /api/experience/verification/password`."""
    require_event(interaction)
    kind, value = check_identifier(identifier, ("email", "username"))
    if not isinstance(password, str) or not password:
        raise RequestError("guard.invalid_input", "password is required.")
    user = users.by_email(ctx.db, value) if kind == "email" else users.by_username(ctx.db, value)
    if not security.check_password(user.password_hash if user else None, password):
        raise RequestError("session.invalid_credentials", "Incorrect account or password.", 422)
    assert user is not None
    return add_verification(interaction, {"type": "Password", "identifier": {"type": kind, "value": value},
                                          "userId": user.id, "verified": True})


def check_identifier(identifier: Any, kinds: tuple[str, ...]) -> tuple[str, str]:
    if not isinstance(identifier, dict) or identifier.get("type") not in kinds:
        raise RequestError("guard.invalid_input", f"identifier.type must be one of {', '.join(kinds)}.")
    value = identifier.get("value")
    if not isinstance(value, str) or not value or len(value) > 256:
        raise RequestError("guard.invalid_input", "identifier.value is required.")
    return identifier["type"], value


def identify(ctx: Context, interaction: Interaction, verification_id: Any) -> bool:
    """`POST /api/experience/identification`; returns True when a user was created."""
    event = require_event(interaction)
    if event == "Register":
        raise RequestError("session.invalid_interaction_type", "Registration is not available here yet.", 400)
    record = verification(interaction, verification_id)
    if not record.get("verified"):
        raise RequestError("session.verification_failed", "The verification was not successful.", 422)
    user = users.get(ctx.db, record.get("userId") or "")
    if user is None:
        raise RequestError("user.user_not_exist", "User does not exist.", 404)
    check_can_sign_in(user)
    current = state(interaction)
    if current.get("userId") not in (None, user.id):
        raise RequestError("session.identity_conflict",
                           "Identity mismatch detected. Please start a new session to use a different identity.", 409)
    current["userId"] = user.id
    current.setdefault("amr", [])
    current["amr"] = sorted({*current["amr"], "pwd" if record["type"] == "Password" else "otp"})
    store.save_state(interaction, current)
    return False


def check_can_sign_in(user: User) -> None:
    if user.is_suspended:
        raise RequestError("user.suspended", "This account has been suspended.", 401)


def submit(ctx: Context, interaction: Interaction) -> dict[str, Any]:
    """`POST /api/experience/submit`: record the result; the browser resumes the authorization."""
    require_event(interaction)
    current = state(interaction)
    user = users.get(ctx.db, current.get("userId") or "")
    if user is None:
        raise RequestError("session.identifier_not_found", "User identifier not found. Please sign in again.", 404)
    check_can_sign_in(user)
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

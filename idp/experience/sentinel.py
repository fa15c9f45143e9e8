"""One failure budget per identifier, shared by passwords and codes (Logto's sentinel).

A verification holds its identifier's budget for the whole request (`guard`), so parallel
attempts on one identifier are evaluated one after another, by every worker: a burst never
evaluates more guesses than the budget, and the failure that spends it locks the identifier out.
"""

from __future__ import annotations

from datetime import timedelta

from idp.errors import RequestError
from idp.services import Context
from idp.store import limits

KIND = "verify"


def guard(ctx: Context, identifier_key: str) -> None:
    """Hold the budget of `identifier_key` (a canonical identifier) for this request; refuse while
    it is locked out."""
    if limits.hold(ctx.db, limits.key(KIND, identifier_key), ctx.now):
        raise RequestError("session.verification_blocked_too_many_attempts",
                           "Too many attempts. Please try again later.", 400)


def record_failure(ctx: Context, identifier_key: str) -> None:
    """Count a failed verification of a guarded identifier; the last one of the budget locks it out."""
    key, settings = limits.key(KIND, identifier_key), ctx.settings
    limits.record(ctx.db, KIND, key, ctx.now)
    if limits.count(ctx.db, KIND, key, ctx.now, settings.verify_failure_window) >= settings.verify_failure_limit:
        limits.lock(ctx.db, key, ctx.now + timedelta(seconds=settings.lockout_seconds))

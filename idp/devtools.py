"""Development-mode controls for tests and demos: time, reset, fixed codes.

Everything here is reachable only under `/api/dev/` and only when IDP_DEV is set.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from idp import keys, models, seed
from idp.errors import RequestError
from idp.services import Clock, Context
from idp.store import configs

FIXED_CODES_KEY = "dev.fixed_codes"
# What a reset empties; applications, resources, keys and configuration stay.
RESET_TABLES = (
    models.AuthorizationCode, models.Token, models.Grant, models.BrowserSession, models.Interaction,
    models.VerificationCode, models.RateEvent, models.Lockout, models.OutboxMessage, models.User,
)


def clock(ctx: Context) -> dict[str, Any]:
    return {"now": ctx.now.isoformat(), "offset": float(configs.get(ctx.db, Clock.OFFSET_KEY) or 0)}


def advance_clock(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    """`{"advance": seconds}` moves time forward; `{"offset": seconds}` sets the shift (0 = real time)."""
    current = float(configs.get(ctx.db, Clock.OFFSET_KEY) or 0)
    if isinstance(body.get("advance"), (int, float)) and body["advance"] >= 0:
        offset = current + body["advance"]
    elif isinstance(body.get("offset"), (int, float)) and body["offset"] >= 0:
        offset = float(body["offset"])
    else:
        raise RequestError("guard.invalid_input", 'Send {"advance": seconds} or {"offset": seconds} (>= 0).')
    configs.put(ctx.db, Clock.OFFSET_KEY, offset)
    ctx.now = ctx.services.clock.now(ctx.db)
    return clock(ctx)


def reset(db: Session) -> None:
    """Empty users, sessions, codes, tokens and the outbox and return to real time; applications,
    resources, keys and configuration stay (`POST /api/dev/reset` and `idp reset`)."""
    for table in RESET_TABLES:
        db.execute(delete(table))
    configs.put(db, Clock.OFFSET_KEY, 0)


def fixed_codes(ctx: Context) -> dict[str, str]:
    stored = configs.get(ctx.db, FIXED_CODES_KEY)
    return dict(ctx.settings.fixed_codes if stored is None else stored)


def set_fixed_codes(ctx: Context, body: dict[str, Any]) -> dict[str, str]:
    """`{"example.test": "000000", ...}`: every address at such a domain gets that code."""
    if not all(isinstance(k, str) and isinstance(v, str) and v.isdigit() and len(v) == 6 for k, v in body.items()):
        raise RequestError("guard.invalid_input", "Map email domains to 6-digit codes.")
    configs.put(ctx.db, FIXED_CODES_KEY, {k.lower(): v for k, v in body.items()})
    return fixed_codes(ctx)


def fixed_code_for(ctx: Context, email: str) -> str | None:
    if not ctx.settings.dev:
        return None
    return fixed_codes(ctx).get(email.rsplit("@", 1)[-1].lower())


def rotate_keys(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    alg = body.get("alg", keys.EC_ALG)
    if alg not in (keys.EC_ALG, keys.RSA_ALG):
        raise RequestError("guard.invalid_input", "alg must be ES384 or RS256.")
    return keys.rotate(ctx.db, ctx.now, alg)


def apply_seed(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    return seed.apply(ctx.db, body, ctx.now)

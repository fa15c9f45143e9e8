"""Verifying ID tokens that idp issued (id_token_hint), with an algorithm allow-list.

Only keys from idp's own database are used: `jwk`, `jku` and `x5u` headers are never trusted,
unknown `crit` headers and `alg: none` are refused, and an expired hint is still accepted
(OpenID Connect RP-Initiated Logout §2).
"""

from __future__ import annotations

import json
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from idp.services import Context

MAX_LENGTH = 8192
ALGORITHMS = ["ES384", "RS256"]


def verify(ctx: Context, token: str) -> dict[str, Any] | None:
    if not isinstance(token, str) or len(token) > MAX_LENGTH or token.count(".") != 2:
        return None
    keys = KeySet(ctx.services.keys.verification_keys(ctx.db))
    try:
        compact = jws.deserialize_compact(token, keys, algorithms=ALGORITHMS)
    except (JoseError, ValueError, TypeError):
        return None
    if set(compact.headers()) - {"alg", "kid", "typ"}:
        return None
    try:
        claims = json.loads(compact.payload)
    except ValueError:
        return None
    if not isinstance(claims, dict) or claims.get("iss") != ctx.settings.issuer:
        return None
    return claims

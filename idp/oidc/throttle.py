"""Throttling of failed client authentication at the token, revocation and introspection endpoints.

Failures are counted in the database, so every worker shares them, under two keys: the client id
(confidential clients only: a public client has no secret to guess, and its id is no secret, so
throttling it would only let anyone shut it out) and the source address, which is the TCP peer
(`X-Forwarded-For` is not trusted). The failure that spends a key's budget is still answered as
one; after it, the key is throttled for a window and every authentication on it answers 429 with
`Retry-After`, the right secret included, so the answer tells nothing about which guess was right.
A successful authentication only reads whether its keys are throttled.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from authlib.oauth2.rfc6749 import OAuth2Error

from idp.services import Context
from idp.store import apps, limits


class ClientThrottledError(OAuth2Error):
    error = "invalid_client"
    status_code = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(description="Too many failed client authentications. Try again later.")
        self.retry_after = retry_after

    def get_headers(self) -> list[tuple[str, str]]:
        return [*super().get_headers(), ("Retry-After", str(self.retry_after))]


@dataclass(frozen=True)
class Source:
    """Who is authenticating: the client id the request names, and the address it comes from."""

    client_id: str | None
    address: str | None


@dataclass(frozen=True)
class Budget:
    """Failures allowed to one key within the window."""

    kind: str  # "client_id" or "client_address"
    key: str
    limit: int


def budgets(ctx: Context, source: Source) -> list[Budget]:
    """The budgets `source` draws on, in a fixed order (so that holding them never deadlocks)."""
    settings = ctx.settings
    found: list[Budget] = []
    if source.client_id and settings.client_auth_failure_limit > 0 and is_confidential(ctx, source.client_id):
        found.append(budget("client_id", source.client_id, settings.client_auth_failure_limit))
    if source.address and settings.client_auth_address_failure_limit > 0:
        found.append(budget("client_address", source.address, settings.client_auth_address_failure_limit))
    return sorted(found, key=lambda each: each.key)


def budget(kind: str, value: str, limit: int) -> Budget:
    return Budget(kind, limits.key(kind, value), limit)


def is_confidential(ctx: Context, client_id: str) -> bool:
    app = apps.get(ctx.db, client_id)
    return app is not None and app.secret_hash is not None


def check(ctx: Context, source: Source) -> None:
    """After a successful authentication: refuse it while one of its keys is throttled."""
    ends = [until for each in budgets(ctx, source) if (until := limits.locked_until(ctx.db, each.key, ctx.now))]
    if ends:
        raise throttled(ctx, max(ends))


def count_failure(ctx: Context, source: Source) -> None:
    """After a failed authentication: count it against each key, or, when a key is already
    throttled, count nothing and answer 429 instead."""
    held = [(each, limits.hold(ctx.db, each.key, ctx.now)) for each in budgets(ctx, source)]
    ends = [until for _, until in held if until]
    if ends:
        raise throttled(ctx, max(ends))
    window = ctx.settings.client_auth_failure_window
    for each, _ in held:
        limits.record(ctx.db, each.kind, each.key, ctx.now)
        if limits.count(ctx.db, each.kind, each.key, ctx.now, window) >= each.limit:
            limits.lock(ctx.db, each.key, ctx.now + timedelta(seconds=window))


def throttled(ctx: Context, until: datetime) -> ClientThrottledError:
    # A request that waited for the key's row began before the lock was set: its `now` is early.
    seconds = math.ceil((until - ctx.now).total_seconds())
    return ClientThrottledError(retry_after=min(max(1, seconds), ctx.settings.client_auth_failure_window))

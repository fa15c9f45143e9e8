"""Deleting rows that can no longer be used. Expiry is always checked when a row is used, so
cleanup never changes an answer; it only keeps the tables small. Each worker runs it now and
then; the deletes are idempotent, so several workers can run it at once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

from sqlalchemy import delete, or_
from sqlalchemy.orm import Session

from idp import models
from idp.store import limits

log = logging.getLogger("idp.cleanup")
# Keep used and expired rows this long, so that a replayed code or token is still recognised
# (and revokes its grant) for a while after it expired.
GRACE = timedelta(days=1)
EVERY_SECONDS = 600


def purge(db: Session, now: datetime) -> None:
    before = now - GRACE
    db.execute(delete(models.AuthorizationCode).where(models.AuthorizationCode.expires_at < before))
    db.execute(delete(models.VerificationCode).where(models.VerificationCode.expires_at < before))
    db.execute(delete(models.Interaction).where(models.Interaction.expires_at < before))
    db.execute(delete(models.Token).where(models.Token.expires_at < before))
    db.execute(delete(models.BrowserSession).where(
        or_(models.BrowserSession.expires_at < before, models.BrowserSession.ended_at < before)))
    limits.purge(db, before)


@contextlib.asynccontextmanager
async def periodically(services: object) -> AsyncIterator[None]:
    """An application lifespan that purges every EVERY_SECONDS (with jitter across workers)."""

    async def loop() -> None:
        while True:
            await asyncio.sleep(EVERY_SECONDS * random.uniform(0.5, 1.5))
            try:
                await services.call(lambda ctx: purge(ctx.db, ctx.now))  # type: ignore[attr-defined]
            except Exception as error:  # keep serving; the next round tries again
                log.warning("cleanup failed: %s", type(error).__name__)

    task = asyncio.create_task(loop())
    try:
        yield
    finally:
        task.cancel()

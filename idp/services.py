"""The objects one running idp shares, and the one bridge from async handlers to sync work.

authlib's server is synchronous and our storage is synchronous SQLAlchemy: handlers read the
request body while async, then `await services.call(fn, ...)` runs `fn(ctx, ...)` in a worker
thread inside one database transaction. `current()` gives that context to authlib's callbacks,
which receive no request object.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from idp.errors import RequestError
from idp.settings import Settings
from idp.store import configs

T = TypeVar("T")


@dataclass
class Context:
    """One unit of work: a database transaction, the time it runs at, and the services."""

    db: Session
    now: datetime
    services: Services
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def settings(self) -> Settings:
        return self.services.settings


_current: contextvars.ContextVar[Context] = contextvars.ContextVar("idp_context")


def current() -> Context:
    return _current.get()


class Clock:
    """UTC now. In development mode it is shifted by an offset kept in the database, so that a
    test can move every worker's time forward at once (`POST /api/dev/clock`)."""

    OFFSET_KEY = "dev.clock_offset"

    def __init__(self, shared_offset: bool = False) -> None:
        self.shared_offset = shared_offset

    def now(self, db: Session | None = None) -> datetime:
        now = datetime.now(timezone.utc)
        if self.shared_offset and db is not None:
            offset = configs.get(db, self.OFFSET_KEY)
            if offset:
                now += timedelta(seconds=float(offset))
        return now


@dataclass
class Services:
    settings: Settings
    sessions: sessionmaker
    clock: Clock
    keys: Any  # idp.keys.KeyRing
    oauth: Any  # idp.oidc.server.AuthorizationServer
    templates: Any  # jinja2 environment
    readers: sessionmaker | None = None  # for work that only reads (SQLite: no write lock)

    def run(self, fn: Callable[..., T], *args: Any, _readonly: bool = False, **kwargs: Any) -> T:
        """Run `fn(ctx, ...)` in one transaction (synchronously).

        An error raised with `keep_changes=True` is raised after the commit, so that what the
        failed step counted (a wrong code, a failed attempt) is kept.
        """
        sessions = self.readers if _readonly and self.readers is not None else self.sessions
        with sessions.begin() as db:
            ctx = Context(db=db, now=self.clock.now(db), services=self)
            token = _current.set(ctx)
            try:
                return fn(ctx, *args, **kwargs)
            except RequestError as error:
                if not error.keep_changes:
                    raise
                kept = error
            finally:
                _current.reset(token)
        raise kept

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run `fn(ctx, ...)` in a worker thread, in one transaction."""
        return await run_in_threadpool(self.run, fn, *args, **kwargs)

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        """Like `call`, for work that only reads."""
        return await run_in_threadpool(self.run, fn, *args, _readonly=True)


def services(request: Request) -> Services:
    return request.app.state.services

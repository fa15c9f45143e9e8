"""What the Experience API and the hosted pages share: this browser's interaction, and code delivery.

Both faces run the flow functions of `idp.experience` through these helpers, so a rule lives in
one place whichever face a person uses.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from starlette.concurrency import run_in_threadpool

from idp import logs
from idp.errors import RequestError
from idp.experience import codes, flow
from idp.experience.codes import CodeRequest
from idp.mail import delivery
from idp.models import Interaction
from idp.services import Context, Services
from idp.store import interactions
from idp.web import i18n

log = logging.getLogger("idp.experience")


def interaction(ctx: Context, cookie: str | None) -> Interaction:
    """The unfinished interaction bound to this browser's `_interaction` cookie."""
    found = interactions.by_cookie(ctx.db, cookie, ctx.now)
    if found is None:
        raise RequestError("session.not_found", "Session not found. Please go back and sign in again.", 400)
    return found


def in_interaction(ctx: Context, cookie: str | None, step: Callable[..., Any], *args: Any) -> Any:
    """Run `step(ctx, interaction, *args)` on this browser's interaction; a refused step (a wrong
    password or code, an unknown account, ...) is logged with its reason, never with what was typed."""
    current = interaction(ctx, cookie)
    try:
        return step(ctx, current, *args)
    except RequestError as error:
        logs.event(log, "sign-in step refused", client_id=current.client_id,
                   event=flow.state(current).get("event"), reason=error.code)
        raise


async def send_code(svc: Services, cookie: str | None, create: Callable[[Context, Interaction], CodeRequest],
                    accept_language: str | None) -> CodeRequest:
    """Create a code in one transaction, deliver it after the commit, and settle a failure.

    `create` is `codes.request_code` with its arguments bound (plus any check a face adds first).
    Without `ui_locales`, the message's locale is the browser's language (`accept_language`), the
    one the pages are shown in. When delivery fails, the code is withdrawn and the person reads
    Logto's error without the service's words; where an unknown address is never sent anything, a
    known one answers as an unknown one would instead (its code replaced by one nobody was sent),
    so that a failing service does not tell who has an account. Administrators find the failure in
    the log either way.
    """
    sent = await svc.call(in_interaction, cookie, create)
    if sent.message is None:
        return sent
    message = sent.message
    if "locale" not in message.payload and accept_language:
        message = replace(message, payload={**message.payload, "locale": i18n.negotiate(None, accept_language)})
    try:
        await run_in_threadpool(delivery.send, svc, message)
    except RequestError as error:
        if sent.conceal_failure:
            await svc.call(in_interaction, cookie, lambda ctx, it: codes.spoil(ctx, it, sent))
            return sent
        await svc.call(in_interaction, cookie, lambda ctx, it: codes.withdraw(ctx, it, sent))
        raise delivery.for_person_signing_in(error) from None
    return sent

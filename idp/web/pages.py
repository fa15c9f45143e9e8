"""Hosted sign-in pages: plain HTML forms over the same flow as the Experience API.

Three sections share one shape — an email form, a code form, the pages after the code:

    /sign-in          email → code (default) or password → back to the application
    /register         email → code → password (optional unless the sign-up requires one) → back
    /forgot-password  email → code → new password → "password changed" → /sign-in

The flow state lives in the interaction, as it does for the API; a page carries only the
verification id (`v`), as an API client would. Every form carries a CSRF token bound to the
interaction cookie. Nothing needs JavaScript: the countdown script only disables a resend
button that the server would refuse to honour before `RESEND_SECONDS` anyway.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from idp import security
from idp.errors import RequestError
from idp.experience import codes, config, flow
from idp.models import Interaction
from idp.services import Context, Services, services
from idp.store import codes as code_store
from idp.store import configs, interactions
from idp.web import i18n, steps
from idp.web.responses import page

RESEND_SECONDS = 59  # Logto's sign-in experience offers a new code after this countdown
MAX_FORM = 16 * 1024
EVENTS = {"sign-in": "SignIn", "register": "Register", "forgot-password": "ForgotPassword"}
ENTRY_PAGES = {"sign-in": "sign_in.html", "register": "register.html", "forgot-password": "forgot_password.html"}
# Errors answered on the password form itself; any other error sends the person back to the email form.
PASSWORD_ERRORS = {"password.rejected", "guard.invalid_input", "user.missing_profile", "user.same_password",
                   "page.passwords_differ"}


def csrf_token(ctx: Context, cookie: str) -> str:
    return security.keyed_hash(configs.secret(ctx.db, "csrf"), f"page:{cookie}")


# --- one visit to a page: the interaction's language, CSRF token and sign-in experience ------------

@dataclass
class Visit:
    request: Request
    section: str
    cookie: str
    csrf: str
    t: i18n.Translator
    document: dict[str, Any]
    login_hint: str = ""
    form: dict[str, str] = field(default_factory=dict)

    @property
    def svc(self) -> Services:
        return services(self.request)

    def posted(self, name: str) -> str:
        return self.form.get(name, "")

    def query(self, name: str) -> str:
        return self.request.query_params.get(name, "")

    async def run(self, step: Callable[..., Any], *args: Any) -> Any:
        """`step(ctx, interaction, *args)` in one transaction, as the API's handlers run it."""
        return await self.svc.call(steps.in_interaction, self.cookie, step, *args)

    def render(self, template: str, error: RequestError | None = None, context: str | None = None,
               status: int | None = None, **values: Any) -> Response:
        shown = self.t.error(error, context) if error is not None else None
        status = status or (error.status if error is not None else 200)
        return page(self.request, template, status, t=self.t, lang=self.t.locale, csrf=self.csrf,
                    section=self.section, error=shown, options=options(self.document), **values)

    def redirect(self, path: str, **params: str) -> Response:
        query = f"?{urlencode(params)}" if params else ""
        return RedirectResponse(f"{self.svc.settings.endpoint}{path}{query}", status_code=303)


def load_visit(ctx: Context, cookie: str | None) -> dict[str, Any] | None:
    interaction = interactions.by_cookie(ctx.db, cookie, ctx.now)
    if interaction is None or cookie is None:
        return None
    return {"csrf": csrf_token(ctx, cookie), "params": dict(interaction.params or {}),
            "document": config.load(ctx.db)}


def translator(request: Request, params: dict[str, Any] | None = None) -> i18n.Translator:
    ui_locales = (params or {}).get("ui_locales")
    return i18n.Translator(i18n.negotiate(ui_locales if isinstance(ui_locales, str) else None,
                                          request.headers.get("accept-language")))


async def open_visit(request: Request, section: str, form: dict[str, str]) -> Visit | None:
    cookie = request.cookies.get("_interaction")
    found = await services(request).call(load_visit, cookie)
    if found is None or cookie is None:
        return None
    params = found["params"]
    return Visit(request, section, cookie, found["csrf"], translator(request, params), found["document"],
                 str(params.get("login_hint", "")), form)


def expired(request: Request) -> Response:
    t = translator(request)
    return page(request, "expired.html", 400, t=t, lang=t.locale)


Handler = Callable[[Visit], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]


def view(section: str, handler: Handler) -> Endpoint:
    """A GET page of `section`."""

    async def endpoint(request: Request) -> Response:
        visit = await open_visit(request, section, {})
        return expired(request) if visit is None else await handler(visit)

    return endpoint


def action(section: str, handler: Handler) -> Endpoint:
    """A form POST of `section`: refused unless it carries this interaction's CSRF token."""

    async def endpoint(request: Request) -> Response:
        length = request.headers.get("content-length", "0")
        if not length.isdigit() or int(length) > MAX_FORM:
            return Response(status_code=413)
        form = {key: value for key, value in (await request.form()).items() if isinstance(value, str)}
        visit = await open_visit(request, section, form)
        if visit is None:
            return expired(request)
        if not security.same(visit.posted("csrf"), visit.csrf):
            refused = RequestError("session.csrf_token_mismatch", "The form has expired. Please try again.", 403)
            return entry(visit, refused)
        return await handler(visit)

    return endpoint


# --- what the sign-in experience offers (asked of the rules in `config`, never restated) -----------

def allows(check: Callable[..., None], *args: Any) -> bool:
    try:
        check(*args)
    except RequestError:
        return False
    return True


def options(document: dict[str, Any]) -> dict[str, Any]:
    code = allows(config.require_sign_in_method, document, "email", "verificationCode")
    password = allows(config.require_sign_in_method, document, "email", "password")
    password_first = password and (not code or (config.method(document, "email") or {}).get("isPasswordPrimary"))
    methods = [name for name, on in (("code", code), ("password", password)) if on]
    return {
        "sign_in": allows(config.require_event_allowed, document, "SignIn"),
        "register": config.registration_open(document),
        "code": code,
        "password": password,
        "methods": methods[::-1] if password_first else methods,
        "password_required": bool(document["signUp"]["password"]),
    }


# --- the email forms -------------------------------------------------------------------------------

def entry(visit: Visit, error: RequestError | None = None) -> Response:
    email = visit.posted("email").strip() or visit.login_hint
    return visit.render(ENTRY_PAGES[visit.section], error, "email", email=email)


async def show_entry(visit: Visit) -> Response:
    return entry(visit)


async def choose_sign_in(visit: Visit) -> Response:
    """POST /sign-in: the email, and the way to prove it (a password typed here signs in at once)."""
    if visit.posted("password"):
        return await password_sign_in(visit)
    if visit.posted("method") == "password":
        return visit.render("sign_in_password.html", email=visit.posted("email").strip())
    return await send_first_code(visit)


async def send_first_code(visit: Visit) -> Response:
    """Start the section's event and send a code to the email typed."""
    event = EVENTS[visit.section]
    identifier = {"type": "email", "value": visit.posted("email").strip()}

    def create(ctx: Context, interaction: Interaction) -> codes.CodeRequest:
        flow.start(ctx, interaction, event)
        return codes.request_code(ctx, interaction, identifier, event)

    try:
        sent = await steps.send_code(visit.svc, visit.cookie, create, visit.request.headers.get("accept-language"))
    except RequestError as error:
        return entry(visit, error)
    return visit.redirect(f"/{visit.section}/code", v=sent.verification_id)


async def password_sign_in(visit: Visit) -> Response:
    email, password = visit.posted("email").strip(), visit.posted("password")

    def sign_in_by_password(ctx: Context, interaction: Interaction) -> dict[str, Any]:
        flow.start(ctx, interaction, "SignIn")
        verification_id = flow.verify_password(ctx, interaction, {"type": "email", "value": email}, password)
        flow.identify(ctx, interaction, verification_id)
        return flow.submit(ctx, interaction)

    try:
        result = await visit.run(sign_in_by_password)
    except RequestError as error:
        return visit.render("sign_in_password.html", error, "credentials", email=email)
    return RedirectResponse(result["redirectTo"], status_code=303)


# --- the code form ---------------------------------------------------------------------------------

def code_status(ctx: Context, interaction: Interaction, verification_id: str) -> tuple[str, int]:
    """The email a verification is about, and the seconds left before a new code may be sent."""
    record = flow.verification(interaction, verification_id)
    row = code_store.get(ctx.db, record.get("codeId") or "")
    wait = 0.0 if row is None else RESEND_SECONDS - (ctx.now - row.created_at).total_seconds()
    return record["identifier"]["value"], max(0, math.ceil(wait))


async def show_code(visit: Visit, verification_id: str, error: RequestError | None = None,
                    notice: str | None = None) -> Response:
    try:
        email, wait = await visit.run(code_status, verification_id)
    except RequestError as failure:
        return entry(visit, failure)
    return visit.render("code.html", error, "code", v=verification_id, email=email, wait=wait, notice=notice)


async def code_page(visit: Visit) -> Response:
    notice = visit.t("code.resent") if visit.query("resent") else None
    return await show_code(visit, visit.query("v"), notice=notice)


def verify(ctx: Context, interaction: Interaction, verification_id: str, code: str) -> str:
    record = flow.verification(interaction, verification_id)
    codes.verify_code(ctx, interaction, record["identifier"], verification_id, code)
    return record["identifier"]["value"]


async def submit_code(visit: Visit) -> Response:
    """Prove the code in its own transaction (as the API does), then take the section's next step."""
    verification_id = visit.posted("v")
    try:
        await visit.run(verify, verification_id, "".join(visit.posted("code").split()))
    except RequestError as error:
        return await show_code(visit, verification_id, error)
    return await AFTER_CODE[visit.section](visit, verification_id)


async def resend(visit: Visit) -> Response:
    verification_id = visit.posted("v")

    def create(ctx: Context, interaction: Interaction) -> codes.CodeRequest:
        email, wait = code_status(ctx, interaction, verification_id)
        if wait > 0:
            raise RequestError("page.resend_too_soon", f"Please wait {wait} seconds before asking for a new code.",
                               429, seconds=wait)
        record = flow.verification(interaction, verification_id)
        return codes.request_code(ctx, interaction, record["identifier"], record.get("event"))

    try:
        sent = await steps.send_code(visit.svc, visit.cookie, create, visit.request.headers.get("accept-language"))
    except RequestError as error:
        return await show_code(visit, verification_id, error)
    return visit.redirect(f"/{visit.section}/code", v=sent.verification_id, resent="1")


# --- after the code --------------------------------------------------------------------------------

def identify_and_submit(ctx: Context, interaction: Interaction, verification_id: str) -> dict[str, Any]:
    flow.identify(ctx, interaction, verification_id)
    return flow.submit(ctx, interaction)


async def sign_in_after_code(visit: Visit, verification_id: str) -> Response:
    try:
        result = await visit.run(identify_and_submit, verification_id)
    except RequestError as error:
        if error.code == "user.user_not_exist" and config.registration_open(visit.document):
            return visit.redirect("/sign-in/register", v=verification_id)
        return entry(visit, error)
    return RedirectResponse(result["redirectTo"], status_code=303)


async def register_offer(visit: Visit) -> Response:
    """GET /sign-in/register: no account has the verified email; offer to create it (Logto does)."""
    verification_id = visit.query("v")
    try:
        email, _ = await visit.run(code_status, verification_id)
    except RequestError as error:
        return entry(visit, error)
    return visit.render("register_offer.html", v=verification_id, email=email)


async def accept_register_offer(visit: Visit) -> Response:
    """Switch the event to Register; the same verification then creates the account."""
    try:
        await visit.run(flow.set_event, "Register")
    except RequestError as error:
        return entry(visit, error)
    return visit.redirect("/register/password", v=visit.posted("v"))


async def register_after_code(visit: Visit, verification_id: str) -> Response:
    return visit.redirect("/register/password", v=verification_id)


async def forgot_after_code(visit: Visit, verification_id: str) -> Response:
    try:
        await visit.run(flow.identify, verification_id)
    except RequestError as error:
        return entry(visit, error)
    return visit.redirect("/forgot-password/password")


AFTER_CODE = {"sign-in": sign_in_after_code, "register": register_after_code,
              "forgot-password": forgot_after_code}


# --- passwords after the code ----------------------------------------------------------------------

async def show_registration_password(visit: Visit, verification_id: str,
                                     error: RequestError | None = None) -> Response:
    try:
        email, _ = await visit.run(code_status, verification_id)
    except RequestError as failure:
        return entry(visit, failure)
    return visit.render("set_password.html", error, "password", mode="register", v=verification_id, email=email)


async def registration_password_page(visit: Visit) -> Response:
    return await show_registration_password(visit, visit.query("v"))


def typed_password(visit: Visit) -> str:
    password = visit.posted("password")
    if password != visit.posted("confirm"):
        raise RequestError("page.passwords_differ", "The two passwords are different.", 422)
    return password


def finish_registration(ctx: Context, interaction: Interaction, verification_id: str,
                        password: str | None) -> dict[str, Any]:
    if password is not None:
        flow.add_profile(ctx, interaction, {"type": "password", "value": password})
    return identify_and_submit(ctx, interaction, verification_id)


async def submit_registration(visit: Visit) -> Response:
    """POST /register/password: a password (or none, if skipped), then the account is created."""
    verification_id = visit.posted("v")
    try:
        password = None if visit.posted("skip") else typed_password(visit)
        result = await visit.run(finish_registration, verification_id, password)
    except RequestError as error:
        if error.code in PASSWORD_ERRORS:
            return await show_registration_password(visit, verification_id, error)
        return entry(visit, error)
    return RedirectResponse(result["redirectTo"], status_code=303)


async def new_password_page(visit: Visit) -> Response:
    return visit.render("set_password.html", mode="reset")


def reset_and_submit(ctx: Context, interaction: Interaction, password: str) -> None:
    flow.reset_password(ctx, interaction, password)
    flow.submit(ctx, interaction)


async def submit_new_password(visit: Visit) -> Response:
    try:
        await visit.run(reset_and_submit, typed_password(visit))
    except RequestError as error:
        if error.code in PASSWORD_ERRORS:
            return visit.render("set_password.html", error, "password", mode="reset")
        return entry(visit, error)
    return visit.redirect("/forgot-password/done")


async def password_changed(request: Request) -> Response:
    """The end of a reset; it needs no interaction (the link leads to /sign-in, which checks)."""
    visit = await open_visit(request, "forgot-password", {})
    t = visit.t if visit is not None else translator(request)
    return page(request, "password_changed.html", t=t, lang=t.locale)


def routes() -> list[tuple[str, list[str], Endpoint]]:
    found: list[tuple[str, list[str], Endpoint]] = []
    for section in EVENTS:
        base = f"/{section}"
        found += [
            (base, ["GET"], view(section, show_entry)),
            (base, ["POST"], action(section, choose_sign_in if section == "sign-in" else send_first_code)),
            (f"{base}/code", ["GET"], view(section, code_page)),
            (f"{base}/code", ["POST"], action(section, submit_code)),
            (f"{base}/code/resend", ["POST"], action(section, resend)),
        ]
    return found + [
        ("/sign-in/password", ["POST"], action("sign-in", password_sign_in)),
        ("/sign-in/register", ["GET"], view("sign-in", register_offer)),
        ("/sign-in/register", ["POST"], action("sign-in", accept_register_offer)),
        ("/register/password", ["GET"], view("register", registration_password_page)),
        ("/register/password", ["POST"], action("register", submit_registration)),
        ("/forgot-password/password", ["GET"], view("forgot-password", new_password_page)),
        ("/forgot-password/password", ["POST"], action("forgot-password", submit_new_password)),
        ("/forgot-password/done", ["GET"], password_changed),
    ]


ROUTES = routes()

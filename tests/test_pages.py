"""The hosted sign-in pages over plain HTTP: form posts only, as a browser without JavaScript sends them."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from idp import identifiers
from idp.errors import RequestError
from idp.experience import passwords
from idp.models import VerificationCode
from idp.web import i18n, pages
from tests.browser import Browser, new_email, query
from tests.flows import Form, read_forms, redeem, userinfo

NEW_PASSWORD = "Tall-Ladder-42"


class Page:
    def __init__(self, response: httpx.Response) -> None:
        self.response = response

    @property
    def status(self) -> int:
        return self.response.status_code

    @property
    def text(self) -> str:
        return self.response.text

    @property
    def path(self) -> str:
        return self.response.url.path

    @property
    def location(self) -> str:
        assert self.response.is_redirect, (self.status, self.text[:500])
        return self.response.headers["location"]

    def form(self, action: str) -> Form:
        found = [form for form in read_forms(self.text) if form.action.endswith(action)]
        assert found, f"no form posting to {action} on {self.path}: {self.text[:800]}"
        return found[0]

    @property
    def error_code(self) -> str | None:
        found = re.search(r'role="alert" data-code="([^"]+)"', self.text)
        return found.group(1) if found else None

    @property
    def lang(self) -> str:
        return re.search(r'<html lang="([^"]+)"', self.text).group(1)


class Visitor:
    """One person's browser on the pages: it keeps cookies and submits the forms it is shown."""

    def __init__(self, idp, app: dict) -> None:
        self.idp = idp
        self.app = app
        self.browser = Browser(idp.endpoint)

    def close(self) -> None:
        self.browser.close()

    def open(self, headers: dict[str, str] | None = None, **params: str) -> Page:
        if headers:
            self.browser.http.headers.update(headers)
        return Page(self.browser.follow(self.browser.authorize_url(self.app["id"], self.app["redirect_uris"][0],
                                                                   **params)))

    def get(self, path: str) -> Page:
        return Page(self.browser.follow(f"{self.idp.endpoint}{path}"))

    def submit(self, page: Page, action: str, **fields: str) -> Page:
        """Post the form of `page` whose action ends with `action`, with its hidden fields."""
        form = page.form(action)
        data = {**form.fields, **fields}
        return Page(self.browser.follow(form.action, "POST", data=data))

    def post(self, path: str, data: dict[str, str]) -> Page:
        return Page(self.browser.follow(f"{self.idp.endpoint}{path}", "POST", data=data))


@pytest.fixture
def visitor(idp, app):
    person = Visitor(idp, app)
    yield person
    person.close()


def signed_in_userinfo(idp, app, location: str) -> dict:
    """The userinfo of the user the redirect to `location` signed in."""
    return userinfo(idp, redeem(idp, app, location)["access_token"]).json()


def lands_on_client(app: dict, page: Page) -> str:
    location = page.location
    assert location.startswith(app["redirect_uris"][0] + "?") and "code" in query(location), location
    return location


def code_page(idp, visitor: Visitor, email: str, **params: str) -> Page:
    page = visitor.open(**params)
    sent = visitor.submit(page, "/sign-in", email=email, method="code")
    assert sent.status == 200 and sent.path == "/sign-in/code", sent.text[:500]
    return sent


def age_codes(idp, email: str, seconds: int) -> None:
    """Make the codes sent to `email` look `seconds` older (the resend countdown reads their age)."""
    with idp.db() as db:
        rows = db.scalars(select(VerificationCode).where(VerificationCode.email_key == identifiers.email_key(email)))
        for row in rows:
            row.created_at -= timedelta(seconds=seconds)


# --- the pages themselves --------------------------------------------------------------------------

def test_sign_in_starts_with_the_email_and_offers_a_code_first(visitor):
    page = visitor.open(login_hint="hint@example.test")
    assert page.status == 200 and page.path == "/sign-in" and page.lang == "en"
    form = page.form("/sign-in")
    assert form.fields["email"] == "hint@example.test" and form.fields["csrf"]
    assert form.buttons == [("method", "code"), ("method", "password")]
    assert 'href="http://127.0.0.1' in page.text and "/register\"" in page.text and "/forgot-password\"" in page.text


@pytest.mark.parametrize("path", ["/sign-in", "/register", "/forgot-password"])
def test_pages_need_no_inline_script_or_style(visitor, path):
    visitor.open()
    page = visitor.get(path)
    assert page.status == 200
    assert not re.search(r"<script(?![^>]*\bsrc=)", page.text) and not re.search(r"\sstyle=", page.text)
    assert "script-src 'self'" in page.response.headers["content-security-policy"]


def test_a_page_without_an_interaction_says_it_expired_in_the_browser_language(idp):
    page = Page(httpx.get(f"{idp.endpoint}/sign-in", headers={"Accept-Language": "fr-FR,fr;q=0.9"}))
    assert page.status == 400 and page.lang == "fr" and "Cette connexion a expiré" in page.text
    posted = Page(httpx.post(f"{idp.endpoint}/register", data={"email": new_email()}))
    assert posted.status == 400 and posted.error_code == "session.not_found"


# --- CSRF --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_a_form_without_the_right_csrf_token_is_refused(idp, visitor, user, token):
    page = visitor.open()
    data = {"email": user["email"], "method": "code"}
    if token is not None:
        data["csrf"] = token
    refused = visitor.post("/sign-in", data)
    assert refused.status == 403 and refused.error_code == "session.csrf_token_mismatch"
    assert idp.messages(user["email"]) == []
    assert visitor.submit(page, "/sign-in", email=user["email"], method="code").path == "/sign-in/code"


@pytest.mark.parametrize("path", sorted({path for path, methods, _ in pages.ROUTES if "POST" in methods}))
def test_every_form_post_needs_the_token(visitor, path):
    visitor.open()
    refused = visitor.post(path, {"email": new_email(), "v": "x", "code": "123456", "password": NEW_PASSWORD,
                                  "confirm": NEW_PASSWORD})
    assert refused.status == 403 and refused.error_code == "session.csrf_token_mismatch"


def test_the_csrf_token_of_another_interaction_is_refused(idp, app, visitor, user):
    other = Visitor(idp, app)
    try:
        foreign = other.open().form("/sign-in").fields["csrf"]
    finally:
        other.close()
    visitor.open()
    refused = visitor.post("/sign-in", {"csrf": foreign, "email": user["email"], "password": user["password"]})
    assert refused.status == 403 and refused.error_code == "session.csrf_token_mismatch"


def test_every_form_on_the_way_carries_the_token(idp, visitor, user):
    page = code_page(idp, visitor, user["email"])
    for form in read_forms(page.text):
        assert form.fields.get("csrf"), form


# --- languages ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("params, header, lang, words", [
    ({"ui_locales": "fr"}, None, "fr", "Connexion"),
    ({"ui_locales": "zh-CN"}, None, "zh-CN", "登录"),
    ({}, "zh-Hans-CN,zh;q=0.9,en;q=0.8", "zh-CN", "登录"),
    ({}, "de-DE, fr;q=0.5", "fr", "Connexion"),
    ({"ui_locales": "fr-CA"}, "zh-CN", "fr", "Connexion"),
    ({"ui_locales": "de"}, "de", "en", "Sign in"),
])
def test_the_language_comes_from_ui_locales_then_accept_language(visitor, params, header, lang, words):
    page = visitor.open(headers={"Accept-Language": header} if header else None, **params)
    assert page.status == 200 and page.lang == lang and f"<h1>{words}</h1>" in page.text


def test_errors_are_shown_in_the_person_language(idp, visitor, user):
    page = visitor.open(ui_locales="fr")
    wrong = visitor.submit(visitor.submit(page, "/sign-in", email=user["email"], method="password"),
                           "/sign-in/password", password="not-the-password")
    assert wrong.status == 422 and wrong.error_code == "session.invalid_credentials"
    assert "L’adresse e-mail ou le mot de passe est incorrect." in wrong.text and wrong.lang == "fr"


def test_an_invalid_email_is_explained(visitor):
    page = visitor.open(ui_locales="zh-CN")
    answer = visitor.submit(page, "/sign-in", email="not-an-email", method="code")
    assert answer.status == 400 and answer.error_code == "guard.invalid_input" and "请输入有效的邮箱地址" in answer.text


def test_user_input_is_escaped(visitor):
    page = visitor.open()
    shown = visitor.submit(page, "/sign-in", email='"><b>bold</b>@example.test', method="password")
    assert shown.status == 200 and "<b>bold</b>" not in shown.text and "&lt;b&gt;bold&lt;/b&gt;" in shown.text


# --- sign in -----------------------------------------------------------------------------------------

@pytest.mark.both_databases
def test_sign_in_by_code_without_javascript(idp, app, visitor, user):
    page = code_page(idp, visitor, user["email"])
    assert user["email"] in page.text and page.form("/sign-in/code/resend")
    done = visitor.submit(page, "/sign-in/code", code=idp.last_code(user["email"]))
    assert signed_in_userinfo(idp, app, lands_on_client(app, done))["sub"] == user["id"]


def test_sign_in_by_password_without_javascript(idp, app, visitor, user):
    page = visitor.open()
    password_page = visitor.submit(page, "/sign-in", email=user["email"], method="password")
    assert password_page.status == 200 and password_page.form("/sign-in/password").fields["email"] == user["email"]
    assert idp.messages(user["email"]) == []
    done = visitor.submit(password_page, "/sign-in/password", password=user["password"])
    assert signed_in_userinfo(idp, app, lands_on_client(app, done))["sub"] == user["id"]


def test_one_form_with_email_and_password_still_signs_in(idp, app, visitor, user):
    page = visitor.open()
    done = visitor.submit(page, "/sign-in", email=user["email"], password=user["password"])
    lands_on_client(app, done)


def test_switching_from_the_code_to_the_password(idp, app, visitor, user):
    page = code_page(idp, visitor, user["email"])
    switched = visitor.submit(page, "/sign-in", method="password")
    assert switched.form("/sign-in/password").fields["email"] == user["email"]
    lands_on_client(app, visitor.submit(switched, "/sign-in/password", password=user["password"]))


def test_a_wrong_code_is_refused_and_the_right_one_still_works(idp, app, visitor, user):
    page = code_page(idp, visitor, user["email"], ui_locales="zh-CN")
    code = idp.last_code(user["email"])
    wrong = visitor.submit(page, "/sign-in/code", code="000000" if code != "000000" else "111111")
    assert wrong.status == 400 and wrong.error_code == "verification_code.code_mismatch"
    assert "验证码不正确" in wrong.text
    lands_on_client(app, visitor.submit(wrong, "/sign-in/code", code=f" {code[:3]} {code[3:]} "))


def test_an_early_resend_is_refused_with_the_time_left(idp, visitor, user):
    page = code_page(idp, visitor, user["email"], ui_locales="fr")
    wait = re.search(r'data-seconds="(\d+)"', page.text)
    assert wait and 55 <= int(wait.group(1)) <= 59
    refused = visitor.submit(page, "/sign-in/code/resend")
    assert refused.status == 429 and refused.error_code == "page.resend_too_soon"
    assert re.search(r"Patientez encore \d+ s", refused.text)
    assert len(idp.messages(user["email"])) == 1


def test_a_resend_after_the_countdown_sends_a_new_code(idp, app, visitor, user):
    page = code_page(idp, visitor, user["email"])
    first = idp.last_code(user["email"])
    age_codes(idp, user["email"], 60)
    resent = visitor.submit(page, "/sign-in/code/resend")
    assert resent.status == 200 and resent.path == "/sign-in/code" and resent.error_code is None
    assert "Another code is on its way." in resent.text and len(idp.messages(user["email"])) == 2
    stale = visitor.submit(page, "/sign-in/code", code=first)
    assert stale.error_code in ("verification_code.not_found", "verification_code.code_mismatch")
    lands_on_client(app, visitor.submit(resent, "/sign-in/code", code=idp.last_code(user["email"])))


def test_too_many_emails_are_refused_in_the_person_language(idp, visitor):
    email = new_email()
    page = visitor.open(ui_locales="fr")
    for _ in range(10):
        assert visitor.submit(page, "/sign-in", email=email, method="code").path == "/sign-in/code"
    limited = visitor.submit(page, "/sign-in", email=email, method="code")
    assert limited.status == 429 and limited.error_code == "request.message_rate_limited"
    assert "Trop d’e-mails" in limited.text


def test_sign_in_by_code_for_an_unknown_email_offers_to_create_the_account(idp, app, visitor):
    email = new_email()
    page = code_page(idp, visitor, email)
    offer = visitor.submit(page, "/sign-in/code", code=idp.last_code(email))
    assert offer.status == 200 and offer.path == "/sign-in/register" and email in offer.text
    optional = visitor.submit(offer, "/sign-in/register")
    assert optional.path == "/register/password" and ("skip", "yes") in optional.form("/register/password").buttons
    done = visitor.submit(optional, "/register/password", skip="yes")
    info = signed_in_userinfo(idp, app, lands_on_client(app, done))
    assert info["email"] == email and info["email_verified"] is True


# --- register ----------------------------------------------------------------------------------------

def register_code_page(visitor: Visitor, email: str, **params: str) -> Page:
    page = visitor.open(first_screen="register", **params)
    assert page.path == "/register", page.text[:300]
    sent = visitor.submit(page, "/register", email=email)
    assert sent.path == "/register/code", sent.text[:500]
    return sent


@pytest.mark.both_databases
def test_register_with_a_password(idp, app, visitor):
    email = new_email()
    page = register_code_page(visitor, email, ui_locales="fr")
    password_page = visitor.submit(page, "/register/code", code=idp.last_code(email))
    assert password_page.path == "/register/password"
    differ = visitor.submit(password_page, "/register/password", password=NEW_PASSWORD, confirm=NEW_PASSWORD + "x")
    assert differ.status == 422 and differ.error_code == "page.passwords_differ"
    weak = visitor.submit(differ, "/register/password", password="password123", confirm="password123")
    assert weak.status == 422 and weak.error_code == "password.rejected"
    assert "Ce mot de passe est trop courant." in weak.text
    done = visitor.submit(weak, "/register/password", password=NEW_PASSWORD, confirm=NEW_PASSWORD)
    info = signed_in_userinfo(idp, app, lands_on_client(app, done))
    assert info["email"] == email and info["email_verified"] is True
    again = Visitor(idp, app)
    try:
        start = again.open()
        by_password = again.submit(again.submit(start, "/sign-in", email=email, method="password"),
                                   "/sign-in/password", password=NEW_PASSWORD)
        assert signed_in_userinfo(idp, app, lands_on_client(app, by_password))["sub"] == info["sub"]
    finally:
        again.close()


def test_register_without_a_password_by_default(idp, app, visitor):
    email = new_email()
    page = register_code_page(visitor, email)
    password_page = visitor.submit(page, "/register/code", code=idp.last_code(email))
    lands_on_client(app, visitor.submit(password_page, "/register/password", skip="yes"))


def test_register_requires_the_password_when_the_sign_up_does(idp, app, visitor, sign_in_experience):
    sign_in_experience({"signUp": {"identifiers": ["email"], "password": True, "verify": True}})
    email = new_email()
    page = register_code_page(visitor, email)
    password_page = visitor.submit(page, "/register/code", code=idp.last_code(email))
    assert ("skip", "yes") not in password_page.form("/register/password").buttons
    skipped = visitor.submit(password_page, "/register/password", skip="yes")
    assert skipped.status == 422 and skipped.error_code == "user.missing_profile"
    lands_on_client(app, visitor.submit(skipped, "/register/password", password=NEW_PASSWORD, confirm=NEW_PASSWORD))


def test_register_with_a_taken_email_says_so(idp, visitor, user):
    page = register_code_page(visitor, user["email"])
    password_page = visitor.submit(page, "/register/code", code=idp.last_code(user["email"]))
    taken = visitor.submit(password_page, "/register/password", skip="yes")
    assert taken.error_code == "user.email_already_in_use" and taken.path == "/register/password"
    assert taken.form("/register")  # back on the email form, with a way to sign in instead
    assert 'href="http://127.0.0.1' in taken.text and '/sign-in"' in taken.text


def test_closed_registration_hides_the_link_and_refuses_the_form(idp, visitor, sign_in_experience):
    sign_in_experience({"signInMode": "SignIn"})
    page = visitor.open(ui_locales="fr")
    assert page.status == 200 and "/register\"" not in page.text
    refused = visitor.submit(visitor.get("/register"), "/register", email=new_email())
    assert refused.status == 403 and refused.error_code == "auth.forbidden"
    assert "Cette action n’est pas autorisée ici." in refused.text


def test_without_a_sender_the_page_says_the_email_could_not_be_sent(no_sender):
    person = Visitor(no_sender, no_sender.make_app())
    email = new_email()
    try:
        page = person.open(first_screen="register", ui_locales="zh-CN")
        failed = person.submit(page, "/register", email=email)
        assert failed.status == 501 and failed.error_code == "connector.not_found"
        assert "邮件发送失败" in failed.text and failed.form("/register")
        with no_sender.db() as db:
            assert db.query(VerificationCode).filter_by(email_key=email).count() == 0
    finally:
        person.close()


# --- forgot password ---------------------------------------------------------------------------------

def test_forgot_password_resets_it_and_leads_back_to_sign_in(idp, app, visitor, user, new_browser):
    signed_in = new_browser(idp)
    signed_in.sign_in_with_password(signed_in.authorize_url(app["id"], app["redirect_uris"][0]), user["email"],
                                    user["password"])
    visitor.open()
    page = visitor.get("/forgot-password")
    code = visitor.submit(page, "/forgot-password", email=user["email"])
    assert code.path == "/forgot-password/code"
    new = visitor.submit(code, "/forgot-password/code", code=idp.last_code(user["email"]))
    assert new.path == "/forgot-password/password"
    same = visitor.submit(new, "/forgot-password/password", password=user["password"], confirm=user["password"])
    assert same.status == 422 and same.error_code == "user.same_password"
    changed = visitor.submit(same, "/forgot-password/password", password=NEW_PASSWORD, confirm=NEW_PASSWORD)
    assert changed.status == 200 and changed.path == "/forgot-password/done"
    assert f'href="{idp.endpoint}/sign-in"' in changed.text
    silent = signed_in.follow(signed_in.authorize_url(app["id"], app["redirect_uris"][0], prompt="none"))
    assert query(silent.headers["location"])["error"] == "login_required"
    signed_in.close()
    again = visitor.get("/sign-in")
    old = visitor.submit(visitor.submit(again, "/sign-in", email=user["email"], method="password"),
                         "/sign-in/password", password=user["password"])
    assert old.error_code == "session.invalid_credentials"
    lands_on_client(app, visitor.submit(old, "/sign-in/password", password=NEW_PASSWORD))


def test_forgot_password_for_an_unknown_email_looks_the_same_and_sends_nothing(idp, visitor):
    email = new_email()
    visitor.open()
    answer = visitor.submit(visitor.get("/forgot-password"), "/forgot-password", email=email)
    assert answer.status == 200 and answer.path == "/forgot-password/code" and email in answer.text
    assert idp.messages(email) == []


# --- the catalogs ------------------------------------------------------------------------------------

def test_every_language_has_every_text_and_error():
    english = i18n.catalog("en")
    for locale in i18n.SUPPORTED:
        catalog = i18n.catalog(locale)
        for section in ("text", "errors"):
            assert set(catalog[section]) == set(english[section]), (locale, section)


REQUIRED_CODES = [
    "session.invalid_credentials", "verification_code.code_mismatch", "verification_code.expired",
    "verification_code.exceed_max_try", "verification_code.not_found", "request.message_rate_limited",
    "password.rejected", "user.same_password", "user.email_already_in_use", "user.user_not_exist",
    "guard.invalid_input", "session.verification_blocked_too_many_attempts", "user.sign_in_method_not_enabled",
    "auth.forbidden", "connector.general", "connector.not_found",
]


@pytest.mark.parametrize("locale", ["fr", "zh-CN"])
@pytest.mark.parametrize("code", REQUIRED_CODES)
def test_the_flow_errors_are_translated(locale, code):
    error = RequestError(code, "the flow's own English message")
    shown = i18n.Translator(locale).error(error)
    assert shown.message != error.message and shown.message != i18n.Translator("en").error(error).message


def test_an_unknown_error_shows_its_own_message():
    shown = i18n.Translator("fr").error(RequestError("entity.something_new", "Something new went wrong."))
    assert shown.message == "Something new went wrong."


@pytest.mark.parametrize("locale", ["fr", "zh-CN"])
@pytest.mark.parametrize("password, personal", [
    ("Ab1-", ()), ("x" * 300, ()), ("password123", ()), ("aaaaaaaaaa", ()), ("abcdefghij", ()),
    ("Sparrow-2024-Xy", ("sparrow@example.test",)),
])
def test_each_password_problem_is_translated(locale, password, personal):
    with pytest.raises(RequestError) as raised:
        passwords.check(password, personal)
    shown = i18n.Translator(locale).error(raised.value)
    assert shown.details and not set(shown.details) & set(raised.value.data["result"])


@pytest.mark.parametrize("ui_locales, header, expected", [
    (None, None, "en"), ("fr", "zh-CN", "fr"), ("de fr", None, "fr"), (None, "zh-TW, fr;q=0.2", "fr"),
    (None, "zh", "zh-CN"), (None, "en-GB;q=0.4, fr;q=0.8", "fr"), (None, "fr;q=0, en", "en"),
    (None, "fr;q=abc, zh-Hans", "zh-CN"), ("zh_CN", None, "zh-CN"),
])
def test_language_negotiation(ui_locales, header, expected):
    assert i18n.negotiate(ui_locales, header) == expected

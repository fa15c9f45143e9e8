"""Template choice, `{{ key }}` substitution and the one-recipient rule (Logto's connector-kit rules)."""

from __future__ import annotations

import pytest

from idp.mail import SendError
from idp.mail.templates import check_recipient, check_templates, choose, render, render_subject
from tests.aliyun import templates


def test_choose_takes_the_template_of_the_message_type():
    assert choose(templates(), "SignIn")["subject"] == "Sign-in code {{code}}"
    assert choose(templates(), "ForgotPassword")["subject"] == "Reset code {{code}}"


def test_choose_falls_back_to_generic():
    assert choose(templates(), "OrganizationInvitation")["usageType"] == "Generic"


def test_choose_without_match_or_generic_is_template_not_found():
    with pytest.raises(SendError) as caught:
        choose([{"usageType": "SignIn", "subject": "s", "content": "c"}], "Register")
    assert (caught.value.code, caught.value.message, caught.value.status) == (
        "connector.template_not_found", "Cannot find template for type: Register", 400)


def test_render_as_logtos_unit_test():
    template = choose(templates(), "SignIn")
    assert render(template["content"], {"code": "1234"}) == "Your sign-in code is 1234, 1234 is your code"
    assert render(template["subject"], {"code": "1234"}) == "Sign-in code 1234"


@pytest.mark.parametrize("text, payload, expected", [
    ("{{code}}|{{ code }}|{{\tcode\n}}", {"code": "42"}, "42|42|42"),
    ("{{link}}", {"code": "1"}, "{{link}}"),                              # missing root: left as is
    ("{{user.name}}", {"user": {"name": "Ann"}}, "Ann"),
    ("[{{user.missing}}]", {"user": {"name": "Ann"}}, "[]"),              # missing nested key: empty
    ("[{{user.name.first}}]", {"user": {"name": "Ann"}}, "[]"),
    ("[{{code}}]", {"code": None}, "[]"),
    ("{{count}} {{flag}}", {"count": 3, "flag": True}, "3 true"),
    ("{{ not-a-key }} {{}}", {"not": "x"}, "{{ not-a-key }} {{}}"),       # outside `[\w.]+`: untouched
    ("{{ code }}{{code}}", {"code": "{{code}}"}, "{{code}}{{code}}"),    # substituted once, not recursively
])
def test_render_substitution_rules(text, payload, expected):
    assert render(text, payload) == expected


def test_render_escapes_values_in_html_only():
    payload = {"applicationName": '<img src=x onerror="alert(1)">'}
    assert render("<p>{{applicationName}}</p>", payload, escape_html=True) == (
        "<p>&lt;img src=x onerror=&quot;alert(1)&quot;&gt;</p>")
    assert render("{{applicationName}}", payload) == payload["applicationName"]


def test_rendered_subject_is_one_line():
    assert render_subject("Code {{code}}", {"code": "1\r\nBcc: evil@example.test"}) == "Code 1 Bcc: evil@example.test"


@pytest.mark.parametrize("address", ["alice@example.test", "a.b+tag@sub.example.test", "o'hara@example.test"])
def test_single_plain_address_is_accepted(address):
    assert check_recipient(address) == address


@pytest.mark.parametrize("address", [
    "alice@example.test,attacker@evil.test", "alice@example.test;attacker@evil.test",
    "alice@example.test attacker@evil.test", " alice@example.test", "alice@example.test\r\nBcc: x@evil.test",
    "alice@example.test\n", "Alice <alice@example.test>", "<alice@example.test>", "alice@example.test\x00",
    '"a,b"@example.test', "alice", "alice@localhost", "alice@@example.test", "a@b@example.test",
    "undisclosed:;", "alice@example.test\t", "(comment)alice@example.test", "a" * 250 + "@example.test", "",
])
def test_anything_but_one_plain_address_is_rejected(address):
    with pytest.raises(SendError) as caught:
        check_recipient(address)
    assert (caught.value.code, caught.value.status) == ("guard.invalid_input", 400)


def test_template_list_needs_the_four_usage_types():
    with pytest.raises(SendError) as caught:
        check_templates([t for t in templates() if t["usageType"] not in ("Register", "Generic")])
    assert caught.value.code == "connector.invalid_config"
    assert caught.value.message == "Template with UsageType (Register, Generic) should be provided!"


def test_template_fields_must_be_strings():
    broken = templates()
    broken[1]["subject"] = 5
    with pytest.raises(SendError) as caught:
        check_templates(broken)
    assert caught.value.message == "templates.1.subject: Expected string"

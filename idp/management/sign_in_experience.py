"""`/api/sign-in-exp`: the parts of Logto's sign-in experience that idp has.

Like Logto's PATCH, `signUp` and `signIn` objects are merged into the stored ones (top-level
keys); `signInMode` replaces. Other Logto settings (branding, colors, languages, …) do not
exist in idp and are neither answered nor accepted.
"""

from __future__ import annotations

from typing import Any

from idp.experience import config
from idp.management.call import Call
from idp.services import Context

SECTIONS = ("signUp", "signIn")


def get_sign_in_experience(ctx: Context, call: Call) -> dict[str, Any]:
    return to_json(config.load(ctx.db))


def update_sign_in_experience(ctx: Context, call: Call) -> dict[str, Any]:
    current = config.load(ctx.db)
    patch = {key: value for key, value in call.body.items() if key in config.DEFAULT}
    for key in SECTIONS:
        if isinstance(patch.get(key), dict) and isinstance(current.get(key), dict):
            patch[key] = {**current[key], **patch[key]}
    check_identifiers(patch.get("signUp"))
    return to_json(config.save(ctx.db, patch))


def check_identifiers(sign_up: Any) -> None:
    # config.check turns the identifiers into a set; anything but a list of strings must fail first.
    identifiers = sign_up.get("identifiers", []) if isinstance(sign_up, dict) else []
    if not isinstance(identifiers, list) or not all(isinstance(item, str) for item in identifiers):
        raise config.invalid("signUp.identifiers must be a list of identifiers.")


def to_json(document: dict[str, Any]) -> dict[str, Any]:
    return {"tenantId": "default", "id": "default", **document}

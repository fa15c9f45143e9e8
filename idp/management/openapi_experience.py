"""The Experience API (`/api/experience/*`, see `idp.web.experience`) and the development outbox."""

from __future__ import annotations

from typing import Any

from idp.experience.flow import EVENTS
from idp.management.openapi_kit import array, body, nullable, obj, ok, operation, query, ref, text

TAG = "Experience"
TAG_DESCRIPTION = (
    "Logto's Experience API for a custom sign-in page. Each call acts on the interaction named by the "
    "browser's `_interaction` cookie, which the authorization endpoint (`/oidc/auth`) sets; without a live "
    "one every call answers 400 `session.not_found`. Bodies must be JSON (415 otherwise).")
EVENT = {"enum": list(EVENTS)}


def identifier(*kinds: str) -> dict[str, Any]:
    return obj({"type": {"enum": list(kinds)}, "value": text(256)}, ("type", "value"))


SCHEMAS: dict[str, Any] = {
    "InteractionEvent": obj({"interactionEvent": EVENT}, ("interactionEvent",)),
    "Interaction": obj({
        "interactionEvent": nullable(EVENT), "profile": {"type": "object"},
        "verificationRecords": array(obj({"id": {"type": "string"}, "type": {"type": "string"},
                                          "identifier": identifier("email", "username"),
                                          "verified": {"type": "boolean"}}, ("id", "type"))),
        "userId": {"type": "string"},
    }, ("interactionEvent", "profile", "verificationRecords")),
    "PasswordVerification": obj({"identifier": identifier("email", "username"), "password": text(256)},
                                ("identifier", "password")),
    "CodeRequest": obj({"identifier": identifier("email"), "interactionEvent": EVENT},
                       ("identifier", "interactionEvent")),
    "CodeVerification": obj({"identifier": identifier("email"), "verificationId": {"type": "string"},
                             "code": text(64)}, ("identifier", "verificationId", "code")),
    "Identification": obj({"verificationId": {"type": "string"}}),
    "ExperienceProfile": obj({"type": {"enum": ["password", "email"]}, "value": {"type": "string"},
                              "verificationId": {"type": "string"}}, ("type",),
                             description="`password` with `value`, or `email` with a verified `verificationId`."),
    "NewPassword": obj({"password": {"type": "string"}}, ("password",)),
    "VerificationId": obj({"verificationId": {"type": "string"}}, ("verificationId",)),
    "Redirect": obj({"redirectTo": {"type": "string", "format": "uri"}}, ("redirectTo",)),
    "OutboxMessage": obj({
        "id": {"type": "integer"}, "to": {"type": "string"}, "type": {"type": "string"},
        "subject": {"type": "string"}, "content": {"type": "string"}, "code": nullable({"type": "string"}),
        "created_at": {"type": "string", "format": "date-time"},
    }, ("id", "to", "type", "subject", "content", "code", "created_at")),
}


def step(op_id: str, summary: str, success: dict[int, Any], errors: tuple[int, ...],
         schema: str | None = None, description: str | None = None) -> dict[str, Any]:
    request = body(ref(schema), required=False) if schema else None
    return operation(op_id, summary, TAG, success, (400, 415, *errors), request=request, secured=False,
                     description=description)


def paths() -> dict[str, Any]:
    done = {204: ok("Done.")}
    verification = {200: ok("The verification record's id.", ref("VerificationId"))}
    return {
        "/api/experience": {"put": step("startInteraction", "Start (or restart) with an event", done, (403,),
                                        "InteractionEvent")},
        "/api/experience/interaction-event": {"put": step("setInteractionEvent", "Change the event", done, (403,),
                                                          "InteractionEvent")},
        "/api/experience/interaction": {"get": step("getInteraction", "What a custom UI may see",
                                                    {200: ok("The interaction.", ref("Interaction"))}, ())},
        "/api/experience/verification/password": {"post": step(
            "verifyPassword", "Verify a password", verification, (404, 422), "PasswordVerification")},
        "/api/experience/verification/verification-code": {"post": step(
            "sendVerificationCode", "Email a verification code", verification, (404, 422, 429, 501),
            "CodeRequest")},
        "/api/experience/verification/verification-code/verify": {"post": step(
            "verifyVerificationCodeInInteraction", "Verify an emailed code", verification, (404,),
            "CodeVerification")},
        "/api/experience/identification": {"post": step(
            "identifyUser", "Identify (or, for Register, create) the user",
            {201: ok("The user was created."), 204: ok("The user was identified.")}, (401, 403, 404, 409, 422),
            "Identification")},
        "/api/experience/profile": {"post": step("addProfile", "Add a password or a verified email", done,
                                                 (404, 422), "ExperienceProfile")},
        "/api/experience/profile/password": {"put": step("resetPassword", "Set the new password (ForgotPassword)",
                                                         done, (404, 422), "NewPassword")},
        "/api/experience/submit": {"post": step(
            "submitInteraction", "Finish",
            {200: ok("Continue the authorization there.", ref("Redirect")), 204: ok("The password was reset.")},
            (401, 404, 422))},
    }


def dev_paths() -> dict[str, Any]:
    return {"/api/dev/outbox": {"get": operation(
        "listOutbox", "Messages kept by the development outbox", "Development",
        {200: ok("Newest first, at most 100.", array(ref("OutboxMessage")))}, (400, 404), secured=False,
        params=(query("to", {"type": "string"}, "Only messages to this address (any case)."),
                query("after", {"type": "integer", "minimum": 0}, "Only messages newer than this message id."),
                query("wait", {"type": "number"}, "Answer as soon as a matching message exists, waiting up to "
                      "this many seconds (at most 60) for one.")),
        description="Only in development mode (IDP_DEV); 404 otherwise.")}}

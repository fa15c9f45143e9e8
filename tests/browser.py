"""A cookie-keeping HTTP client that walks the sign-in flow as a browser (or a custom UI) would;
the sign-in itself is idp.testing's, which the suite thereby tests too."""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from idp.testing import IdpServer, complete_sign_in


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def new_email() -> str:
    """An address no other test uses."""
    return f"user-{secrets.token_hex(4)}@example.test"


def query(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


class Browser:
    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.http = httpx.Client(base_url=endpoint, follow_redirects=False, timeout=30)

    def close(self) -> None:
        self.http.close()

    def authorize_url(self, client_id: str, redirect_uri: str, **params: str) -> str:
        values = {"client_id": client_id, "redirect_uri": redirect_uri, "response_type": "code",
                  "scope": "openid profile email", "state": secrets.token_urlsafe(8), **params}
        return f"{self.endpoint}/oidc/auth?{urlencode(values)}"

    def follow(self, url: str, method: str = "GET", **kwargs: Any) -> httpx.Response:
        """Follow redirects while they stay on idp; return the first answer that is not one."""
        response = self.http.request(method, url, **kwargs)
        while response.is_redirect:
            location = response.headers["location"]
            if not location.startswith(self.endpoint):
                return response
            response = self.http.get(location)
        return response

    def experience(self, method: str, path: str, body: Any = None) -> httpx.Response:
        return self.http.request(method, f"/api/experience{path}", json=body)

    def sign_in_with_password(self, url: str, email: str, password: str) -> str:
        """From an authorization URL to the redirect back to the client, through the Experience API."""
        self.land(url)
        return self.finish(complete_sign_in(self.http, email, password))

    def land(self, url: str) -> None:
        """Open an authorization URL and arrive on the sign-in page of the request it starts."""
        landing = self.follow(url)
        assert landing.status_code == 200 and landing.url.path == "/sign-in", landing.text[:300]

    def start(self, url: str, event: str = "SignIn") -> None:
        landing = self.follow(url)
        assert landing.status_code == 200, landing.text[:300]
        started = self.experience("PUT", "", {"interactionEvent": event})
        assert started.status_code == 204, started.text

    def send_code(self, email: str, event: str = "SignIn") -> httpx.Response:
        return self.experience("POST", "/verification/verification-code",
                               {"identifier": {"type": "email", "value": email}, "interactionEvent": event})

    def verify_code(self, email: str, verification_id: str, code: str) -> httpx.Response:
        return self.experience("POST", "/verification/verification-code/verify",
                               {"identifier": {"type": "email", "value": email}, "verificationId": verification_id,
                                "code": code})

    def code_verification(self, server: Any, email: str, event: str = "SignIn") -> str:
        """Send a code to `email`, read it from the outbox, verify it; returns the verificationId."""
        sent = self.send_code(email, event)
        assert sent.status_code == 200, sent.text
        verification_id = sent.json()["verificationId"]
        verified = self.verify_code(email, verification_id, server.last_code(email))
        assert verified.status_code == 200, verified.text
        return verification_id

    def sign_in_with_code(self, server: IdpServer, url: str, email: str) -> str:
        self.land(url)
        return self.finish(complete_sign_in(self.http, email, mailbox=server))

    def finish(self, redirect_to: str) -> str:
        response = self.follow(redirect_to)
        assert response.is_redirect, response.text[:300]
        return response.headers["location"]

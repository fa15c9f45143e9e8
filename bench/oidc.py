"""What both providers share from a client's side: PKCE, request bodies, ID token checks."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

ES384 = ec.ECDSA(hashes.SHA384())
FORM = "application/x-www-form-urlencoded"


def b64url_decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def basic_auth(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def authorize_query(target: dict[str, Any], challenge: str, nonce: str, offline: bool = False) -> str:
    scope = "openid profile email offline_access" if offline else "openid profile email"
    params = {"client_id": target["client_id"], "redirect_uri": target["redirect_uri"], "response_type": "code",
              "scope": scope, "state": secrets.token_urlsafe(8), "nonce": nonce,
              "code_challenge": challenge, "code_challenge_method": "S256"}
    if offline:
        params["prompt"] = "consent"
    return urlencode(params)


def code_from(location: str, redirect_uri: str) -> str:
    if not location.startswith(redirect_uri + "?"):
        raise ValueError(f"unexpected redirect: {location[:200]}")
    params = parse_qs(urlsplit(location).query)
    if "code" not in params:
        raise ValueError(f"no code in redirect: {location[:200]}")
    return params["code"][0]


def code_body(code: str, verifier: str, redirect_uri: str) -> bytes:
    return urlencode({"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
                      "code_verifier": verifier}).encode()


def refresh_body(refresh_token: str) -> bytes:
    return urlencode({"grant_type": "refresh_token", "refresh_token": refresh_token}).encode()


def public_key(jwk: dict[str, Any]) -> ec.EllipticCurvePublicKey:
    x = int.from_bytes(b64url_decode(jwk["x"]), "big")
    y = int.from_bytes(b64url_decode(jwk["y"]), "big")
    return ec.EllipticCurvePublicNumbers(x, y, ec.SECP384R1()).public_key()


def verify_id_token(key: ec.EllipticCurvePublicKey, token: str, audience: str, nonce: str | None) -> dict[str, Any]:
    """Check an ES384 ID token's signature (raises InvalidSignature), audience and nonce."""
    header, payload, signature = token.split(".")
    raw = b64url_decode(signature)
    der = encode_dss_signature(int.from_bytes(raw[:48], "big"), int.from_bytes(raw[48:], "big"))
    key.verify(der, f"{header}.{payload}".encode(), ES384)
    claims = json.loads(b64url_decode(payload))
    if claims.get("aud") != audience or (nonce is not None and claims.get("nonce") != nonce):
        raise ValueError(f"unexpected ID token claims: {claims}")
    return claims

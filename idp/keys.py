"""Signing keys: created on first start, kept in the database, parsed once per process.

`kid` is computed as Logto computes it: base64url(SHA-256(JSON of {crv,kty,x,y})) for EC keys and
of {e,kty,n} for RSA keys. The database says which key is current, so every worker signs with
the new key as soon as `idp keys rotate` commits; parsed key objects are cached by kid, which
never changes what a key is.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from typing import Any

from joserfc.jwk import ECKey, RSAKey
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from idp.models import SigningKey

EC_ALG = "ES384"
RSA_ALG = "RS256"
PUBLISHED = ("current", "previous")


def compute_kid(public: dict[str, Any]) -> str:
    names = ("crv", "kty", "x", "y") if public["kty"] == "EC" else ("e", "kty", "n")
    canonical = json.dumps({name: public[name] for name in names}, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def generate(alg: str) -> tuple[str, str]:
    """Return (kid, private PEM) of a new key for `alg`."""
    key = ECKey.generate_key("P-384") if alg == EC_ALG else RSAKey.generate_key(2048)
    kid = compute_kid(key.as_dict(private=False))
    return kid, key.as_pem(private=True).decode()


class KeyRing:
    """Parsed keys by kid (a cache that cannot change an answer)."""

    def __init__(self) -> None:
        self._parsed: dict[str, ECKey | RSAKey] = {}
        self._lock = threading.Lock()

    def parsed(self, row: SigningKey) -> ECKey | RSAKey:
        key = self._parsed.get(row.kid)
        if key is None:
            cls = ECKey if row.alg == EC_ALG else RSAKey
            key = cls.import_key(row.private_pem, parameters={"kid": row.kid, "alg": row.alg, "use": "sig"})
            with self._lock:
                self._parsed[row.kid] = key
        return key

    def signing_key(self, db: Session, alg: str) -> ECKey | RSAKey:
        row = db.scalars(
            select(SigningKey).where(SigningKey.alg == alg, SigningKey.status == "current")
        ).first()
        if row is None:
            raise LookupError(f"no current {alg} signing key; run `idp keys rotate --alg {alg}`")
        return self.parsed(row)

    def verification_keys(self, db: Session) -> list[ECKey | RSAKey]:
        rows = db.scalars(
            select(SigningKey).where(SigningKey.status.in_(PUBLISHED)).order_by(SigningKey.created_at.desc())
        )
        return [self.parsed(row) for row in rows]

    def jwks(self, db: Session) -> dict[str, Any]:
        return {"keys": [key.as_dict(private=False) for key in self.verification_keys(db)]}


def available_algs(db: Session) -> list[str]:
    rows = db.scalars(select(SigningKey.alg).where(SigningKey.status == "current").distinct())
    return sorted(rows, key=lambda alg: alg != EC_ALG)


def ensure(db: Session, now: Any, alg: str = EC_ALG) -> None:
    """Create the first key of `alg` if there is none."""
    exists = db.scalar(select(SigningKey.kid).where(SigningKey.alg == alg).limit(1))
    if exists is None:
        add(db, now, alg)


def add(db: Session, now: Any, alg: str) -> str:
    kid, pem = generate(alg)
    db.add(SigningKey(kid=kid, alg=alg, private_pem=pem, status="current", created_at=now))
    return kid


def rotate(db: Session, now: Any, alg: str = EC_ALG) -> dict[str, Any]:
    """Make a new key current; the old current key stays published as previous,
    and the key before it is retired."""
    db.execute(
        update(SigningKey).where(SigningKey.alg == alg, SigningKey.status == "previous").values(status="retired")
    )
    db.execute(
        update(SigningKey).where(SigningKey.alg == alg, SigningKey.status == "current").values(status="previous")
    )
    kid = add(db, now, alg)
    return {"kid": kid, "alg": alg}

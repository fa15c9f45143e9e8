"""The ES384 signing ceiling: JWS signatures per second on one core, with a pre-parsed key.

`python -m bench.signing SECONDS` prints JSON: joserfc's `jwt.encode` of an ID-token-sized payload
(what idp's token endpoint does once per response) and, for reference, the bare `cryptography`
signature under it.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from joserfc import jwt
from joserfc.jwk import ECKey

BATCH = 50
ROUNDS = 3


def rate(work: Callable[[], object], seconds: float) -> float:
    """Calls per second of `work`, the median of ROUNDS timed rounds."""
    rates = []
    for _ in range(ROUNDS):
        done, started = 0, time.perf_counter()
        while time.perf_counter() - started < seconds / ROUNDS:
            for _ in range(BATCH):
                work()
            done += BATCH
        rates.append(done / (time.perf_counter() - started))
    return statistics.median(rates)


def id_token_payload() -> dict[str, object]:
    now = int(time.time())
    return {"sub": "u" * 12, "name": None, "picture": None, "username": None, "email": "bench@example.test",
            "email_verified": True, "iss": "http://127.0.0.1:3001/oidc", "aud": "a" * 21, "iat": now,
            "exp": now + 3600, "nonce": "n" * 11, "sid": "s" * 21, "auth_time": now}


def ceiling(seconds: float) -> dict[str, float]:
    key = ECKey.generate_key("P-384", parameters={"kid": "bench", "alg": "ES384"})
    header = {"alg": "ES384", "typ": "JWT", "kid": key.kid}
    payload = id_token_payload()
    signing_input = b"x" * 400
    algorithm = ec.ECDSA(hashes.SHA384())
    return {
        "joserfc_jwt_per_s": rate(lambda: jwt.encode(header, payload, key, algorithms=["ES384"]), seconds),
        "cryptography_sign_per_s": rate(lambda: key.private_key.sign(signing_input, algorithm), seconds),
    }


def main() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    print(json.dumps(ceiling(float(sys.argv[1]) if len(sys.argv) > 1 else 3.0)))


if __name__ == "__main__":
    main()

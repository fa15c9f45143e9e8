"""Settings read from `IDP_*` environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

TRUE_WORDS = {"1", "true", "yes", "on"}
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1", "0.0.0.0", "::", "")
# Whole-number settings, each settable as IDP_<NAME> (e.g. IDP_CODE_TTL=60). Lifetimes are seconds.
INT_NAMES = ("access_token_ttl", "id_token_ttl", "code_ttl", "refresh_token_ttl", "session_ttl",
             "interaction_ttl", "client_credentials_ttl", "verification_code_ttl", "verification_code_max_tries",
             "message_rate_limit", "message_rate_window", "verify_failure_limit", "verify_failure_window",
             "lockout_seconds", "client_auth_failure_limit", "client_auth_address_failure_limit",
             "client_auth_failure_window")


@dataclass(frozen=True)
class Settings:
    endpoint: str = "http://localhost:3001"
    host: str = "127.0.0.1"
    port: int = 3001
    data_dir: Path = Path("data")
    database_url: str = ""
    dev: bool = False
    access_log: bool = True
    log_format: str = "text"  # or "json": one JSON object per line
    access_token_ttl: int = 3600
    id_token_ttl: int = 3600
    code_ttl: int = 60
    refresh_token_ttl: int = 14 * 24 * 3600
    session_ttl: int = 14 * 24 * 3600
    interaction_ttl: int = 3600
    client_credentials_ttl: int = 600
    # Logto's verificationCodePolicy, message rate limit and sentinel defaults.
    verification_code_ttl: int = 600
    verification_code_max_tries: int = 10
    message_rate_limit: int = 10
    message_rate_window: int = 600
    verify_failure_limit: int = 100
    verify_failure_window: int = 3600
    lockout_seconds: int = 3600
    # Failed client authentications per confidential client and per source address, within the
    # window; the next ones are throttled for a window (0 turns a limit off).
    client_auth_failure_limit: int = 20
    client_auth_address_failure_limit: int = 100
    client_auth_failure_window: int = 600
    signing_key_file: str | None = None
    # Development mode: every address at these email domains gets this code (e.g. example.test=000000).
    fixed_codes: dict[str, str] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def issuer(self) -> str:
        return f"{self.endpoint}/oidc"

    @property
    def secure_cookies(self) -> bool:
        return self.endpoint.startswith("https://")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        host = env.get("IDP_HOST") or cls.host
        if env.get("IDP_ENDPOINT"):
            endpoint = env["IDP_ENDPOINT"].rstrip("/")
            check_endpoint(endpoint)
            port = int(env.get("IDP_PORT") or urlsplit(endpoint).port or cls.port)
        else:  # the endpoint follows where idp listens
            port = int(env.get("IDP_PORT") or cls.port)
            endpoint = local_endpoint(host, port)
        data_dir = Path(env.get("IDP_DATA_DIR", "data"))
        return cls(
            endpoint=endpoint,
            host=host,
            port=port,
            data_dir=data_dir,
            database_url=env.get("IDP_DATABASE_URL") or f"sqlite:///{data_dir / 'idp.db'}",
            dev=env.get("IDP_DEV", "").lower() in TRUE_WORDS,
            access_log=env.get("IDP_ACCESS_LOG", "1").lower() in TRUE_WORDS,
            log_format=log_format(env.get("IDP_LOG_FORMAT") or "text"),
            **{name: int(env[f"IDP_{name.upper()}"]) for name in INT_NAMES if f"IDP_{name.upper()}" in env},
            signing_key_file=env.get("IDP_SIGNING_KEY_FILE") or None,
            fixed_codes=parse_pairs(env.get("IDP_DEV_FIXED_CODES", "")),
            extra={k: v for k, v in env.items() if k.startswith("IDP_")},
        )


def local_endpoint(host: str, port: int) -> str:
    """The URL of an idp listening on `host`:`port` without IDP_ENDPOINT: `localhost` for the
    loopback and every-interface addresses, the host itself otherwise."""
    if host in LOCAL_HOSTS:
        host = "localhost"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def log_format(value: str) -> str:
    if value.lower() not in ("text", "json"):
        raise ValueError(f"IDP_LOG_FORMAT must be text or json, got {value!r}")
    return value.lower()


def parse_pairs(text: str) -> dict[str, str]:
    """`"a=1,b=2"` -> {"a": "1", "b": "2"}."""
    pairs = (item.split("=", 1) for item in text.split(",") if "=" in item)
    return {key.strip().lower(): value.strip() for key, value in pairs}


def check_endpoint(endpoint: str) -> None:
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"IDP_ENDPOINT must be an http(s) URL, got {endpoint!r}")
    if parts.query or parts.fragment or parts.username:
        raise ValueError("IDP_ENDPOINT must not carry a query, fragment or user name")

"""Starting the servers under test on 127.0.0.1: idp (`idp serve`) and node-oidc-provider."""

from __future__ import annotations

import http.client
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import procfs

HERE = Path(__file__).parent
NODE_DIR = HERE / "node"
DISCOVERY = "/oidc/.well-known/openid-configuration"
PATHS = {"discovery": DISCOVERY, "jwks": "/oidc/jwks", "auth": "/oidc/auth", "token": "/oidc/token",
         "userinfo": "/oidc/me"}
REDIRECT_URI = "http://127.0.0.1/bench/callback"
EMAIL, PASSWORD = "bench@example.test", "Bench-Password-9"


@dataclass
class Spec:
    name: str
    kind: str  # "idp" or "node"
    database: str | None = None  # "sqlite" or "postgres" (idp)
    workers: int = 1
    whatif: str = ""  # bench/whatif.py patches, comma-separated (idp only)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def discovery_status(port: int) -> int | None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", DISCOVERY)
        return connection.getresponse().status
    except OSError:
        return None
    finally:
        connection.close()


class Server:
    """One server process (with its workers) and what a client needs to know about it."""

    def __init__(self, spec: Spec, workdir: Path, postgres_url: str | None = None) -> None:
        self.spec = spec
        self.workdir = workdir
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.client: dict[str, str] = {}
        self.database_url = self._database_url(postgres_url)
        if spec.kind == "node":
            self._prepare_node()

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self, timeout: float = 60) -> float:
        """Start the process; return the seconds from spawn to the first 200 from discovery."""
        log = self.workdir / f"{self.spec.name}.log"
        started = time.perf_counter()
        with log.open("a") as output:  # the process keeps its own
            self.process = subprocess.Popen(self._command(), env=self._env(), stdout=output, stderr=subprocess.STDOUT,
                                            cwd=NODE_DIR if self.spec.kind == "node" else HERE.parent)
        while time.perf_counter() - started < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.spec.name} exited with {self.process.returncode}; see {log}")
            if discovery_status(self.port) == 200:
                return time.perf_counter() - started
            time.sleep(0.002)
        raise TimeoutError(f"{self.spec.name} did not answer discovery within {timeout} s")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def pids(self) -> list[int]:
        return procfs.tree(self.process.pid) if self.process else []

    def rss_mb(self) -> float:
        return procfs.rss_bytes(self.pids()) / 2**20

    def pss_mb(self) -> float:
        return procfs.pss_bytes(self.pids()) / 2**20

    # -- what the load generator needs ---------------------------------------------------------

    def target(self) -> dict[str, Any]:
        return {"name": self.spec.name, "kind": self.spec.kind, "host": "127.0.0.1", "port": self.port,
                "paths": PATHS, "redirect_uri": REDIRECT_URI, "email": EMAIL, "password": PASSWORD,
                **self.client}

    def seed(self) -> None:
        """Create the client and the user (idp: with its command line; node: fixed at start)."""
        if self.spec.kind == "node":
            return
        app = self.cli("app", "create", "--name", "bench", "--type", "traditional", "--redirect-uri", REDIRECT_URI)
        self.cli("user", "create", "--email", EMAIL, "--password", PASSWORD)
        self.client = {"client_id": app["id"], "client_secret": app["secret"]}

    def cli(self, *args: str) -> Any:
        result = subprocess.run([str(idp_command()), *args], env=self._env(), capture_output=True, text=True,
                                timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"idp {' '.join(args)}: {result.stderr[-500:]}")
        return json.loads(result.stdout)

    # -- internals -----------------------------------------------------------------------------

    def _database_url(self, postgres_url: str | None) -> str | None:
        if self.spec.database == "sqlite":
            return f"sqlite:///{self.workdir / self.spec.name}.db"
        if self.spec.database == "postgres":
            if not postgres_url:
                raise ValueError("no PostgreSQL URL")
            return fresh_postgres(postgres_url, "idp_bench")
        return None

    def _prepare_node(self) -> None:
        from joserfc.jwk import ECKey

        key = ECKey.generate_key("P-384").as_dict(private=True)
        key.update(alg="ES384", use="sig", kid=secrets.token_urlsafe(8))
        (self.workdir / "node-key.json").write_text(json.dumps(key))
        self.client = {"client_id": "bench-" + secrets.token_hex(6), "client_secret": secrets.token_urlsafe(32),
                       "account_id": "bench-" + secrets.token_hex(6)}

    def _command(self) -> list[str]:
        if self.spec.kind == "node":
            return ["node", str(NODE_DIR / "provider.mjs")]
        serve = ["serve", "--workers", str(self.spec.workers)]
        if self.spec.whatif:
            return [sys.executable, "-m", "bench.whatif", *serve]
        return [str(idp_command()), *serve]

    def _env(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith("IDP_")}
        if self.spec.kind == "node":
            return {**env, "PORT": str(self.port), "KEY_FILE": str(self.workdir / "node-key.json"),
                    "CLIENT_ID": self.client["client_id"], "CLIENT_SECRET": self.client["client_secret"],
                    "REDIRECT_URI": REDIRECT_URI, "ACCOUNT_ID": self.client["account_id"], "ACCOUNT_EMAIL": EMAIL,
                    "NODE_ENV": "production"}
        if self.spec.whatif:
            env["BENCH_WHATIF"] = self.spec.whatif
        return {**env, "IDP_ENDPOINT": f"http://127.0.0.1:{self.port}", "IDP_PORT": str(self.port),
                "IDP_DATABASE_URL": self.database_url, "IDP_DATA_DIR": str(self.workdir / self.spec.name)}


def idp_command() -> Path:
    return Path(sys.executable).parent / "idp"


def fresh_postgres(admin_url: str, name: str) -> str:
    """Drop and create database `name` next to `admin_url`'s; return its SQLAlchemy URL."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    base = admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{base}/{name}"


def postgres_problem(admin_url: str) -> str | None:
    """Why PostgreSQL cannot be used, or None."""
    try:
        import psycopg

        with psycopg.connect(admin_url, connect_timeout=3):
            return None
    except Exception as error:  # noqa: BLE001 (ImportError or any connection failure)
        return f"{type(error).__name__}: {error}"

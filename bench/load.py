"""The load generator: a process of its own, reading a plan (JSON) on stdin, printing results (JSON).

`python -m bench.load < plan.json`. Each scenario runs `concurrency` virtual users in one asyncio
loop, each with its own keep-alive connections (a browser one carrying its SSO session cookies and
a back-end one for the token endpoint), for a fixed time; it records throughput, latencies, its own
CPU time and the server's (from /proc).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bench import procfs
from bench.http1 import Connection, Response
from bench.oidc import (
    FORM,
    authorize_query,
    basic_auth,
    code_body,
    code_from,
    pkce_pair,
    public_key,
    refresh_body,
    verify_id_token,
)


class ExhaustedError(Exception):
    """The user has nothing left to send (no collected code)."""


@dataclass
class User:
    browser: Connection
    backend: Connection
    refresh_token: str
    access_token: str
    codes: list[tuple[str, str]] = field(default_factory=list)

    def reset(self) -> None:
        self.browser.close()
        self.backend.close()


def expect(response: Response, *statuses: int) -> Response:
    if response.status not in statuses:
        raise RuntimeError(f"HTTP {response.status}: {response.body[:120]!r}")
    return response


class Operations:
    """One unit of work per scenario; each returns the token request's latency, if it made one."""

    def __init__(self, target: dict[str, Any]) -> None:
        self.target = target
        self.paths = target["paths"]
        self.key = public_key(target["jwk"])
        self.token_headers = {"Authorization": basic_auth(target["client_id"], target["client_secret"]),
                              "Content-Type": FORM}

    async def discovery(self, user: User) -> None:
        expect(await user.browser.request("GET", self.paths["discovery"]), 200)

    async def jwks(self, user: User) -> None:
        expect(await user.browser.request("GET", self.paths["jwks"]), 200)

    async def userinfo(self, user: User) -> None:
        headers = {"Authorization": f"Bearer {user.access_token}"}
        expect(await user.backend.request("GET", self.paths["userinfo"], headers=headers), 200)

    async def refresh(self, user: User) -> None:
        response = await self._token(user, refresh_body(user.refresh_token))
        user.refresh_token = json.loads(response.body).get("refresh_token", user.refresh_token)

    async def flow(self, user: User) -> float:
        """authorize with the SSO session -> code -> token -> check the ID token's signature."""
        verifier, challenge = pkce_pair()
        nonce = secrets.token_urlsafe(8)
        code = await self._authorize(user, challenge, nonce)
        started = time.perf_counter()
        response = await self._token(user, code_body(code, verifier, self.target["redirect_uri"]))
        latency = time.perf_counter() - started
        verify_id_token(self.key, json.loads(response.body)["id_token"], self.target["client_id"], nonce)
        return latency

    async def collect_code(self, user: User) -> None:
        verifier, challenge = pkce_pair()
        user.codes.append((await self._authorize(user, challenge, secrets.token_urlsafe(8)), verifier))

    async def exchange_code(self, user: User) -> float:
        if not user.codes:
            raise ExhaustedError
        code, verifier = user.codes.pop()
        started = time.perf_counter()
        response = await self._token(user, code_body(code, verifier, self.target["redirect_uri"]))
        if "id_token" not in json.loads(response.body):
            raise RuntimeError("no ID token")
        return time.perf_counter() - started

    async def _authorize(self, user: User, challenge: str, nonce: str) -> str:
        target = f"{self.paths['auth']}?{authorize_query(self.target, challenge, nonce)}"
        response = expect(await user.browser.request("GET", target), 302, 303)
        return code_from(response.header("location"), self.target["redirect_uri"])

    async def _token(self, user: User, body: bytes) -> Response:
        return expect(await user.backend.request("POST", self.paths["token"], body, self.token_headers), 200)


Operation = Callable[[User], Awaitable[float | None]]


def percentile(sorted_values: list[float], fraction: float) -> float | None:
    if not sorted_values:
        return None
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


def summary(prefix: str, seconds: list[float]) -> dict[str, float | None]:
    ordered = sorted(seconds)
    p50, p99 = percentile(ordered, 0.50), percentile(ordered, 0.99)
    return {f"{prefix}p50_ms": p50 and p50 * 1000, f"{prefix}p99_ms": p99 and p99 * 1000}


async def measure(users: list[User], operation: Operation, seconds: float, pids: list[int]) -> dict[str, Any]:
    """Run `operation` in a loop for every user until `seconds` have passed."""
    latencies: list[float] = []
    token_latencies: list[float] = []
    errors: Counter[str] = Counter()
    deadline = time.perf_counter() + seconds

    async def drive(user: User) -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                token_latency = await operation(user)
            except ExhaustedError:
                return
            except Exception as error:  # noqa: BLE001 (counted and reported; the connection starts afresh)
                errors[f"{type(error).__name__}: {str(error)[:100]}"] += 1
                user.reset()
                await asyncio.sleep(0.01)
                continue
            latencies.append(time.perf_counter() - started)
            if token_latency is not None:
                token_latencies.append(token_latency)

    busy, client_cpu, server_cpu = procfs.machine_busy_seconds(), time.process_time(), procfs.cpu_seconds(pids)
    started = time.perf_counter()
    await asyncio.gather(*(drive(user) for user in users))
    elapsed = time.perf_counter() - started
    client_cores = (time.process_time() - client_cpu) / elapsed
    server_cores = (procfs.cpu_seconds(pids) - server_cpu) / elapsed
    machine_cores = (procfs.machine_busy_seconds() - busy) / elapsed
    return {
        "count": len(latencies), "seconds": elapsed, "rps": len(latencies) / elapsed,
        **summary("", latencies), **summary("token_", token_latencies),
        "errors": sum(errors.values()), "error_samples": errors.most_common(3),
        "client_cores": client_cores, "server_cores": server_cores,
        "other_cores": max(0.0, machine_cores - client_cores - server_cores),  # anything else running
        "server_rss_mb": procfs.rss_bytes(pids) / 2**20,
    }


async def run_scenario(ops: Operations, users: list[User], scenario: dict[str, Any], seconds: float,
                       pids: list[int]) -> dict[str, Any]:
    if scenario["kind"] == "token":  # collect codes first (not measured), then exchange them
        await measure(users, ops.collect_code, seconds, pids)
        return await measure(users, ops.exchange_code, seconds, pids)
    return await measure(users, getattr(ops, scenario["kind"]), seconds, pids)


async def run_plan(plan: dict[str, Any]) -> list[dict[str, Any]]:
    target = plan["target"]
    ops = Operations(target)
    users = [User(Connection(target["host"], target["port"], dict(seeded["cookies"])),
                  Connection(target["host"], target["port"]), seeded["refresh_token"], seeded["access_token"])
             for seeded in target["users"]]
    results = []
    for scenario in plan["scenarios"]:
        chosen = users[:scenario["concurrency"]]
        if plan["warmup"] > 0:
            await run_scenario(ops, chosen, scenario, plan["warmup"], plan["pids"])
        runs = [await run_scenario(ops, chosen, scenario, plan["seconds"], plan["pids"])
                for _ in range(plan["repeats"])]
        for user in chosen:
            user.codes.clear()
        results.append({**scenario, "runs": runs})
        print(f"    {scenario['name']:<12} {runs[-1]['rps']:8.0f}/s  errors {sum(r['errors'] for r in runs)}",
              file=sys.stderr, flush=True)
    for user in users:
        user.reset()
    return results


def main() -> None:
    plan = json.load(sys.stdin)
    json.dump(asyncio.run(run_plan(plan)), sys.stdout)


if __name__ == "__main__":
    main()

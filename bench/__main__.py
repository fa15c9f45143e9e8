"""`python -m bench`: idp against node-oidc-provider, side by side; see bench/README.md."""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import profile, report, seed, whatif
from bench.servers import Server, Spec, postgres_problem

HERE = Path(__file__).parent
SPECS = {
    "node": Spec("node", "node"),
    "idp-sqlite-1w": Spec("idp-sqlite-1w", "idp", "sqlite", 1),
    "idp-sqlite-2w": Spec("idp-sqlite-2w", "idp", "sqlite", 2),
    "idp-pg-1w": Spec("idp-pg-1w", "idp", "postgres", 1),
    "idp-pg-2w": Spec("idp-pg-2w", "idp", "postgres", 2),
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench", description=__doc__)
    parser.add_argument("--seconds", type=float, default=2.0, help="length of one measured run")
    parser.add_argument("--warmup", type=float, default=0.5, help="unmeasured run before each scenario")
    parser.add_argument("--repeats", type=int, default=3, help="measured runs per scenario (median reported)")
    parser.add_argument("--cold-starts", type=int, default=3, help="timed restarts per server")
    parser.add_argument("--idle-wait", type=float, default=2.0, help="seconds after start before idle RSS")
    parser.add_argument("--concurrency", type=int, default=8, help="virtual users for the non-flow scenarios")
    parser.add_argument("--flow-concurrency", default="1,8,32", help="virtual users for full flows")
    parser.add_argument("--targets", default=",".join(SPECS), help=f"comma-separated, from {', '.join(SPECS)}")
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL",
                                                                 "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--signing-seconds", type=float, default=3.0)
    parser.add_argument("--profile-seconds", type=float, default=15.0, help="0 skips the py-spy profile")
    parser.add_argument("--whatif", default="", help="also run every idp target with these bench/whatif.py "
                        "patches (comma-separated: nodelay, static-discovery, standard); an experiment")
    parser.add_argument("--out", type=Path, default=HERE / "results.json")
    return parser.parse_args(argv)


def scenarios(args: argparse.Namespace) -> list[dict[str, Any]]:
    simple = [("discovery", "discovery"), ("jwks", "jwks")]
    flows = [(f"flow c{c}", "flow", int(c)) for c in args.flow_concurrency.split(",")]
    after = [("token", "token"), ("refresh", "refresh"), ("userinfo", "userinfo")]
    return ([{"name": n, "kind": k, "concurrency": args.concurrency} for n, k in simple]
            + [{"name": n, "kind": k, "concurrency": c} for n, k, c in flows]
            + [{"name": n, "kind": k, "concurrency": args.concurrency} for n, k in after])


def signing_ceiling(seconds: float) -> dict[str, float]:
    output = subprocess.run([sys.executable, "-m", "bench.signing", str(seconds)], cwd=HERE.parent,
                            capture_output=True, text=True, check=True).stdout
    return json.loads(output)


def run_load(target: dict[str, Any], plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Run the load generator in its own process (progress goes to stderr)."""
    output = subprocess.run([sys.executable, "-m", "bench.load"], cwd=HERE.parent, stdout=subprocess.PIPE,
                            input=json.dumps({**plan, "target": target}), text=True, check=True).stdout
    return json.loads(output)


def timed_starts(server: Server, count: int) -> list[float]:
    starts = []
    for _ in range(count):
        starts.append(server.start())
        server.stop()
    return starts


def bench_target(spec: Spec, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    print(f"== {spec.name}", file=sys.stderr, flush=True)
    server = Server(spec, workdir, args.postgres_url)
    try:
        first_start = timed_starts(server, 1)[0]  # fresh database: migrations and the first key
        cold_starts = timed_starts(server, args.cold_starts)
        server.start()
        time.sleep(args.idle_wait)
        idle_rss, idle_pss = server.rss_mb(), server.pss_mb()
        server.seed()
        target = server.target()
        target["jwk"] = seed.signing_jwk(target)
        target["users"] = seed.users(target, max(s["concurrency"] for s in scenarios(args)))
        plan = {"scenarios": scenarios(args), "seconds": args.seconds, "warmup": args.warmup,
                "repeats": args.repeats, "pids": server.pids()}
        results = run_load(target, plan)
    finally:
        server.stop()
    return {"workers": spec.workers, "first_start_s": first_start, "cold_starts_s": cold_starts,
            "idle_rss_mb": idle_rss, "idle_pss_mb": idle_pss, "scenarios": results}


def chosen_specs(args: argparse.Namespace, skipped: dict[str, str]) -> list[Spec]:
    specs = [SPECS[name] for name in args.targets.split(",")]
    if args.whatif:  # each idp target, then the same with the patches (an A/B in one run)
        specs = [variant for s in specs for variant in
                 ([s, Spec(f"{s.name}+{args.whatif}", s.kind, s.database, s.workers, args.whatif)]
                  if s.kind == "idp" else [s])]
    if any(spec.database == "postgres" for spec in specs):
        problem = postgres_problem(args.postgres_url)
        if problem:
            for spec in specs:
                if spec.database == "postgres":
                    skipped[spec.name] = f"PostgreSQL unavailable: {problem}"
            specs = [spec for spec in specs if spec.database != "postgres"]
    return specs


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started, load_at_start = time.perf_counter(), os.getloadavg()
    skipped: dict[str, str] = {}
    specs = chosen_specs(args, skipped)
    if "standard" in args.whatif.split(","):
        whatif.install_standard()
    print("== ES384 signing ceiling", file=sys.stderr, flush=True)
    signing = signing_ceiling(args.signing_seconds)
    workdir = Path(tempfile.mkdtemp(prefix="idp-bench-"))
    try:
        measured = {spec.name: bench_target(spec, args, workdir) for spec in specs}
        profiled = None
        if args.profile_seconds > 0:
            print("== profile: idp-sqlite-1w under full flows (py-spy)", file=sys.stderr, flush=True)
            profiled = profile.run(args, workdir, HERE)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    machine = {"machine": platform.machine(), "cpus": os.cpu_count(), "loadavg_at_start": load_at_start,
               "python": platform.python_version(), "node": node_version(),
               "elapsed_s": time.perf_counter() - started}
    results = report.build(measured, signing, skipped, profiled, vars(args) | {"out": str(args.out)}, machine)
    args.out.write_text(json.dumps(results, indent=2))
    print(report.render(results))
    print(f"\nwritten: {args.out}")
    return 0


def node_version() -> str:
    return subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()


if __name__ == "__main__":
    sys.exit(main())

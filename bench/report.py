"""Medians over repeats, the idp / node-oidc-provider ratios, the targets, and the printed table."""

from __future__ import annotations

import statistics
from typing import Any

BASELINE = "node"
FIGURES = ("rps", "p50_ms", "p99_ms", "token_p50_ms", "token_p99_ms", "client_cores", "server_cores",
           "other_cores", "server_rss_mb")


def median(values: list[float | None]) -> float | None:
    present = [value for value in values if value is not None]
    return statistics.median(present) if present else None


def summarize_scenario(scenario: dict[str, Any]) -> dict[str, Any]:
    runs = scenario["runs"]
    summary = {figure: median([run.get(figure) for run in runs]) for figure in FIGURES}
    summary["errors"] = sum(run["errors"] for run in runs)
    summary["error_samples"] = [sample for run in runs for sample in run["error_samples"]][:3]
    summary["concurrency"] = scenario["concurrency"]
    return summary


def summarize_target(measured: dict[str, Any]) -> dict[str, Any]:
    scenarios = {scenario["name"]: summarize_scenario(scenario) for scenario in measured["scenarios"]}
    return {
        "cold_start_s": median(measured["cold_starts_s"]),
        "cold_starts_s": measured["cold_starts_s"],
        "first_start_s": measured["first_start_s"],
        "idle_rss_mb": measured["idle_rss_mb"],
        "idle_pss_mb": measured["idle_pss_mb"],
        "loaded_rss_mb": max(run["server_rss_mb"] for s in measured["scenarios"] for run in s["runs"]),
        "scenarios": scenarios,
        "raw": measured["scenarios"],
    }


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def targets_for(summary: dict[str, Any], baseline: dict[str, Any] | None,
                signing: dict[str, float], workers: int) -> list[dict[str, Any]]:
    """Each target with its measured value and whether it is met (None: could not be measured)."""
    rows = []
    scenarios = summary["scenarios"]
    base = (baseline or {}).get("scenarios", {})

    def relative(label: str, scenario: str, goal: float) -> None:
        value = ratio(scenarios.get(scenario, {}).get("rps"), base.get(scenario, {}).get("rps"))
        rows.append({"target": label, "goal": f">= {goal:g}x node", "value": value, "unit": "x",
                     "met": None if value is None else value >= goal})

    for scenario in sorted((s for s in scenarios if s.startswith("flow")), key=lambda s: int(s.split("c")[-1])):
        relative(f"full flows/s, {scenario}", scenario, 2.0)
    relative("discovery/s", "discovery", 1.5)
    relative("JWKS/s", "jwks", 1.5)
    cold = summary["cold_start_s"]
    rows.append({"target": "cold start", "goal": "<= 0.3 s", "value": cold, "unit": "s", "met": cold <= 0.3})
    idle = summary["idle_rss_mb"]
    rows.append({"target": "idle RSS", "goal": "<= 60 MB", "value": idle, "unit": "MB", "met": idle <= 60})
    ceiling = signing["joserfc_jwt_per_s"] * workers
    share = ratio(scenarios.get("token", {}).get("rps"), ceiling)
    rows.append({"target": "token endpoint / ES384 ceiling", "goal": ">= 60% (x workers)",
                 "value": share and share * 100, "unit": "%", "met": None if share is None else share >= 0.6})
    return rows


def build(measured: dict[str, Any], signing: dict[str, float], skipped: dict[str, str], profiled: Any,
          settings: dict[str, Any], machine: dict[str, Any]) -> dict[str, Any]:
    summaries = {name: summarize_target(result) for name, result in measured.items()}
    baseline = summaries.get(BASELINE)
    targets = {}
    for name, summary in summaries.items():
        if name != BASELINE:
            targets[name] = targets_for(summary, baseline, signing, measured[name]["workers"])
    return {"machine": machine, "settings": settings, "signing_ceiling": signing, "servers": summaries,
            "targets": targets, "skipped": skipped, "profile": profiled}


# -- rendering --------------------------------------------------------------------------------------

def number(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                       for i, (cell, w) in enumerate(zip(row, widths, strict=True)))
             for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def scenario_rows(servers: dict[str, Any]) -> list[list[str]]:
    names = list(next(iter(servers.values()))["scenarios"]) if servers else []
    rows = []
    for scenario in names:
        cells = [servers[s]["scenarios"].get(scenario, {}) for s in servers]
        rows.append([f"{scenario} /s"] + [number(c.get("rps")) + error_mark(c) for c in cells])
        if scenario.startswith("flow") or scenario == "token":
            rows.append(["  token p50 / p99 ms"] + [
                f"{number(c.get('token_p50_ms'), 1)} / {number(c.get('token_p99_ms'), 1)}" for c in cells])
        rows.append(["  server CPU ms per op"] + [number(cpu_ms(c), 2) for c in cells])
        if scenario.startswith("flow"):
            rows.append(["  cores: server/client/other"] + [
                "/".join(number(c.get(f"{who}_cores"), 2) for who in ("server", "client", "other")) for c in cells])
    return rows


def cpu_ms(cell: dict[str, Any]) -> float | None:
    """Server CPU per operation: less disturbed than throughput when other processes compete."""
    cores, rps = cell.get("server_cores"), cell.get("rps")
    return cores / rps * 1000 if cores is not None and rps else None


def error_mark(cell: dict[str, Any]) -> str:
    return f" ({cell['errors']} err)" if cell.get("errors") else ""


def render(results: dict[str, Any]) -> str:
    servers = results["servers"]
    header = ["median of repeats", *servers]
    rows = [
        *scenario_rows(servers),
        ["cold start s (first)", *(f"{number(s['cold_start_s'], 3)} ({number(s['first_start_s'], 2)})"
                                   for s in servers.values())],
        ["idle RSS MB (PSS)", *(f"{number(s['idle_rss_mb'], 1)} ({number(s['idle_pss_mb'], 1)})"
                                for s in servers.values())],
        ["loaded RSS MB", *(number(s["loaded_rss_mb"], 1) for s in servers.values())],
    ]
    signing = results["signing_ceiling"]
    parts = [(f"machine: {results['machine']['cpus']} cores, load average at start "
              f"{', '.join(f'{x:.1f}' for x in results['machine'].get('loadavg_at_start', []))}"),
             table(header, rows),
             (f"\nES384 signing ceiling, one core: joserfc jwt.encode {number(signing['joserfc_jwt_per_s'])}/s, "
              f"bare cryptography sign {number(signing['cryptography_sign_per_s'])}/s")]
    parts += [render_targets(results["targets"])] if results["targets"] else []
    parts += [f"skipped {name}: {why}" for name, why in results["skipped"].items()]
    cores = [c["client_cores"] for s in servers.values() for c in s["scenarios"].values() if c.get("client_cores")]
    if cores:
        parts.append(f"load generator CPU: {min(cores):.2f}-{max(cores):.2f} cores "
                     f"(of {results['machine']['cpus']}) across scenarios")
    other = [c["other_cores"] for s in servers.values() for c in s["scenarios"].values() if c.get("other_cores")]
    if other:
        parts.append(f"other processes on the machine during the runs: median {statistics.median(other):.2f}, "
                     f"max {max(other):.2f} cores (above ~0.1, they disturbed the numbers)")
    if results.get("profile"):
        parts.append(f"profile: {results['profile']['summary_file']}")
    return "\n".join(parts)


def render_targets(targets: dict[str, list[dict[str, Any]]]) -> str:
    names = list(targets)
    labels = [row["target"] for row in next(iter(targets.values()))]
    goals = {row["target"]: row["goal"] for rows in targets.values() for row in rows}
    rows = []
    for label in labels:
        cells = []
        for name in names:
            row = next((r for r in targets[name] if r["target"] == label), None)
            if row is None or row["value"] is None:
                cells.append("-")
                continue
            digits = 3 if row["unit"] == "s" else (1 if row["unit"] in ("MB", "%") else 2)
            cells.append(f"{number(row['value'], digits)}{row['unit']} {'met' if row['met'] else 'NOT met'}")
        rows.append([label, goals[label], *cells])
    return "\n" + table(["target (idp vs node)", "goal", *names], rows)

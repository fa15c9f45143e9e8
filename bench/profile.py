"""A py-spy profile of idp (SQLite, one worker) under full-flow load, and a summary of it.

py-spy samples the running server from outside (no code change), twice during one load run: with
--gil (only the thread holding the GIL: where the Python CPU goes, the serial part of a worker)
and without it (every thread not asleep in a syscall py-spy knows: lock and database waits show
up too). The collapsed stacks go to bench/profile.{gil,all}.raw.txt; bench/profile.txt lists
where the samples fall: by thread, by package (leaf frame and anywhere on the stack), and by
function (self and inclusive).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench import seed
from bench.servers import Server, Spec

FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*?)(?::\d+)?\)$")
TOP = 25


def py_spy() -> str | None:
    return shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")


def run(args: Any, workdir: Path, here: Path, concurrency: int = 8) -> dict[str, Any]:
    tool = py_spy()
    if tool is None:
        return {"skipped": "py-spy is not installed (bench/run installs it)"}
    server = Server(Spec("profile-idp-sqlite-1w", "idp", "sqlite", 1), workdir)
    raw_files = {"gil": here / "profile.gil.raw.txt", "all": here / "profile.all.raw.txt"}
    summary_file = here / "profile.txt"
    try:
        server.start()
        server.seed()
        target = server.target()
        target["jwk"] = seed.signing_jwk(target)
        target["users"] = seed.users(target, concurrency)
        warmup = 1.0
        plan = {"scenarios": [{"name": f"flow c{concurrency}", "kind": "flow", "concurrency": concurrency}],
                "seconds": args.profile_seconds, "warmup": warmup, "repeats": 1, "pids": server.pids(),
                "target": target}
        load = subprocess.Popen([sys.executable, "-m", "bench.load"], cwd=here.parent, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True)
        load.stdin.write(json.dumps(plan))
        load.stdin.close()
        time.sleep(warmup + 0.2)
        each = max(1, int((args.profile_seconds - 1) / 2))
        for mode, raw_file in raw_files.items():
            record(tool, server.process.pid, each, raw_file, gil=mode == "gil")
        measured = json.loads(load.stdout.read())[0]["runs"][0]
        load.wait()
    finally:
        server.stop()
    sections = [(f"idp-sqlite-1w, full flows at c{concurrency} under py-spy: {measured['rps']:.0f} flows/s "
                 f"(server {measured['server_cores']:.2f} cores)")]
    for mode, raw_file in raw_files.items():
        title = "GIL holder only (--gil)" if mode == "gil" else "all threads not idle"
        sections.append(f"===== {title}: {raw_file.name}\n\n{summarize(raw_file.read_text())}")
    summary_file.write_text("\n\n".join(sections))
    return {"raw_files": [str(f) for f in raw_files.values()], "summary_file": str(summary_file),
            "flows_per_s": measured["rps"], "server_cores": measured["server_cores"]}


def record(tool: str, pid: int, seconds: int, output: Path, gil: bool) -> None:
    subprocess.run([tool, "record", "--pid", str(pid), "--duration", str(seconds), "--rate", "200",
                    "--threads", "--format", "raw", "--output", str(output), *(["--gil"] if gil else [])],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


# -- summary ----------------------------------------------------------------------------------------

def package(file: str) -> str:
    """A frame's package as py-spy names files: 'sqlalchemy/orm/session.py' -> 'sqlalchemy',
    'threading.py' -> 'threading', 'idp/oidc/tokens.py' -> 'idp/oidc'."""
    parts = file.split("/")
    if parts[0] == "idp" and len(parts) > 2:
        return "/".join(parts[:2])
    return parts[0].removesuffix(".py")


def parse(raw: str) -> list[tuple[list[tuple[str, str]], int]]:
    stacks = []
    for line in raw.splitlines():
        frames_text, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        frames = []
        for frame in frames_text.split(";"):
            match = FRAME.match(frame)
            frames.append((match["function"], match["file"]) if match else (frame, ""))
        stacks.append((frames, int(count)))
    return stacks


def shares(counter: Counter[str], total: int, limit: int = TOP) -> str:
    return "\n".join(f"  {100 * n / total:5.1f}%  {name}" for name, n in counter.most_common(limit))


def summarize(raw: str) -> str:
    stacks = parse(raw)
    total = sum(count for _, count in stacks) or 1
    leaf_package, any_package, self_fn, inclusive_fn, threads = Counter(), Counter(), Counter(), Counter(), Counter()
    for frames, count in stacks:
        code = [f for f in frames if f[1]]  # py-spy's thread frame has no file
        thread = frames[0][0] if frames and not frames[0][1] else "?"
        threads[thread.split(": ", 1)[-1]] += count
        if not code:
            continue
        function, file = code[-1]
        leaf_package[package(file)] += count
        self_fn[f"{function} ({file})"] += count
        for name in {package(f) for _, f in code}:
            any_package[name] += count
        for name in {f"{fn} ({f})" for fn, f in code}:
            inclusive_fn[name] += count
    return "\n\n".join([
        f"{total} samples at 200 Hz",
        "by thread:\n" + shares(threads, total, 8),
        "self time by package (the frame running):\n" + shares(leaf_package, total),
        "samples with the package anywhere on the stack:\n" + shares(any_package, total),
        "self time by function:\n" + shares(self_fn, total),
        "inclusive time by function:\n" + shares(inclusive_fn, total, 60),
    ]) + "\n"

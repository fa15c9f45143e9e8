"""The `idp` command run as a newcomer runs it: in a folder of their own, with only the settings they set.

`Shell` runs `python -m idp ...` in a folder with a clean `IDP_*` environment; `Shell.serve`
starts `idp serve` there and yields it once it answers, with its output in a file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from idp.testing import free_port, wait_ready


@dataclass
class Running:
    process: subprocess.Popen
    port: int
    output: Path

    @property
    def local(self) -> str:
        """Where the test reaches it (the loopback address it listens on)."""
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.output.read_text()


class Shell:
    def __init__(self, folder: Path, **env: str) -> None:
        self.folder = folder
        self.env = {**{k: v for k, v in os.environ.items() if not k.startswith("IDP_")}, **env}

    def run(self, *args: str, stdin: str | None = None, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "idp", *args], cwd=self.folder, env={**self.env, **env},
                              input=stdin, capture_output=True, text=True, timeout=60)

    def ok(self, *args: str, **env: str) -> Any:
        result = self.run(*args, **env)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    @contextmanager
    def serve(self, *args: str, port: int | None = None, **env: str) -> Iterator[Running]:
        """`idp serve ARGS` in the folder; without `port`, `--port` must be among `args` or in `env`."""
        port = port or free_port()
        output = self.folder / f"serve-{port}.log"
        with open(output, "w") as log:
            process = subprocess.Popen([sys.executable, "-m", "idp", "serve", *args], cwd=self.folder,
                                       env={**self.env, **env}, stdout=log, stderr=subprocess.STDOUT)
        running = Running(process, port, output)
        try:
            wait_ready(running.local, process)
            yield running
        finally:
            process.terminate()
            process.wait(10)

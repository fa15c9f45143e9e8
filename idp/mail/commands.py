"""`idp connector ...`: manage the active email connector (what Logto's Console does)."""

from __future__ import annotations

from typing import Any


def add_commands(sub: Any) -> None:
    """Register the `connector` subcommands on the top-level parser's subparsers."""

"""One Management API request as an operation sees it, and what an operation answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import QueryParams


@dataclass(frozen=True)
class Call:
    path: dict[str, str]
    query: QueryParams
    body: dict[str, Any]
    url: str = ""

    def param(self, name: str) -> str:
        return self.path[name]


@dataclass
class Reply:
    """A JSON answer with a status other than 200 or extra headers (None as body: no content)."""

    body: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)

"""Logto's pagination: `page` (from 1) and `page_size` (1..100, default 20).

The answer carries the `Total-Number` header and RFC 8288 `Link` headers (first, last, prev,
next). Where Logto makes pagination optional, a request with neither parameter gets every row
and no pagination headers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from starlette.datastructures import QueryParams

from idp.errors import RequestError
from idp.management.call import Reply

DEFAULT_SIZE = 20
MAX_SIZE = 100
MAX_PAGE = 10**6


@dataclass(frozen=True)
class Page:
    number: int
    size: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


def read(query: QueryParams, *, optional: bool = False) -> Page | None:
    """The requested page; None when pagination is optional and not asked for."""
    page, size = query.get("page"), query.get("page_size")
    if optional and page is None and size is None:
        return None
    number = _positive(page, MAX_PAGE) if page is not None else 1
    return Page(number, _positive(size, MAX_SIZE) if size is not None else DEFAULT_SIZE)


def _positive(value: str, maximum: int) -> int:
    if not (value.isascii() and value.isdigit() and len(value) <= 7 and 1 <= int(value) <= maximum):
        raise RequestError("guard.invalid_pagination", "The pagination value is not valid.", 400)
    return int(value)


def reply(rows: list[Any], page: Page | None, total: int, url: str) -> Reply:
    """The rows of one page with Logto's pagination headers (none when not paginated)."""
    if page is None:
        return Reply(rows)
    last = max(math.ceil(total / page.size), 1)
    links = [link(url, 1, "first"), link(url, last, "last")]
    if page.number > 1:
        links.append(link(url, page.number - 1, "prev"))
    if page.number < last:
        links.append(link(url, page.number + 1, "next"))
    return Reply(rows, headers={"Total-Number": str(total), "Link": ", ".join(links)})


def link(url: str, number: int, rel: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in QueryParams(parts.query).multi_items() if k != "page"]
    query.append(("page", str(number)))
    return f'<{parts.scheme}://{parts.netloc}{parts.path}?{urlencode(query)}>; rel="{rel}"'

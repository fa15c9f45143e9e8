"""A lean HTTP/1.1 keep-alive client on asyncio streams: one connection, one request at a time.

It does only what the benchmark needs (fixed host, Content-Length or chunked bodies, a small
cookie jar) so that the load generator spends as little CPU per request as possible.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    cookies: dict[str, str]
    body: bytes

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name, default)


@dataclass
class Connection:
    host: str
    port: int
    jar: dict[str, str] = field(default_factory=dict)
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, target: str, body: bytes = b"",
                      headers: dict[str, str] | None = None) -> Response:
        """Send one request (reconnecting once if the kept-alive connection was closed)."""
        payload = self._encode(method, target, body, headers or {})
        for attempt in (1, 2):
            if self.writer is None:
                await self._connect()
            try:
                self.writer.write(payload)
                response = await self._read_response()
                break
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()
                if attempt == 2:
                    raise
        if response.header("connection").lower() == "close":
            self.close()
        for name, value in response.cookies.items():
            if value:
                self.jar[name] = value
            else:
                self.jar.pop(name, None)  # an empty value clears the cookie
        return response

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def _connect(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    def _encode(self, method: str, target: str, body: bytes, headers: dict[str, str]) -> bytes:
        lines = [f"{method} {target} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if self.jar:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.jar.items()))
        if body or method in ("POST", "PUT"):
            lines.append(f"Content-Length: {len(body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body

    async def _read_response(self) -> Response:
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head[:-4].decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        headers: dict[str, str] = {}
        cookies: dict[str, str] = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                cookie_name, _, rest = value.partition("=")
                cookies[cookie_name] = rest.split(";", 1)[0]
            else:
                headers[name] = value
        body = await self._read_body(headers)
        return Response(status, headers, cookies, body)

    async def _read_body(self, headers: dict[str, str]) -> bytes:
        if "content-length" in headers:
            return await self.reader.readexactly(int(headers["content-length"]))
        if headers.get("transfer-encoding", "").lower() == "chunked":
            return await self._read_chunks()
        return b""

    async def _read_chunks(self) -> bytes:
        parts = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size + 2))
            parts[-1] = parts[-1][:-2]


"""A lean HTTP/1.1 keep-alive client for the providers' JSON POSTs.

Pre-labelling makes thousands of small calls; through httpx each costs about 1 ms of client CPU (request
and response models, cookies, auth and redirect hooks, httpcore's pool, anyio's cancel scopes, and the
headers and body sent as two writes), which caps a 2-core machine at a few hundred calls a second. This
client does only what a provider call needs: one write per request, one read of the head, the body by
``Content-Length`` or chunks (gzip/deflate decoded), and the connection kept for the next call; about
0.15 ms a call. TLS goes through :mod:`ssl` with the provider's shared context.

A reply is untrusted: its body is refused past :data:`MAX_BODY` bytes, before decompression and after it
(a 0.5 MB gzip bomb would otherwise inflate to 512 MB), and :func:`loads` parses its JSON with the nesting
and the length of its numbers bounded, so a hostile reply fails its own request with a
:class:`ResponseTooLarge` or a ``ValueError`` and never the run.

When an HTTP proxy is configured in the environment (``HTTPS_PROXY``, ``ALL_PROXY`` …, not bypassed by
``NO_PROXY``), :func:`make_client` hands back an httpx-based client instead, so proxies work as before.
"""

from __future__ import annotations

import asyncio
import ssl
import urllib.request
import zlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from labelloop._version import __version__
from labelloop.data.io import JSONTextError, parse_json


class TransportError(Exception):
    """The request did not get a complete HTTP answer; ``str()`` reads ``Kind: detail`` like httpx's errors."""

    def __init__(self, kind: str, detail: object = "") -> None:
        self.kind = kind
        self.detail = str(detail) or "connection failed"
        super().__init__(f"{kind}: {self.detail}")


class ConnectError(TransportError):
    pass


class ResponseTooLarge(TransportError):
    """The reply is bigger than :data:`MAX_BODY`, as sent or once decompressed; retrying would not help."""

    def __init__(self, detail: str) -> None:
        super().__init__("ResponseTooLarge", detail)


class RequestTimeout(Exception):
    """No complete answer within the client's timeout."""


#: The largest reply body accepted, as sent and once decompressed: a provider's JSON answer is a few kB.
MAX_BODY = 16 * 1024 * 1024
#: The deepest JSON accepted from a reply; an envelope with a label answer in it needs about ten levels.
MAX_JSON_DEPTH = 64
#: The longest integer accepted in a reply's JSON; longer ones cannot even be turned into a float.
MAX_INT_DIGITS = 64


def _mib(n: int) -> str:
    return f"{n / (1024 * 1024):g} MiB"


class JSONLimitError(ValueError):
    """JSON that parses but is refused for its shape; ``str()`` is a phrase: "nests deeper than 64 levels"."""


def loads(data: str | bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """JSON from an untrusted reply, through :func:`labelloop.data.io.parse_json` with a reply's bounds:
    nesting past ``max_depth``, integers longer than :data:`MAX_INT_DIGITS`, NaN, Infinity, numbers only an
    infinite float could hold (``1e999``) and lone surrogates (which no UTF-8 output can hold) raise a
    :class:`JSONLimitError`; malformed JSON a ``json.JSONDecodeError``; bytes must be valid UTF-8 (or UTF-16/32).

    Too-deep JSON otherwise raises ``RecursionError`` (or parses, and breaks whatever walks it next), and a
    4,301-digit integer a bare ``ValueError``; either used to end the run.
    """
    try:
        return parse_json(data, max_depth=max_depth, max_int_digits=MAX_INT_DIGITS, finite=True)
    except JSONTextError as exc:
        raise JSONLimitError(exc.phrase) from None


@dataclass
class Response:
    status_code: int
    reason_phrase: str
    headers: dict[str, str]  # lower-case names; repeated headers joined with ", "
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body as JSON, bounded (see :func:`loads`); a ``ValueError`` when it is not acceptable JSON."""
        return loads(self.content)


@dataclass(frozen=True)
class _Target:
    key: tuple[str, str, int]  # scheme, host, port: which connections can serve it
    host: str
    port: int
    tls: bool
    head: bytes  # request line and the fixed headers, up to the per-call ones


def _target(url: str) -> _Target:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(f"unsupported URL scheme {parts.scheme!r} in {url}")
    host = parts.hostname
    if not host:
        raise ValueError(f"no host in {url}")
    port = parts.port or (443 if scheme == "https" else 80)
    shown = f"[{host}]" if ":" in host else host
    if port != (443 if scheme == "https" else 80):
        shown += f":{port}"
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

    head = (f"POST {path} HTTP/1.1\r\nHost: {shown}\r\nUser-Agent: labelloop/{__version__}\r\nAccept: */*\r\n"
            "Accept-Encoding: gzip, deflate\r\nConnection: keep-alive\r\n").encode("ascii")
    return _Target((scheme, host, port), host, port, scheme == "https", head)


def _header_lines(headers: dict[str, str]) -> str:
    out = []
    for k, v in headers.items():
        if any(c in k for c in "\r\n: ") or "\r" in v or "\n" in v:
            raise ValueError(f"the HTTP header {k!r} has a line break or a colon where it cannot")
        out.append(f"{k}: {v}\r\n")
    return "".join(out)


class _Connection:
    __slots__ = ("reader", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @property
    def usable(self) -> bool:
        """Still open: the server has not hung up while it sat idle."""
        return not self.writer.transport.is_closing() and not self.reader.at_eof()

    def close(self) -> None:
        self.writer.close()

    async def exchange(self, data: bytes) -> tuple[Response, bool]:
        """Send one request, read its answer; also says whether the connection can be reused."""
        self.writer.write(data)
        await self.writer.drain()
        reader = self.reader
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            version, _, rest = lines[0].partition(" ")
            code_text, _, reason = rest.partition(" ")
            if not version.startswith("HTTP/1.") or not code_text.isdigit():
                raise TransportError("RemoteProtocolError", f"not an HTTP/1 status line: {lines[0][:80]!r}")
            status = int(code_text)
            if status >= 200 or status == 101:
                break  # 1xx are interim answers: the real one follows
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if not line:
                continue
            name, sep, value = line.partition(":")
            if not sep:
                raise TransportError("RemoteProtocolError", f"malformed header line {line[:80]!r}")
            name = name.strip().lower()
            value = value.strip()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        conn = {t.strip().lower() for t in headers.get("connection", "").split(",")}
        keep = "close" not in conn and (version == "HTTP/1.1" or "keep-alive" in conn)
        if status in (204, 304):
            body = b""
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            body = await self._read_chunked()
        elif "content-length" in headers:
            text = headers["content-length"].split(",")[0].strip()
            if not text.isdigit() or len(text) > 20:
                raise TransportError("RemoteProtocolError", "bad Content-Length")
            length = int(text)
            if length > MAX_BODY:
                raise ResponseTooLarge(f"its body is {length} bytes, over the {_mib(MAX_BODY)} limit")
            body = await reader.readexactly(length)
        else:  # the body runs to the end of the connection
            parts = []
            total = 0
            while chunk := await reader.read(65536):
                total += len(chunk)
                if total > MAX_BODY:
                    raise ResponseTooLarge(f"its body is over the {_mib(MAX_BODY)} limit")
                parts.append(chunk)
            body = b"".join(parts)
            keep = False
        encoding = headers.get("content-encoding", "").strip().lower()
        if encoding and encoding != "identity":
            body = _decode(body, encoding)
        return Response(status, reason, headers, body), keep

    async def _read_chunked(self) -> bytes:
        reader = self.reader
        parts = []
        total = 0
        while True:
            line = await reader.readuntil(b"\r\n")
            text = line.split(b";", 1)[0].strip()
            try:
                size = int(text, 16) if len(text) <= 16 else -1
            except ValueError:
                size = -1
            if size < 0:
                raise TransportError("RemoteProtocolError", "bad chunk size")
            total += size
            if total > MAX_BODY:
                raise ResponseTooLarge(f"its body is over the {_mib(MAX_BODY)} limit")
            if size == 0:
                while (trailer := await reader.readuntil(b"\r\n")) != b"\r\n":
                    total += len(trailer)
                    if total > MAX_BODY:
                        raise ResponseTooLarge(f"its body is over the {_mib(MAX_BODY)} limit")
                return b"".join(parts)
            parts.append((await reader.readexactly(size + 2))[:-2])


def _decode(body: bytes, encoding: str) -> bytes:
    """Undo ``Content-Encoding``, each layer inflated to at most :data:`MAX_BODY` bytes."""
    try:
        for enc in reversed([e.strip() for e in encoding.lower().split(",")]):
            if enc in ("gzip", "x-gzip"):
                body = _inflate(body, 47)
            elif enc == "deflate":
                try:
                    body = _inflate(body, 15)
                except zlib.error:
                    body = _inflate(body, -15)
            elif enc not in ("identity", ""):
                raise TransportError("DecodingError", f"unsupported Content-Encoding {enc[:40]!r}")
    except zlib.error as exc:
        raise TransportError("DecodingError", exc) from None
    return body


def _inflate(data: bytes, wbits: int) -> bytes:
    d = zlib.decompressobj(wbits)
    out = d.decompress(data, MAX_BODY + 1)  # stops at the limit: a bomb never gets inflated whole
    if len(out) > MAX_BODY:
        raise ResponseTooLarge(f"it inflates to more than the {_mib(MAX_BODY)} limit")
    if not d.eof:
        raise zlib.error("incomplete or truncated stream")
    return out


class HTTPClient:
    """Up to ``max_connections`` keep-alive connections; ``post`` is safe to call from concurrent tasks."""

    def __init__(self, *, timeout: float, max_connections: int = 1, ssl_context: ssl.SSLContext | None = None) -> None:
        self.timeout = timeout
        self.max_connections = max(1, max_connections)
        self._ssl = ssl_context
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._targets: dict[str, _Target] = {}
        self._slots: asyncio.Semaphore | None = None
        self._closed = False

    async def __aenter__(self) -> HTTPClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        self._closed = True
        conns = [c for idle in self._idle.values() for c in idle]
        self._idle.clear()
        for c in conns:
            c.close()
        if conns:
            await asyncio.sleep(0)  # let the transports finish closing their sockets

    async def post(self, url: str, content: bytes, headers: dict[str, str]) -> Response:
        """POST ``content`` as JSON. Raises :class:`RequestTimeout`, :class:`TransportError` or ``ValueError``."""
        target = self._targets.get(url)
        if target is None:
            target = self._targets[url] = _target(url)
        data = b"".join((target.head, _header_lines({"Content-Type": "application/json", **headers,
                                                      "Content-Length": str(len(content))}).encode("latin-1"),
                         b"\r\n", content))
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.max_connections)
        async with self._slots:
            try:
                return await _within(self.timeout, self._send(target, data))
            except asyncio.TimeoutError:
                raise RequestTimeout(f"no answer within {self.timeout:g} s") from None

    async def _send(self, target: _Target, data: bytes) -> Response:
        idle = self._idle.setdefault(target.key, [])
        while idle:
            conn = idle.pop()
            if not conn.usable:
                conn.close()
                continue
            try:
                return await self._exchange(conn, target, data)
            except TransportError as exc:
                # a kept-alive connection the server dropped while idle: say it again on a fresh one
                if exc.kind != "ReadError":
                    raise
        return await self._exchange(await self._connect(target), target, data)

    async def _exchange(self, conn: _Connection, target: _Target, data: bytes) -> Response:
        try:
            resp, keep = await conn.exchange(data)
        except TransportError:
            conn.close()
            raise
        except asyncio.IncompleteReadError as exc:
            conn.close()
            raise TransportError("ReadError" if not exc.partial else "RemoteProtocolError",
                                 "the server closed the connection mid-answer" if exc.partial
                                 else "the server closed the connection without answering") from None
        except asyncio.LimitOverrunError:
            conn.close()
            raise TransportError("RemoteProtocolError", "the response head is too long") from None
        except (ConnectionError, ssl.SSLError) as exc:
            conn.close()
            raise TransportError("ReadError", exc) from None
        except OSError as exc:
            conn.close()
            if isinstance(exc, TimeoutError):
                raise
            raise TransportError("ReadError", exc) from None
        except BaseException:  # cancelled or timed out mid-call: the connection is in an unknown state
            conn.close()
            raise
        if keep and not self._closed:
            self._idle[target.key].append(conn)
        else:
            conn.close()
        return resp

    async def _connect(self, target: _Target) -> _Connection:
        ctx = None
        if target.tls:
            ctx = self._ssl if self._ssl is not None else ssl.create_default_context()
        try:
            reader, writer = await asyncio.open_connection(target.host, target.port, ssl=ctx,
                                                           server_hostname=target.host if ctx else None,
                                                           limit=1 << 20)
        except OSError as exc:
            if isinstance(exc, TimeoutError):
                raise
            raise ConnectError("ConnectError", exc) from None
        return _Connection(reader, writer)


if hasattr(asyncio, "timeout"):  # Python 3.11+: a timer on the running task, no extra task per call
    async def _within(seconds: float, coro: Any) -> Any:
        async with asyncio.timeout(seconds):
            return await coro
else:  # pragma: no cover - Python 3.10
    async def _within(seconds: float, coro: Any) -> Any:
        return await asyncio.wait_for(coro, seconds)


def proxied(url: str) -> bool:
    """Whether the environment routes ``url`` through a proxy (the variables httpx honours)."""
    proxies = urllib.request.getproxies_environment()
    parts = urlsplit(url)
    if not (proxies.get(parts.scheme.lower()) or proxies.get("all")):
        return False
    return not urllib.request.proxy_bypass_environment(parts.hostname or "", proxies)


class HttpxClient:
    """The same ``post`` through httpx, for when a proxy is configured."""

    def __init__(self, *, timeout: float, max_connections: int = 1, ssl_context: ssl.SSLContext | None = None) -> None:
        import httpx

        self._httpx = httpx
        n = max(1, max_connections)
        limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
        self._client = httpx.AsyncClient(timeout=httpx.Timeout(timeout), limits=limits,
                                         verify=ssl_context if ssl_context is not None else True)
        self.timeout = timeout

    async def __aenter__(self) -> HttpxClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def post(self, url: str, content: bytes, headers: dict[str, str]) -> Response:
        """The body is read raw, up to :data:`MAX_BODY`, and decoded by our bounded :func:`_decode`."""
        httpx = self._httpx
        try:
            async with self._client.stream("POST", url, content=content, headers={
                    "Content-Type": "application/json", "Accept-Encoding": "gzip, deflate", **headers}) as resp:
                length = resp.headers.get("content-length", "").split(",")[0].strip()
                if length.isdigit() and int(length) > MAX_BODY:
                    raise ResponseTooLarge(f"its body is {length} bytes, over the {_mib(MAX_BODY)} limit")
                parts = []
                total = 0
                async for chunk in resp.aiter_raw():
                    total += len(chunk)
                    if total > MAX_BODY:
                        raise ResponseTooLarge(f"its body is over the {_mib(MAX_BODY)} limit")
                    parts.append(chunk)
        except httpx.TimeoutException:
            raise RequestTimeout(f"no answer within {self.timeout:g} s") from None
        except httpx.UnsupportedProtocol as exc:
            raise ValueError(str(exc)) from None
        except httpx.TransportError as exc:
            raise TransportError(type(exc).__name__, exc) from None
        headers_out = {k.lower(): v for k, v in resp.headers.items()}
        body = b"".join(parts)
        encoding = headers_out.get("content-encoding", "").strip().lower()
        if encoding and encoding != "identity":
            body = _decode(body, encoding)
        return Response(resp.status_code, resp.reason_phrase, headers_out, body)


def make_client(url: str, *, timeout: float, max_connections: int = 1,
                ssl_context: ssl.SSLContext | None = None) -> HTTPClient | HttpxClient:
    """The lean client, or the httpx one when the environment sends ``url`` through a proxy."""
    cls = HttpxClient if proxied(url) else HTTPClient
    return cls(timeout=timeout, max_connections=max_connections, ssl_context=ssl_context)

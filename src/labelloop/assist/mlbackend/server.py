"""The ML backend over HTTP: a bounded server in front of ``MLBackend.handle``.

Every request is untrusted, so the HTTP side is bounded (``Limits``): a request is authenticated and
its ``Content-Length`` checked before a byte of its body is read; connections have an idle timeout,
a deadline for reading a whole request, and a cap on how many are served at once. Without
authentication the server listens only on loopback and answers only requests addressed to a
loopback name that no web page sent (no foreign ``Origin``), so a page the user opens can neither
inject labels nor read ``/metrics`` after DNS rebinding; POST bodies must be ``application/json``,
which a page cannot send cross-site without a preflight the server never grants. A 500 reply says
only an error id; the details go to the log.
"""

from __future__ import annotations

import base64
import contextlib
import hmac
import io
import json
import logging
import secrets
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from labelloop.assist.mlbackend.backend import MLBackend
from labelloop.assist.mlbackend.protocol import MAX_BODY
from labelloop.data.io import JSONTextError, parse_json
from labelloop.errors import LabelloopError
from labelloop.urls import LOOPBACK, is_loopback

log = logging.getLogger("labelloop.mlbackend")


@dataclass(frozen=True)
class Limits:
    """Bounds of the HTTP server. Every request is untrusted: its size, how long it may take to arrive and how
    many connections are served at once are capped, so slow or hostile clients cannot hold memory or threads."""

    max_body: int = MAX_BODY  # bytes of one request body; more gets 413 before a byte of it is read
    max_connections: int = 64  # connections served at once; one more gets 503 and is closed
    timeout: float = 30.0  # seconds a connection may stay silent (between requests or within one)
    request_timeout: float = 120.0  # seconds from a request's first byte until its headers and body are in
    backlog: int = 128  # the listen queue; socketserver's default of 5 resets bursts of new connections

    def __post_init__(self) -> None:
        for name in ("max_body", "max_connections", "backlog"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise LabelloopError(f"{name} must be a whole number of at least 1, not {value!r}.")
        for name in ("timeout", "request_timeout"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise LabelloopError(f"{name} must be a number of seconds above 0, not {value!r}.")


class Auth:
    """Basic auth (``user:pass``) and/or a shared secret (``X-Labelloop-Secret`` or ``Authorization: Bearer``)."""

    def __init__(self, basic: str | None = None, secret: str | None = None) -> None:
        if basic is not None and ":" not in basic:
            raise LabelloopError("--basic-auth must be user:password.")
        self.basic = basic
        self.secret = secret

    @property
    def required(self) -> bool:
        return bool(self.basic or self.secret)

    def ok(self, headers: Any) -> bool:
        if not self.required:
            return True
        auth = headers.get("Authorization") or ""
        if self.basic and auth.startswith("Basic "):
            try:
                given = base64.b64decode(auth[6:].strip()).decode("utf-8")
            except (ValueError, UnicodeDecodeError):
                given = ""
            if hmac.compare_digest(given.encode(), self.basic.encode()):
                return True
        if self.secret:
            given = headers.get("X-Labelloop-Secret") or (auth[7:].strip() if auth.startswith("Bearer ") else "")
            if given and hmac.compare_digest(given.encode(), self.secret.encode()):
                return True
        return False


def _loopback_authority(value: str | None) -> bool:
    """A ``Host`` header naming a loopback host, with or without a port."""
    if not value:
        return False
    value = value.strip()
    if value.startswith("["):
        host, _, rest = value.partition("]")
        host, port = host + "]", rest[1:] if rest.startswith(":") else None
        if rest and port is None:
            return False
    elif value.count(":") == 1:
        host, port = value.split(":")
    else:
        host, port = value, None
    return is_loopback(host) and (port is None or (port.isdigit() and len(port) <= 5))


def _loopback_origin(value: str) -> bool:
    try:
        parts = urlsplit(value.strip())
        return parts.scheme in ("http", "https") and parts.hostname is not None and is_loopback(parts.hostname)
    except ValueError:
        return False


def check_host(host: str, auth: Auth | None = None) -> None:
    """Without authentication the backend listens only on loopback: anyone who can reach it could feed it labels."""
    if not (auth and auth.required) and not is_loopback(host):
        raise LabelloopError(f"--host {host or repr(host)} is not a loopback address; without --basic-auth or "
                             f"--secret the ML backend listens only on {', '.join(LOOPBACK[:-1])} or {LOOPBACK[-1]}.")


class _Reader(io.RawIOBase):
    """The connection's reads: silent at most ``idle`` seconds at a time, and once a request's first byte is in,
    the whole request (headers and body) within ``limit`` seconds, however slowly it trickles."""

    def __init__(self, sock: socket.socket, idle: float, limit: float) -> None:
        self.sock, self.idle, self.limit = sock, idle, limit
        self.deadline: float | None = None
        self.armed = False

    def readable(self) -> bool:
        return True

    def begin(self) -> None:
        """Waiting for a request: its first byte starts the clock."""
        self.armed, self.deadline = True, None
        self.sock.settimeout(self.idle)

    def end(self) -> None:
        """The request is read: handling and replying are bounded by the idle timeout only."""
        self.armed, self.deadline = False, None
        self.sock.settimeout(self.idle)

    def readinto(self, buf: Any) -> int:
        if self.deadline is not None:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"the request did not arrive within {self.limit:g} s")
            self.sock.settimeout(min(self.idle, left))
        n = self.sock.recv_into(buf)
        if self.armed and n:
            self.armed, self.deadline = False, time.monotonic() + self.limit
        return n


def _linger(sock: socket.socket, limit: int = 1 << 20, seconds: float = 2.0) -> None:
    """After a reply to a request whose body was not read: half-close and discard (never keep) what the client
    still sends, a bounded amount, so that it reads the reply rather than a connection reset."""
    try:
        sock.shutdown(socket.SHUT_WR)
        deadline, got = time.monotonic() + seconds, 0
        while got < limit:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            sock.settimeout(left)
            chunk = sock.recv(65536)
            if not chunk:
                break
            got += len(chunk)
    except OSError:
        pass


def _raw_reply(status: str, obj: dict[str, Any], extra: str = "") -> bytes:
    data = json.dumps(obj, ensure_ascii=False).encode("utf-8")
    return (f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n{extra}"
            "Connection: close\r\n\r\n").encode("ascii") + data


def _refuse_busy(sock: socket.socket, reply: bytes) -> None:
    """Over the connection cap, in the accepting thread: never block on the client."""
    try:
        sock.setblocking(False)
        with contextlib.suppress(BlockingIOError, InterruptedError):
            sock.recv(65536)  # what already arrived, so that closing sends a FIN rather than a reset
        sock.settimeout(1.0)
        sock.sendall(reply)
    except OSError:
        pass


def make_server(backend: MLBackend, host: str = "127.0.0.1", port: int = 9090, auth: Auth | None = None,
                limits: Limits | None = None) -> ThreadingHTTPServer:
    auth = auth or Auth()
    limits = limits or Limits()
    check_host(host, auth)
    slots = threading.BoundedSemaphore(limits.max_connections)
    busy = _raw_reply("503 Service Unavailable", {
        "error": f"the ML backend is busy: {limits.max_connections} connections are open, its limit; retry shortly"},
        "Retry-After: 1\r\n")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "labelloop-mlbackend"
        timeout = limits.timeout

        def setup(self) -> None:  # no Nagle: headers and body must not wait for a delayed ACK (~40 ms)
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.reader = _Reader(self.connection, limits.timeout, limits.request_timeout)
            self.rfile.close()
            self.rfile = io.BufferedReader(self.reader)

        def handle_one_request(self) -> None:
            self.reader.begin()
            super().handle_one_request()

        def handle_expect_100(self) -> bool:  # "100 Continue" only once the request passed the checks (_serve)
            return True

        def log_message(self, fmt: str, *args: Any) -> None:
            log.info("%s %s", self.address_string(), fmt % args)

        def _reply(self, status: int, obj: dict[str, Any], extra: dict[str, str] | None = None) -> None:
            data = json.dumps(obj, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def _check(self, method: str) -> tuple[int, str, dict[str, str]] | int:
            """Everything decided from the headers alone: a refusal, or the body's length."""
            h = self.headers
            if auth.required:
                if not auth.ok(h):
                    return (401, "authentication required: give the --basic-auth user and password or the --secret "
                            "this backend was started with",
                            {"WWW-Authenticate": 'Basic realm="labelloop"'} if auth.basic else {})
            else:  # no credentials: only local clients that are not web pages (CSRF, DNS rebinding)
                if not _loopback_authority(h.get("Host")):
                    shown = repr((h.get("Host") or "")[:100])
                    return (403, f"Host {shown} is not a loopback name; without authentication the backend answers "
                            "only requests addressed to 127.0.0.1, localhost or [::1]", {})
                origin = h.get("Origin")
                if origin is not None and not _loopback_origin(origin):
                    return (403, f"Origin {origin[:100]!r} is not a loopback origin; without authentication the "
                            "backend refuses requests sent by web pages", {})
            if method == "POST":
                ctype = (h.get("Content-Type") or "").split(";", 1)[0].strip().lower()
                if ctype != "application/json":
                    return 415, "a POST body must be JSON, sent with Content-Type: application/json", {}
            if h.get("Transfer-Encoding"):
                return 411, "send the body with a Content-Length header; chunked bodies are not accepted", {}
            lengths = h.get_all("Content-Length") or []
            if len(lengths) > 1:
                return 400, "the request has more than one Content-Length header", {}
            if not lengths:
                return 0
            text = lengths[0].strip()
            if not text.isdigit() or len(text) > 18:
                return 400, "the Content-Length header is not a whole number of bytes", {}
            n = int(text)
            if n > limits.max_body:
                return (413, f"the body is {n} bytes, over this backend's limit of {limits.max_body} bytes "
                        "(--max-body-mb)", {})
            return n

        def _serve(self, method: str) -> None:
            checked = self._check(method)
            if not isinstance(checked, int):  # refused from the headers: the body is never read
                status, message, extra = checked
                if status != 401:
                    backend.stats["bad_requests"] += 1
                self.close_connection = True
                self._reply(status, {"error": message}, {**extra, "Connection": "close"})
                _linger(self.connection)
                return
            n = checked
            if n and (self.headers.get("Expect") or "").strip().lower() == "100-continue":
                self.send_response_only(100)
                self.end_headers()
            raw = self.rfile.read(n) if n else b""
            self.reader.end()
            if len(raw) < n:
                self.close_connection = True
                return  # the client went away mid-body
            body: Any = None
            if raw.strip():
                try:
                    body = parse_json(raw)  # bounded: deep nesting or a huge number is a 400, not a dead connection
                except JSONTextError as exc:
                    backend.stats["bad_requests"] += 1
                    return self._reply(400, {"error": f"the body cannot be used: {exc}"})
                except ValueError as exc:  # malformed JSON, or bytes that are not UTF-8
                    backend.stats["bad_requests"] += 1
                    return self._reply(400, {"error": f"the body is not valid JSON: {exc}"})
            route = self.path.split("?", 1)[0]
            try:
                status, obj = backend.handle(method, self.path, body)
            except Exception:  # never crash the server on one request, and never tell the client why
                eid = secrets.token_hex(6)
                log.exception("request %s %s failed (error id %s)", method, route[:200], eid)
                status, obj = 500, {"error": f"internal error {eid}; the details are in the backend's log",
                                    "error_id": eid}
            self._reply(status, obj)

        def do_GET(self) -> None:  # noqa: N802
            self._serve("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._serve("POST")

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        block_on_close = False  # closing does not wait for slow clients: their threads are daemons
        allow_reuse_address = True
        request_queue_size = limits.backlog
        address_family = socket.AF_INET6 if ":" in host else socket.AF_INET

        def process_request(self, request: Any, client_address: Any) -> None:
            if not slots.acquire(blocking=False):
                log.warning("refused a connection from %s: %d connections open", client_address[0],
                            limits.max_connections)
                _refuse_busy(request, busy)
                self.shutdown_request(request)
                return
            try:
                super().process_request(request, client_address)
            except BaseException:
                slots.release()
                raise

        def process_request_thread(self, request: Any, client_address: Any) -> None:
            try:
                super().process_request_thread(request, client_address)
            finally:
                slots.release()

        def handle_error(self, request: Any, client_address: Any) -> None:  # to the log, not to stderr
            if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
                log.info("connection from %s ended: %r", client_address[0], sys.exc_info()[1])
            else:
                log.exception("error on the connection from %s", client_address[0])

    try:
        return Server((host, port), Handler)
    except OSError as exc:
        raise LabelloopError(f"Cannot listen on {host}:{port}: {exc.strerror or exc}.") from None


def _url(httpd: ThreadingHTTPServer, host: str) -> str:
    port = httpd.server_address[1]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class BackgroundServer:
    """The backend's HTTP server in a thread (tests, benchmarks, notebooks)."""

    def __init__(self, backend: MLBackend, host: str = "127.0.0.1", port: int = 0, auth: Auth | None = None,
                 limits: Limits | None = None) -> None:
        self.backend = backend
        self.host = host
        self.httpd = make_server(backend, host, port, auth, limits)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True, name="labelloop-mlbackend")

    @property
    def url(self) -> str:
        return _url(self.httpd, self.host)

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    def __enter__(self) -> BackgroundServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> BackgroundServer:
        self.thread.start()
        return self

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.backend.wait_idle(30)


def serve(backend: MLBackend, host: str = "127.0.0.1", port: int = 9090, auth: Auth | None = None,
          ready: Callable[[str], None] | None = None, limits: Limits | None = None) -> None:
    """Serve until interrupted (``labelloop mlbackend serve``)."""
    httpd = make_server(backend, host, port, auth, limits)
    if ready:
        ready(_url(httpd, host))
    try:
        httpd.serve_forever()
    finally:
        httpd.server_close()
        backend.wait_idle(30)



__all__ = ["Auth", "BackgroundServer", "Limits", "check_host", "make_server", "serve"]

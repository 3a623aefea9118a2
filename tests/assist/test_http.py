"""The lean HTTP/1.1 client the providers use: bodies by length, chunks or to the close, gzip, kept-alive
connections the server dropped, and httpx taking over when a proxy is configured."""

from __future__ import annotations

import asyncio
import gzip
import json
import socket
import threading

import pytest

from labelloop.assist.llm.http import HTTPClient, HttpxClient, RequestTimeout, TransportError, make_client


class RawServer:
    """Answers each request on a connection with the next canned raw response; ``close_after`` hangs up."""

    def __init__(self, responses: list[bytes], close_after: bool = False) -> None:
        self.responses = list(responses)
        self.close_after = close_after
        self.requests: list[bytes] = []
        self.connections = 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/v1/chat/completions"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        with self.sock:
            self._answer()

    def _answer(self) -> None:
        while self.responses:
            conn, _ = self.sock.accept()
            self.connections += 1
            with conn:
                buf = b""
                while self.responses:
                    while b"\r\n\r\n" not in buf:
                        data = conn.recv(65536)
                        if not data:
                            break
                        buf += data
                    if b"\r\n\r\n" not in buf:
                        break
                    head, _, buf = buf.partition(b"\r\n\r\n")
                    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                                      if line.lower().startswith(b"content-length")))
                    while len(buf) < length:
                        buf += conn.recv(65536)
                    self.requests.append(head + b"\r\n\r\n" + buf[:length])
                    buf = buf[length:]
                    conn.sendall(self.responses.pop(0))
                    if self.close_after:
                        break


def post(url: str, client: HTTPClient | None = None, n: int = 1, **kw):
    async def main():
        async with (client or HTTPClient(timeout=kw.get("timeout", 5))) as c:
            return [await c.post(url, b'{"a":1}', {"Authorization": "Bearer k"}) for _ in range(n)]
    return asyncio.run(main())


def test_request_is_one_well_formed_write_and_length_body_is_read():
    body = json.dumps({"ok": True}).encode()
    srv = RawServer([b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                     % (len(body), body)])
    (resp,) = post(srv.url)
    assert resp.status_code == 200 and resp.json() == {"ok": True} and resp.headers["content-type"] == "application/json"
    head, _, sent = srv.requests[0].partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0] == "POST /v1/chat/completions HTTP/1.1"
    assert f"Host: {srv.url.split('/')[2]}" in lines and "Authorization: Bearer k" in lines
    assert "Content-Type: application/json" in lines and "Content-Length: 7" in lines and sent == b'{"a":1}'


def test_chunked_gzip_and_interim_answers():
    raw = gzip.compress(b'{"x": "' + b"y" * 5000 + b'"}')
    chunks = b"".join(b"%x;ext=1\r\n%s\r\n" % (len(raw[i:i + 1000]), raw[i:i + 1000]) for i in range(0, len(raw), 1000))
    srv = RawServer([b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                     b"Content-Encoding: gzip\r\n\r\n" + chunks + b"0\r\nX-Trailer: t\r\n\r\n"])
    (resp,) = post(srv.url)
    assert resp.json() == {"x": "y" * 5000}


def test_keep_alive_reuses_one_connection():
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"
    srv = RawServer([ok, ok, ok])
    assert [r.json() for r in post(srv.url, n=3)] == [{}, {}, {}]
    assert srv.connections == 1


def test_a_connection_the_server_dropped_is_replaced_without_a_retry():
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"
    srv = RawServer([ok, ok, ok], close_after=True)  # hangs up after every answer, without saying so
    assert [r.json() for r in post(srv.url, n=3)] == [{}, {}, {}]
    assert srv.connections == 3 and len(srv.requests) == 3


def test_body_to_the_close_for_http_1_0():
    srv = RawServer([b"HTTP/1.0 503 Service Unavailable\r\nRetry-After: 2\r\n\r\nbusy"], close_after=True)
    (resp,) = post(srv.url)
    assert resp.status_code == 503 and resp.text == "busy" and resp.headers["retry-after"] == "2"


def test_timeout_and_refused_connection():
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    with pytest.raises(RequestTimeout):
        post(f"http://127.0.0.1:{silent.getsockname()[1]}/x", timeout=0.2)
    silent.close()
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    with pytest.raises(TransportError, match="^ConnectError: "):
        post(f"http://127.0.0.1:{port}/x")


def test_bad_urls_and_headers_are_value_errors():
    with pytest.raises(ValueError, match="unsupported URL scheme"):
        post("ftp://127.0.0.1/x")

    async def main():
        async with HTTPClient(timeout=1) as c:
            await c.post("http://127.0.0.1:1/x", b"{}", {"Authorization": "Bearer k\r\nX: y"})
    with pytest.raises(ValueError, match="line break"):
        asyncio.run(main())


def test_httpx_takes_over_behind_a_proxy(monkeypatch):
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy",
                "no_proxy"):
        monkeypatch.delenv(var, raising=False)
    assert isinstance(make_client("https://api.openai.com/v1", timeout=5), HTTPClient)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.local:3128")
    assert isinstance(make_client("https://api.openai.com/v1", timeout=5), HttpxClient)
    assert isinstance(make_client("http://127.0.0.1:8000/v1", timeout=5), HTTPClient)
    monkeypatch.setenv("NO_PROXY", "openai.com")
    assert isinstance(make_client("https://api.openai.com/v1", timeout=5), HTTPClient)


# ---------------------------------------------------------------------- one bounded JSON parser
@pytest.mark.parametrize("text, phrase", [
    ("1e999", "has a number too large for a float (1e999)"),
    ('{"a": [-1E400]}', "has a number too large for a float (-1E400)"),
    ("[NaN]", "has NaN, which is not JSON"),
    ('{"x": Infinity}', "has Infinity, which is not JSON"),
    ("-Infinity", "has -Infinity, which is not JSON"),
    ("[" * 65 + "]" * 65, "nests deeper than 64 levels"),
    ("-" + "9" * 65, "has a number with 65 digits (at most 64 are accepted)"),
    ('["\\udc80"]', "has a lone surrogate (\\udc80), which UTF-8 cannot encode"),
])
def test_loads_refuses_what_a_reply_cannot_hold(text, phrase):
    from labelloop.assist.llm.http import JSONLimitError, loads

    for data in (text, text.encode()):
        with pytest.raises(JSONLimitError) as e:
            loads(data)
        assert str(e.value) == phrase


def test_loads_is_parse_json_with_a_replys_bounds():
    from labelloop.assist.llm.http import loads
    from labelloop.data.io import JSONTextError, parse_json

    ok = '{"a": [1.5e308, -0.0, 1e-999, ' + "9" * 64 + "]}"
    assert loads(ok) == parse_json(ok) == json.loads(ok)
    assert loads("[" * 64 + "]" * 64) == parse_json("[" * 64 + "]" * 64)
    with pytest.raises(json.JSONDecodeError):
        loads("{nope")
    with pytest.raises(UnicodeDecodeError):
        loads(b'"\xed\xa0\x80"')  # a lone surrogate encoded in the bytes: not UTF-8 (json.loads lets it through)
    # the file readers' defaults are unchanged: NaN and inf as Python reads them, 200 levels
    assert str(parse_json("[NaN, 1e999]")) == "[nan, inf]"
    assert parse_json("[" * 200 + "]" * 200) is not None
    for text, kwargs, clause, phrase in [
        ("[1e999]", {"finite": True}, "the number 1e999 is too large for a float",
         "has a number too large for a float (1e999)"),
        ("NaN", {"finite": True}, "NaN is not a JSON number", "has NaN, which is not JSON"),
        ("[[[]]]", {"max_depth": 2}, "JSON nested deeper than 2 levels", "nests deeper than 2 levels"),
        ("[" * 201 + "]" * 201, {}, "JSON nested deeper than 200 levels", "nests deeper than 200 levels"),
        ("[1, 2]", {"max_size": 5}, "the JSON text is 6 characters long, more than the 5 accepted",
         "is 6 characters long, more than the 5 accepted"),
        (b"[1, 2]", {"max_size": 5}, "the JSON text is 6 bytes long, more than the 5 accepted",
         "is 6 bytes long, more than the 5 accepted"),
        ("12345", {"max_int_digits": 4}, "a number has 5 digits (at most 4 are accepted)",
         "has a number with 5 digits (at most 4 are accepted)"),
        ("1" * 5000, {}, "a number has more than 4,300 digits", "has a number with more than 4300 digits"),
    ]:
        with pytest.raises(JSONTextError) as e:
            parse_json(text, **kwargs)
        assert (str(e.value), e.value.phrase) == (clause, phrase), text

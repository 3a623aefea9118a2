"""The ML backend under hostile clients: a real server on 127.0.0.1, raw sockets for what no polite client sends.

Every exchange is bounded: a fixed number of requests or connections, each socket with a timeout, so a server
that misbehaves fails the test instead of hanging it.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import re
import select
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from labelloop.assist.features import TfidfFeatures
from labelloop.assist.mlbackend import Auth, BackgroundServer, Limits, MLBackend, check_host, make_server
from labelloop.assist.predictors import LocalPredictor, register_predictor
from labelloop.assist.simulate import synthetic_preferences
from labelloop.data.positions import candidate_order
from labelloop.errors import LabelloopError
from labelloop.formats.labelstudio.config import get_template
from ls_configs import SENTIMENT

TEXTS = [("great lovely wonderful", "Positive"), ("awful terrible bad", "Negative"),
         ("lovely great product", "Positive"), ("terrible awful thing", "Negative")]
SECRET = "s3cret"


def event(aid, tid, text, label, project=7, action="ANNOTATION_CREATED"):
    return {"action": action, "project": {"id": project, "label_config": SENTIMENT},
            "task": {"id": tid, "data": {"text": text}},
            "annotation": {"id": aid, "task": tid, "completed_by": 1, "was_cancelled": False,
                           "result": [{"from_name": "sentiment", "to_name": "review", "type": "choices",
                                       "value": {"choices": [label]}}]}}


# ---------------------------------------------------------------------- raw HTTP
def connect(port: int, timeout: float = 10.0) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=timeout)


def _complete(raw: bytes) -> bool:
    top, sep, rest = raw.partition(b"\r\n\r\n")
    if not sep:
        return False
    lengths = [int(x.split(b":", 1)[1]) for x in top.split(b"\r\n")[1:] if x.lower().startswith(b"content-length:")]
    return bool(lengths) and len(rest) >= lengths[0]


def read_all(sock: socket.socket) -> bytes:
    """One response: until it is complete or the server closes (or 10 s of silence: then what came so far)."""
    out = b""
    try:
        while not _complete(out) and (chunk := sock.recv(65536)):
            out += chunk
    except (TimeoutError, ConnectionResetError):
        pass
    return out


def exchange(port: int, data: bytes) -> bytes:
    with connect(port) as s:
        s.sendall(data)
        return read_all(s)


def head(method: str, path: str, headers: dict[str, str], host: str | None = "127.0.0.1") -> bytes:
    lines = [f"{method} {path} HTTP/1.1"] + ([f"Host: {host}"] if host is not None else [])
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def parse(raw: bytes) -> tuple[int, dict[str, str], object]:
    """The first response in ``raw``: status, headers (lower-case names), JSON body."""
    top, sep, rest = raw.partition(b"\r\n\r\n")
    assert sep, f"no complete response: {raw[:200]!r}"
    status_line, *header_lines = top.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (x.split(":", 1) for x in header_lines)}
    body = rest[:int(headers["content-length"])]
    return int(status_line.split()[1]), headers, json.loads(body)


def call(port, method, path, body=None, headers=None):
    """A well-behaved request over http.client (which sends Host: 127.0.0.1:port)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        data = None if body is None else json.dumps(body).encode()
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        conn.request(method, path, body=data, headers=hdrs)
        r = conn.getresponse()
        return r.status, json.loads(r.read())
    finally:
        conn.close()


@pytest.fixture()
def backend(tmp_path):
    return MLBackend("tfidf", model_dir=tmp_path / "m", retrain_every=0)


# ---------------------------------------------------------------------- body read only after the checks
def test_unauthenticated_body_is_refused_before_it_is_read(backend):
    with BackgroundServer(backend, auth=Auth("ls:pw", SECRET)) as srv:
        for _ in range(4):  # each claims 60 MB and sends 64 KB of it: the reply must not wait for the rest
            raw = exchange(srv.port, head("POST", "/webhook", {"Content-Type": "application/json",
                                                                "Content-Length": "60000000"}) + b"x" * 65536)
            status, headers, body = parse(raw)
            assert (status, body) == (401, {"error": "authentication required: give the --basic-auth user and "
                                            "password or the --secret this backend was started with"})
            assert headers["www-authenticate"] == 'Basic realm="labelloop"' and headers["connection"] == "close"
        assert backend.stats["webhooks"] == 0
        assert call(srv.port, "GET", "/health", headers={"X-Labelloop-Secret": SECRET})[0] == 200


def test_oversized_body_gets_413_before_it_is_read(backend):
    with BackgroundServer(backend, auth=Auth(secret=SECRET)) as srv:
        raw = exchange(srv.port, head("POST", "/predict", {"X-Labelloop-Secret": SECRET,
                                                            "Content-Type": "application/json",
                                                            "Content-Length": str(40 * 1024 * 1024)}))
        assert parse(raw)[::2] == (413, {"error": "the body is 41943040 bytes, over this backend's limit of "
                                         "33554432 bytes (--max-body-mb)"})
    with BackgroundServer(backend, limits=Limits(max_body=1000)) as srv:
        raw = exchange(srv.port, head("POST", "/setup", {"Content-Type": "application/json",
                                                          "Content-Length": "1001"}) + b"{")
        assert parse(raw)[::2] == (413, {"error": "the body is 1001 bytes, over this backend's limit of 1000 "
                                         "bytes (--max-body-mb)"})
        ok = json.dumps({"project": "1", "schema": SENTIMENT}).encode()
        assert len(ok) <= 1000
        assert call(srv.port, "POST", "/setup", {"project": "1", "schema": SENTIMENT}) == (
            200, {"model_version": "tfidf-untrained"})


def test_100_continue_only_after_the_checks(backend):
    """A client that waits for "100 Continue" sends nothing it was not asked for: refused, it never sends the body."""
    body = json.dumps({"project": "1", "schema": SENTIMENT}).encode()
    hdrs = {"Content-Type": "application/json", "Content-Length": str(len(body)), "Expect": "100-continue"}
    with BackgroundServer(backend, auth=Auth(secret=SECRET)) as srv:
        status, _, reply = parse(exchange(srv.port, head("POST", "/setup", hdrs)))
        assert (status, reply) == (401, {"error": "authentication required: give the --basic-auth user and "
                                         "password or the --secret this backend was started with"})
        with connect(srv.port) as s:
            s.sendall(head("POST", "/setup", {**hdrs, "X-Labelloop-Secret": SECRET}))
            assert s.recv(65536) == b"HTTP/1.1 100 Continue\r\n\r\n"
            s.sendall(body)
            assert parse(read_all(s))[::2] == (200, {"model_version": "tfidf-untrained"})


@pytest.mark.parametrize("headers,status,error", [
    ({"Content-Type": "application/json", "Transfer-Encoding": "chunked"}, 411,
     "send the body with a Content-Length header; chunked bodies are not accepted"),
    ({"Content-Type": "application/json", "Content-Length": "-5"}, 400,
     "the Content-Length header is not a whole number of bytes"),
    ({"Content-Type": "application/json", "Content-Length": "12, 13"}, 400,
     "the Content-Length header is not a whole number of bytes"),
])
def test_bodies_the_server_cannot_frame_are_refused(backend, headers, status, error):
    with BackgroundServer(backend) as srv:
        assert parse(exchange(srv.port, head("POST", "/setup", headers)))[::2] == (status, {"error": error})
        raw = exchange(srv.port, b"POST /setup HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                                 b"Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}")
        assert parse(raw)[::2] == (400, {"error": "the request has more than one Content-Length header"})


@pytest.mark.parametrize("body,error", [
    (b"[" * 100_000, "the body cannot be used: JSON nested deeper than 200 levels"),
    (b"[" * 201 + b"]" * 201, "the body cannot be used: JSON nested deeper than 200 levels"),
    (b'{"project": ' + b"7" * 5000 + b"}", "the body cannot be used: a number has more than 4,300 digits"),
    (b'{"project": "7\\ud800"}', "the body cannot be used: field project holds a lone surrogate (\\ud800), "
     "which UTF-8 cannot encode"),
    (b'{"project": "\xff"}', "the body is not valid JSON: 'utf-8' codec can't decode byte 0xff in position 13: "
     "invalid start byte"),
])
def test_bodies_json_cannot_safely_hold_get_400_with_a_sentence(backend, body, error):
    """A body that would exhaust the parser's stack, pass Python's digit limit or hold text UTF-8 cannot write is
    answered, not met with a closed connection."""
    with BackgroundServer(backend) as srv:
        raw = exchange(srv.port, head("POST", "/setup", {"Content-Type": "application/json",
                                                          "Content-Length": str(len(body))}) + body)
        assert parse(raw)[::2] == (400, {"error": error})
        assert call(srv.port, "GET", "/metrics")[1]["bad_requests"] == 1
        assert call(srv.port, "POST", "/setup", {"project": "1", "schema": SENTIMENT}) == (
            200, {"model_version": "tfidf-untrained"})


# ---------------------------------------------------------------------- slow and many connections
def closed_by_server(sock: socket.socket, wait: float) -> bool:
    """True once the server has closed ``sock`` (EOF or reset), waiting at most ``wait`` seconds."""
    ready, _, _ = select.select([sock], [], [], wait)
    if not ready:
        return False
    try:
        return sock.recv(65536) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True


def test_a_silent_connection_is_closed(backend):
    with BackgroundServer(backend, limits=Limits(timeout=0.5)) as srv, connect(srv.port) as s:
        assert s.recv(1) == b""  # EOF from the server, long before the client's own 10 s timeout
        with connect(srv.port) as s2:  # also mid-request, between two header lines
            s2.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            assert s2.recv(1) == b""


def test_a_request_trickled_past_its_deadline_is_closed(backend):
    """Each header line comes well within the idle timeout, but the whole request must be in by the deadline."""
    with BackgroundServer(backend, limits=Limits(timeout=5.0, request_timeout=1.0)) as srv, connect(srv.port) as s:
        s.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        closed, sent = False, 0
        while not closed and sent < 60:  # 60 lines, 0.25 s apart: the deadline passes after about four
            try:
                s.sendall(f"X-Slow-{sent}: 1\r\n".encode())
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            sent += 1
            closed = closed_by_server(s, 0.25)
        assert closed and sent < 60


def test_connections_past_the_cap_get_503(backend):
    with BackgroundServer(backend, limits=Limits(max_connections=3)) as srv:
        held = [connect(srv.port) for _ in range(3)]
        try:
            for h in held:  # each holds a handler: the server has accepted it and waits for its request
                h.sendall(b"GET /health HTTP/1.1\r\n")
            for _ in range(2):
                with connect(srv.port) as s:
                    status, headers, body = parse(read_all(s))
                    assert (status, body) == (503, {"error": "the ML backend is busy: 3 connections are open, its "
                                                    "limit; retry shortly"})
                    assert headers["retry-after"] == "1" and headers["connection"] == "close"
        finally:
            for h in held:
                h.close()
        statuses = []
        for _ in range(100):  # the slots come back as the handlers see their clients go
            raw = exchange(srv.port, head("GET", "/health", {"Connection": "close"}))
            statuses.append(parse(raw)[0])
            if statuses[-1] == 200:
                break
            time.sleep(0.05)
        assert statuses[-1] == 200 and set(statuses) <= {200, 503}


def test_listen_backlog_holds_a_burst_of_100_connections(backend):
    """With the server not accepting at all, a burst of new connections must still complete its handshakes:
    the kernel keeps them in the listen queue (socketserver's default of 5 drops the rest's SYNs)."""
    if int(Path("/proc/sys/net/core/somaxconn").read_text()) < 128:
        pytest.skip("net.core.somaxconn is below 128 here")
    httpd = make_server(backend, "127.0.0.1", 0)
    port = httpd.server_address[1]
    socks = []
    try:
        for _ in range(100):
            socks.append(socket.create_connection(("127.0.0.1", port), timeout=3.0))
        assert len(socks) == 100
    finally:
        for s in socks:
            s.close()
        httpd.server_close()


# ---------------------------------------------------------------------- no auth: only local, non-browser clients
def test_without_auth_a_post_must_be_json(backend):
    """A web page can POST text/plain or a form to any address without asking; JSON it cannot."""
    ev = json.dumps(event(1, 1, "great", "Positive")).encode()
    with BackgroundServer(backend) as srv:
        for ctype in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None):
            hdrs = {"Content-Length": str(len(ev))} | ({"Content-Type": ctype} if ctype else {})
            raw = exchange(srv.port, head("POST", "/webhook", hdrs, host=f"127.0.0.1:{srv.port}") + ev)
            assert parse(raw)[::2] == (415, {"error": "a POST body must be JSON, sent with Content-Type: "
                                             "application/json"})
        assert "7" not in backend.projects and backend.stats["webhooks"] == 0
        raw = exchange(srv.port, head("POST", "/webhook", {"Content-Type": "application/json; charset=utf-8",
                                                           "Content-Length": str(len(ev))}) + ev)
        assert parse(raw)[0] == 200 and sorted(backend.projects["7"].records) == ["1"]


@pytest.mark.parametrize("host", ["evil.example", "evil.example:9090", "127.0.0.1.evil.example", "10.0.0.5:9090",
                                  "0.0.0.0", "", None])
def test_without_auth_the_host_header_must_be_loopback(backend, host):
    """DNS rebinding: a page on evil.example:9090 whose name now points at 127.0.0.1 sends Host: evil.example."""
    with BackgroundServer(backend) as srv:
        raw = exchange(srv.port, head("GET", "/metrics", {}, host=host))
        shown = repr((host or "")[:100])
        assert parse(raw)[::2] == (403, {"error": f"Host {shown} is not a loopback name; without authentication the "
                                         "backend answers only requests addressed to 127.0.0.1, localhost or [::1]"})
        for good in (f"127.0.0.1:{srv.port}", f"localhost:{srv.port}", f"[::1]:{srv.port}", "localhost", "127.0.0.1"):
            assert parse(exchange(srv.port, head("GET", "/health", {}, host=good)))[0] == 200
    with BackgroundServer(backend, auth=Auth(secret=SECRET)) as srv:  # with auth the name is the client's business
        raw = exchange(srv.port, head("GET", "/health", {"X-Labelloop-Secret": SECRET}, host=host or "x"))
        assert parse(raw)[0] == 200


@pytest.mark.parametrize("origin", ["https://evil.example", "http://evil.example:9090", "null",
                                    "http://127.0.0.1.evil.example", "file://"])
def test_without_auth_a_foreign_origin_is_refused(backend, origin):
    with BackgroundServer(backend) as srv:
        status, body = call(srv.port, "POST", "/webhook", event(1, 1, "great", "Positive"), {"Origin": origin})
        assert (status, body) == (403, {"error": f"Origin {origin!r} is not a loopback origin; without "
                                        "authentication the backend refuses requests sent by web pages"})
        assert call(srv.port, "GET", "/metrics", headers={"Origin": origin})[0] == 403
        assert "7" not in backend.projects
        status, body = call(srv.port, "POST", "/webhook", event(1, 1, "great", "Positive"),
                            {"Origin": "http://localhost:8080"})
        assert (status, body["learned"]) == (200, 1)


def test_a_non_loopback_host_needs_auth(backend):
    sentence = ("--host 0.0.0.0 is not a loopback address; without --basic-auth or --secret the ML backend listens "
                "only on 127.0.0.1, ::1 or localhost.")
    with pytest.raises(LabelloopError) as err:
        make_server(backend, "0.0.0.0", 0)
    assert str(err.value) == sentence
    for host in ("::", "", "192.168.1.10", "example.com"):
        with pytest.raises(LabelloopError):
            check_host(host, Auth())
    for host in ("127.0.0.1", "127.0.0.2", "::1", "localhost"):
        check_host(host, Auth())
    check_host("0.0.0.0", Auth(secret=SECRET))
    check_host("0.0.0.0", Auth("ls:pw"))


def test_the_cli_refuses_a_non_loopback_host_without_auth(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "labelloop.cli", "mlbackend", "serve", "--host", "0.0.0.0",
                           "--port", "0", "--model-dir", str(tmp_path / "m")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert [x for x in proc.stderr.splitlines() if x.strip()] == [
        "error: --host 0.0.0.0 is not a loopback address; without --basic-auth or --secret the ML backend listens "
        "only on 127.0.0.1, ::1 or localhost."]
    assert not (tmp_path / "m").exists()  # refused before anything was made


# ---------------------------------------------------------------------- 500s say an id, not a path
def exploding(**options):
    class Exploding(LocalPredictor):
        def predict(self, samples, schema, **kw):
            raise RuntimeError("cannot read /srv/labelloop/secret/model.bin")

    options.pop("kinds", None)
    return Exploding("exploding", TfidfFeatures(), kinds=("human", "reference"), **options)


def failing_fit(**options):
    class FailingFit(LocalPredictor):
        def fit(self, samples, schema, **kw):
            raise OSError("disk full writing /srv/labelloop/secret/tmp")

    options.pop("kinds", None)
    return FailingFit("failing", TfidfFeatures(), kinds=("human", "reference"), **options)


register_predictor("exploding-test", exploding)
register_predictor("failing-fit-test", failing_fit)


def test_a_500_reply_names_an_error_id_and_the_log_has_the_details(tmp_path, caplog):
    caplog.set_level(logging.ERROR, logger="labelloop.mlbackend")
    tpl = get_template("rewardbench")
    backend = MLBackend("exploding-test", model_dir=tmp_path / "m", dataset=synthetic_preferences(30, seed=3))
    s = synthetic_preferences(1, seed=8).samples[0]
    task = {"id": 1, "data": tpl.task_data(s, candidate_order(s), 2)}
    with BackgroundServer(backend) as srv:
        status, body = call(srv.port, "POST", "/predict", {"tasks": [task], "project": "3",
                                                           "label_config": tpl.label_config(2)})
    assert status == 500 and set(body) == {"error", "error_id"}
    eid = body["error_id"]
    assert re.fullmatch(r"[0-9a-f]{12}", eid)
    assert body == {"error": f"internal error {eid}; the details are in the backend's log", "error_id": eid}
    [rec] = [r for r in caplog.records if eid in r.getMessage()]
    assert rec.getMessage() == f"request POST /predict failed (error id {eid})"
    assert "cannot read /srv/labelloop/secret/model.bin" in caplog.text


def test_a_failed_training_shows_an_error_id_in_metrics(tmp_path, caplog):
    caplog.set_level(logging.ERROR, logger="labelloop.mlbackend")
    backend = MLBackend("failing-fit-test", model_dir=tmp_path / "m", retrain_every=1)
    with BackgroundServer(backend) as srv:
        assert call(srv.port, "POST", "/webhook", event(1, 1, "great", "Positive"))[1]["status"] == "started"
        assert backend.wait_idle(30)
        last = call(srv.port, "GET", "/metrics")[1]["projects"]["7"]["last_error"]
    [rec] = [r for r in caplog.records if r.getMessage().startswith("training of project 7 failed")]
    eid = re.fullmatch(r"training of project 7 failed \(error id ([0-9a-f]{12})\)", rec.getMessage()).group(1)
    assert last == f"OSError (error id {eid}); the details are in the backend's log"
    assert "disk full writing /srv/labelloop/secret/tmp" in caplog.text


# ---------------------------------------------------------------------- ids of the wrong type
def created(**over):
    ev = event(1, 1, "great", "Positive")
    for path, value in over.items():
        *keys, last = path.split("__")
        obj = ev
        for k in keys:
            obj = obj[int(k)] if isinstance(obj, list) else obj[k]
        obj[int(last) if isinstance(obj, list) else last] = value
    return ev


def bulk(task_id=1, ann_task=1):
    ev = event(1, 1, "great", "Positive")
    return {"action": "ANNOTATIONS_CREATED", "project": ev["project"],
            "annotation": [{**ev["annotation"], "task": ann_task}], "task": [{**ev["task"], "id": task_id}]}


@pytest.mark.parametrize("path,body,error", [
    ("/webhook", bulk(task_id=[1, 2]), "ANNOTATIONS_CREATED: a task id must be a number or a string, not a list"),
    ("/webhook", bulk(ann_task={"id": 1}),
     "ANNOTATIONS_CREATED: the task of annotation 1 must be a number or a string, not an object"),
    ("/webhook", created(annotation__id=[1, 2]),
     "ANNOTATION_CREATED: the annotation id must be a number or a string, not a list"),
    ("/webhook", created(task__id={"id": 1}), "ANNOTATION_CREATED: the task id must be a number or a string, not "
     "an object"),
    ("/webhook", created(annotation__id=None),
     "ANNOTATION_CREATED: the annotation id must be a number or a string, not null"),
    ("/webhook", created(project__id=[7]), "project must be a number or a string, not a list"),
    ("/webhook", created(project=True), "project must be a number or a string, not true or false"),
    ("/webhook", created(annotation__result__0__from_name=["sentiment"]),
     "an annotation result item's 'from_name' is not a string"),
    ("/webhook", created(annotation__result__0__value=[["Positive"]]),
     "an annotation result item's 'value' is not an object"),
    ("/webhook", {"action": "ANNOTATIONS_DELETED", "project": {"id": 7}, "annotations": [{"id": [1, 2]}]},
     "ANNOTATIONS_DELETED: an annotation id must be a number or a string, not a list"),
    ("/setup", {"project": [3, 1700000000], "schema": SENTIMENT}, "project must be a number or a string, not a list"),
    ("/predict", {"tasks": [{"id": {"id": 1}, "data": {"text": "x"}}], "project": "7", "label_config": SENTIMENT},
     "task id must be a number or a string, not an object"),
    ("/train", {"project": "7", "label_config": SENTIMENT,
                "annotations": [{"id": [1], "data": {"text": "x"}, "annotations": [created()["annotation"]]}]},
     "/train: a task id must be a number or a string, not a list"),
])
def test_ids_of_the_wrong_type_get_400_with_a_sentence(backend, path, body, error):
    with BackgroundServer(backend) as srv:
        assert call(srv.port, "POST", path, body) == (400, {"error": error})
        assert call(srv.port, "GET", "/health")[0] == 200
    assert all(not st.records for st in backend.projects.values())


# ---------------------------------------------------------------------- bounded growth on disk and in memory
def test_only_the_last_versions_are_kept(tmp_path):
    backend = MLBackend("tfidf", model_dir=tmp_path / "m", retrain_every=1, keep_versions=2)
    versions = []
    for i, (text, label) in enumerate(TEXTS):
        assert backend.handle("POST", "/webhook", event(i + 1, i + 1, text, label))[1]["status"] == "started"
        assert backend.wait_idle(30)
        versions.append(backend.projects["7"].version)
    vroot = backend.projects["7"].dir / "versions"
    assert sorted(p.name for p in vroot.iterdir()) == ["000003", "000004"]
    assert backend.handle("GET", "/versions", None) == (200, {"versions": versions[2:]})
    assert backend.projects["7"].seq == 4
    again = MLBackend("tfidf", model_dir=tmp_path / "m", retrain_every=1, keep_versions=1)
    assert sorted(p.name for p in vroot.iterdir()) == ["000004"]
    st = again.projects["7"]
    assert (st.version, st.seq, sorted(st.records)) == (versions[3], 4, ["1", "2", "3", "4"])
    with pytest.raises(LabelloopError) as err:
        MLBackend("tfidf", model_dir=tmp_path / "m", keep_versions=0)
    assert str(err.value) == "keep_versions must be a whole number of at least 1, not 0."


def test_new_projects_past_the_cap_are_refused(tmp_path):
    backend = MLBackend("tfidf", model_dir=tmp_path / "m", max_projects=2)
    with BackgroundServer(backend) as srv:
        for junk in ("50", "51", "52"):  # named but nothing stored: not kept, so not counted
            assert call(srv.port, "POST", "/setup", {"project": junk}) == (200, {"model_version": "tfidf-untrained"})
            assert call(srv.port, "POST", "/predict", {"tasks": [], "project": junk + "0"})[0] == 400
        assert sorted(backend.projects) == []
        for pid in ("1", "2"):
            assert call(srv.port, "POST", "/setup", {"project": pid, "schema": SENTIMENT})[0] == 200
        refused = (403, {"error": "project 3 is new and this backend already tracks 2 projects, its limit "
                         "(--max-projects); raise the limit or remove a project's directory from the model dir"})
        assert call(srv.port, "POST", "/setup", {"project": "3.17", "schema": SENTIMENT}) == refused
        assert call(srv.port, "POST", "/webhook", event(1, 1, "great", "Positive", project=3)) == refused
        assert call(srv.port, "POST", "/webhook", event(1, 1, "great", "Positive", project=1))[0] == 200
        assert sorted(backend.projects) == ["1", "2"]
        assert call(srv.port, "GET", "/health")[1]["projects"] == 2
    again = MLBackend("tfidf", model_dir=tmp_path / "m", max_projects=2)
    assert sorted(again.projects) == ["1", "2"] and sorted(again.projects["1"].records) == ["1"]


def aged(path: Path, seconds: float) -> None:
    """Make ``path`` (and what a directory holds) look ``seconds`` old."""
    when = time.time() - seconds
    for p in [path, *(path.iterdir() if path.is_dir() else [])]:
        os.utime(p, (when, when))


def test_leftovers_of_a_killed_process_are_removed_on_start(tmp_path):
    backend = MLBackend("tfidf", model_dir=tmp_path / "m", retrain_every=2)
    for i, (text, label) in enumerate(TEXTS[:2]):
        backend.handle("POST", "/webhook", event(i + 1, i + 1, text, label))
    assert backend.wait_idle(30)
    st = backend.projects["7"]
    pdir, version = st.dir, st.version
    # what kill -9 leaves, in names that do not say who wrote them (so judged by age: these are two hours old):
    # a version being written, one being deleted, temporary files of atomic writes
    (pdir / "versions" / ".000002.k1ll3d").mkdir()
    (pdir / "versions" / ".000002.k1ll3d" / "model.bin").write_bytes(b"half")
    (pdir / "versions" / ".deleting-000000").mkdir()
    (pdir / "versions" / ".deleting-000000" / "meta.json").write_text("{}")
    (pdir / ".state.json.0123456789ab.tmp").write_text("{")
    (pdir / ".label_config.xml.ba9876543210.tmp").write_text("<View")
    for p in [*(pdir / "versions").glob(".*"), *pdir.glob(".*.tmp")]:
        aged(p, 7200)
    again = MLBackend("tfidf", model_dir=tmp_path / "m", retrain_every=2)
    assert sorted(p.name for p in (pdir / "versions").iterdir()) == ["000001"]
    assert sorted(p.name for p in pdir.iterdir()) == ["events.jsonl", "label_config.xml", "state.json", "versions"]
    assert (again.projects["7"].version, sorted(again.projects["7"].records)) == (version, ["1", "2"])


WRITER = """
import json, sys, threading
from labelloop.assist.mlbackend import MLBackend
from labelloop.assist.features import TfidfFeatures
from labelloop.assist.predictors import LocalPredictor
from labelloop.data.io import atomic_open

saving = threading.Event()

class Slow(LocalPredictor):
    def save(self, path):
        super().save(path)
        saving.set()
        threading.Event().wait()  # mid-save until killed

backend = MLBackend("tfidf", model_dir=sys.argv[1], retrain_every=1,
                    factory=lambda: Slow("slow", TfidfFeatures(), kinds=("human", "reference")))
assert backend.handle("POST", "/webhook", json.loads(sys.argv[2]))[1]["status"] == "started"
assert saving.wait(60)
with atomic_open(backend.projects["7"].dir / "state.json") as fh:
    fh.write("{")
    fh.flush()
    print("writing", flush=True)
    sys.stdin.read()
"""


def test_leftovers_of_a_backend_still_running_are_kept_on_start(tmp_path):
    """Two backends on one model dir: the one starting removes only what the gone ones left half-written."""
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path / "m"), json.dumps(event(1, 1, *TEXTS[0]))],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        ready, _, _ = select.select([writer.stdout], [], [], 120)
        assert ready and writer.stdout.readline() == "writing\n"
        pdir = tmp_path / "m" / "projects" / "7"
        [vtmp] = (pdir / "versions").glob(".*")
        [ftmp] = pdir.glob(".*.tmp")
        assert re.fullmatch(rf"\.000001\.{writer.pid}-[0-9a-f]{{6}}\.[0-9a-f]{{12}}", vtmp.name)
        assert re.fullmatch(rf"\.state\.json\.{writer.pid}-[0-9a-f]{{6}}\.[0-9a-f]{{12}}\.tmp", ftmp.name)
        assert (vtmp / "model.bin").is_file()
        # written by nobody known, but recently: kept too (the writer may be on another host)
        (pdir / "versions" / ".000009.k1ll3d").mkdir()
        (pdir / ".label_config.xml.0123456789ab.tmp").write_text("<View")
        MLBackend("tfidf", model_dir=tmp_path / "m")
        assert sorted(p.name for p in (pdir / "versions").iterdir()) == sorted([vtmp.name, ".000009.k1ll3d"])
        assert sorted(p.name for p in pdir.glob(".*.tmp")) == sorted([ftmp.name, ".label_config.xml.0123456789ab.tmp"])
        assert (vtmp / "model.bin").is_file() and ftmp.read_text() == "{"
    finally:
        writer.kill()
        writer.wait(30)
    aged(pdir / "versions" / ".000009.k1ll3d", 7200)
    aged(pdir / ".label_config.xml.0123456789ab.tmp", 7200)
    again = MLBackend("tfidf", model_dir=tmp_path / "m")  # the writer is gone: all of it is a leftover now
    assert list((pdir / "versions").iterdir()) == [] and list(pdir.glob(".*.tmp")) == []
    assert (again.projects["7"].version, sorted(again.projects["7"].records)) == (None, ["1"])

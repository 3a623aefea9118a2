"""A real HTTP server on 127.0.0.1 that plays the OpenAI chat-completions and Anthropic messages APIs.

The default judge is an oracle: it reads the answers from the prompt as the model would, and picks
the one whose text carries ``[GOOD]``, under whatever display label the shuffle gave it. Tests swap
in other behaviours (bad JSON, wrong options, 429s, stalls) through ``server.policy``, which returns a
reply: ``answer`` (the JSON answer or its text), ``status`` and ``body`` for errors, ``headers``,
``delay``, ``wait``, ``shape`` (a function given the API's reply envelope, returning the one to send) or
``raw`` (the exact body bytes, for replies JSON cannot even encode).

The batch APIs are played too: OpenAI's files (``/v1/files``, multipart, purpose ``batch``; content at
``/v1/files/{id}/content``) and batches (``/v1/batches``: create, retrieve, list), and Anthropic's Message
Batches (``/v1/messages/batches``: create, retrieve, ``results_url``). Each batch request is answered by
``server.policy`` as a live call would be (plus ``{"expire": True}``: the request expires unrun); a batch
shows ``in_progress`` until it has been looked at ``batch_polls`` times (and never while ``batch_hold`` is
set), and ``batch_refuse`` (a message) makes OpenAI's validation refuse the next batch. ``batches`` keeps
every batch made, ``uploads`` every file, ``batch_gets`` counts status looks.

Shared by tests/assist, tests/mcp, tests/labelstudio and tests/security; the ``llm_server`` fixture (one
server per test) is in the root conftest.
"""

from __future__ import annotations

import email.parser
import email.policy
import itertools
import json
import re
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

ANSWER_RE = re.compile(r'<answer label="([A-Z0-9]+)">\n(.*?)\n</answer>', re.S)


def iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def envelope(api: str, req: dict, reply: dict, model_version: str) -> dict:
    """The API's reply body for an ``answer`` reply (a live call's, or a batch request's)."""
    ans = reply["answer"]
    text = ans if isinstance(ans, str) else json.dumps(ans)
    if api == "openai":
        env = {"id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": model_version,
               "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}],
               "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}}
    else:
        block = ({"type": "tool_use", "id": "toolu_1", "name": req["tools"][0]["name"], "input": ans}
                 if not isinstance(ans, str) else {"type": "text", "text": ans})
        env = {"id": "msg_1", "type": "message", "role": "assistant", "model": model_version, "content": [block],
               "stop_reason": "tool_use", "stop_sequence": None, "usage": {"input_tokens": 100, "output_tokens": 20}}
    return reply["shape"](env) if "shape" in reply else env


def first_user(req: dict) -> str:
    return next(m["content"] for m in req["messages"] if m["role"] == "user")


def labels_in(req: dict) -> dict[str, str]:
    """Display label -> answer text, as shown in the first user message."""
    return dict(ANSWER_RE.findall(first_user(req)))


TASK_RE = re.compile(r'^# Task ("(?:[^"\\]|\\.)*")\n', re.M)


def tasks_in(req: dict) -> dict[str, str]:
    """Task id -> its part of the prompt, for a prompt with several samples (``--per-call``); else {}."""
    text = first_user(req)
    heads = list(TASK_RE.finditer(text))
    shared = text[:heads[0].start()] if heads else ""  # the questions, when said once for every task
    parts = {json.loads(m.group(1)): text[m.end():heads[i + 1].start() if i + 1 < len(heads) else len(text)]
             for i, m in enumerate(heads)}
    return {tid: part if "## Questions" in part else part + "\n\n" + shared for tid, part in parts.items()}


def oracle(req: dict, n: int) -> dict:
    tasks = tasks_in(req)
    if tasks:  # several samples in one prompt: each task answered as if it were asked alone
        return {"answer": {"answers": {
            tid: oracle({"messages": [{"role": "user", "content": part}]}, n)["answer"]
            for tid, part in tasks.items()}}}
    shown = labels_in(req)
    good = [lab for lab, text in shown.items() if "[GOOD]" in text]
    rest = [lab for lab in shown if lab not in good]
    values: dict = {}
    text = first_user(req)
    if '"preference"' in text:
        values["preference"] = good[0]
    if '"best"' in text:
        values["best"] = good[0]
    if '"ranking"' in text:
        values["ranking"] = good + rest
    if '"rating"' in text:
        values["rating"] = {lab: (5 if lab in good else 2) for lab in shown}
    return {"answer": {"values": values, "confidence": 0.9, "rationale": f"{good[0]} is correct."}}


class FakeLLM:
    def __init__(self) -> None:
        self.oracle = oracle
        self.policy = oracle
        self.first_user = first_user
        self.lock = threading.Lock()
        self.requests: list[dict] = []
        self.arrivals: list[float] = []
        self.per_prompt: Counter[str] = Counter()
        self.in_flight = 0
        self.max_in_flight = 0
        self.model_version = "judge-1-2024-06"
        self.files: dict[str, dict] = {}
        self.uploads: list[dict] = []
        self.batches: dict[str, dict] = {}
        self.batch_polls = 2
        self.batch_hold = False
        self.batch_refuse: str | None = None
        self.batch_gets = 0
        self._ids = itertools.count(1)
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _json(self, status, obj, raw=None):
                body = raw if raw is not None else json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json" if raw is None else "application/binary")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):  # noqa: N802
                path = urlsplit(self.path).path
                with server.lock:
                    found = server.batch_get(path)
                if found is None:
                    return self._json(404, {"error": {"message": f"no {path}"}})
                status, obj, raw = found
                self._json(status, obj, raw)

            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("content-length", 0))
                data = self.rfile.read(length)
                path = urlsplit(self.path).path
                if path.endswith("/files"):
                    return self._json(200, server.upload(self.headers.get("content-type", ""), data))
                if path.endswith("/batches"):
                    with server.lock:
                        status, obj = server.create_batch(path, json.loads(data),
                                                          {k.lower(): v for k, v in self.headers.items()})
                    return self._json(status, obj)
                req = json.loads(data)
                api = "anthropic" if self.path.endswith("/messages") else "openai"
                with server.lock:
                    server.requests.append({"api": api, "path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, **req})
                    server.arrivals.append(time.monotonic())
                    server.per_prompt[first_user(req)] += 1
                    n = len(server.requests)
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    reply = server.policy(req, n)
                    if reply.get("delay"):
                        time.sleep(reply["delay"])
                    if "wait" in reply:
                        reply["wait"]()
                    self._send(api, req, reply)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                finally:
                    with server.lock:
                        server.in_flight -= 1

            def _send(self, api, req, reply):
                status = reply.get("status", 200)
                if "raw" in reply:
                    body = reply["raw"]
                elif status != 200:
                    body = json.dumps(reply.get("body", {"error": {"message": "busy"}})).encode()
                else:
                    body = json.dumps(envelope(api, req, reply, server.model_version)).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                for k, v in reply.get("headers", {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address):  # clients that time out and hang up are expected
                pass

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    # ------------------------------------------------------------------ the batch APIs
    def upload(self, content_type: str, data: bytes) -> dict:
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"content-type: {content_type}\r\n\r\n".encode() + data)
        fields = {part.get_param("name", header="content-disposition"): part for part in msg.iter_parts()}
        part = fields["file"]
        with self.lock:
            fid = f"file-{next(self._ids)}"
            content = part.get_payload(decode=True)
            self.files[fid] = {"content": content, "filename": part.get_filename(),
                               "purpose": fields["purpose"].get_content().strip()}
            self.uploads.append({"id": fid, **self.files[fid]})
            return self._file_obj(fid)

    def _file_obj(self, fid: str) -> dict:
        f = self.files[fid]
        return {"id": fid, "object": "file", "bytes": len(f["content"]), "created_at": 1_700_000_000,
                "filename": f["filename"], "purpose": f["purpose"], "status": "processed", "status_details": None}

    def create_batch(self, path: str, body: dict, headers: dict) -> tuple[int, dict]:
        n = next(self._ids)
        if path.endswith("/messages/batches"):
            bid = f"msgbatch_{n:04d}"
            reqs = [(r["custom_id"], r["params"]) for r in body["requests"]]
            self.batches[bid] = {"api": "anthropic", "id": bid, "requests": reqs, "gets": 0, "created": time.time(),
                                 "headers": headers, "results": None}
            return 200, self._anthropic_obj(bid)
        if self.batch_refuse is not None:
            refuse, self.batch_refuse = self.batch_refuse, None
        else:
            refuse = None
        lines = [json.loads(x) for x in self.files[body["input_file_id"]]["content"].splitlines() if x.strip()]
        bid = f"batch_{n:04d}"
        self.batches[bid] = {"api": "openai", "id": bid, "requests": [(x["custom_id"], x["body"]) for x in lines],
                             "lines": lines, "gets": 0, "created": time.time(), "headers": headers, "results": None,
                             "input_file_id": body["input_file_id"], "endpoint": body["endpoint"],
                             "completion_window": body["completion_window"], "metadata": body.get("metadata"),
                             "refuse": refuse}
        return 200, self._openai_obj(bid)

    def _run(self, b: dict) -> None:
        """Answer every request of batch ``b`` once, by the policy, as the live API would."""
        if b["results"] is not None:
            return
        out = []
        for cid, req in b["requests"]:
            self.requests.append({"api": b["api"], "path": "batch", "custom_id": cid, "batch": b["id"], **req})
            self.per_prompt[first_user(req)] += 1
            reply = self.policy(req, len(self.requests))
            out.append((cid, req, reply))
        b["results"] = out

    def _ended(self, b: dict) -> bool:
        return not self.batch_hold and b["gets"] >= self.batch_polls

    def _openai_obj(self, bid: str) -> dict:
        b = self.batches[bid]
        obj = {"id": bid, "object": "batch", "endpoint": b["endpoint"], "errors": None,
               "input_file_id": b["input_file_id"], "completion_window": b["completion_window"],
               "status": "validating", "output_file_id": None, "error_file_id": None,
               "created_at": int(b["created"]), "in_progress_at": None, "expires_at": int(b["created"]) + 86400,
               "finalizing_at": None, "completed_at": None, "failed_at": None, "expired_at": None,
               "cancelling_at": None, "cancelled_at": None, "metadata": b["metadata"],
               "request_counts": {"total": len(b["requests"]), "completed": 0, "failed": 0}}
        if b["refuse"]:
            obj.update(status="failed", failed_at=int(time.time()), errors={"object": "list", "data": [
                {"code": "invalid_request", "message": b["refuse"], "param": None, "line": 1}]})
            obj["request_counts"]["total"] = 0
            return obj
        if b["gets"] == 0:
            return obj
        obj.update(status="in_progress", in_progress_at=int(b["created"]))
        if not self._ended(b):
            return obj
        self._run(b)
        ok, bad = [], []
        expired = False
        for i, (cid, req, reply) in enumerate(b["results"]):
            line = {"id": f"batch_req_{bid}_{i}", "custom_id": cid}
            if reply.get("expire"):
                expired = True
                bad.append({**line, "response": None, "error": {
                    "code": "batch_expired",
                    "message": "This request could not be executed before the completion window expired."}})
            elif reply.get("status", 200) != 200:
                bad.append({**line, "response": {"status_code": reply["status"], "request_id": f"req_{i}",
                                                 "body": reply.get("body", {"error": {"message": "busy"}})},
                            "error": None})
            else:
                ok.append({**line, "response": {"status_code": 200, "request_id": f"req_{i}",
                                                "body": envelope("openai", req, reply, self.model_version)},
                           "error": None})
        for kind, rows in (("output", ok), ("error", bad)):
            key = f"{kind}_fid"
            if rows and key not in b:
                fid = f"file-{next(self._ids)}"
                self.files[fid] = {"content": "".join(json.dumps(r) + "\n" for r in rows).encode(),
                                   "filename": f"{bid}_{kind}.jsonl", "purpose": "batch_output"}
                b[key] = fid
        obj.update(status="expired" if expired else "completed", output_file_id=b.get("output_fid"),
                   error_file_id=b.get("error_fid"), completed_at=None if expired else int(time.time()),
                   expired_at=int(time.time()) if expired else None)
        obj["request_counts"].update(completed=len(ok), failed=len(bad))
        return obj

    def _anthropic_obj(self, bid: str) -> dict:
        b = self.batches[bid]
        n = len(b["requests"])
        obj = {"id": bid, "type": "message_batch", "processing_status": "in_progress",
               "request_counts": {"processing": n, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0},
               "ended_at": None, "created_at": iso(b["created"]), "expires_at": iso(b["created"] + 86400),
               "cancel_initiated_at": None, "archived_at": None, "results_url": None}
        if not self._ended(b):
            return obj
        self._run(b)
        lines = []
        counts = {"processing": 0, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
        for cid, req, reply in b["results"]:
            if reply.get("expire"):
                result = {"type": "expired"}
            elif reply.get("status", 200) != 200:
                err = reply.get("body", {"error": {"message": "busy"}})["error"]
                result = {"type": "errored", "error": {"type": "error", "error": {
                    "type": err.get("type", "invalid_request_error"), "message": err.get("message", "")}}}
            else:
                result = {"type": "succeeded", "message": envelope("anthropic", req, reply, self.model_version)}
            counts[{"expired": "expired", "errored": "errored", "succeeded": "succeeded"}[result["type"]]] += 1
            lines.append({"custom_id": cid, "result": result})
        b["lines_out"] = "".join(json.dumps(x) + "\n" for x in lines).encode()
        obj.update(processing_status="ended", request_counts=counts, ended_at=iso(time.time()),
                   results_url=f"{self.root}/v1/messages/batches/{bid}/results")
        return obj

    def batch_get(self, path: str):
        """``(status, object, raw bytes or None)`` for a GET of the batch APIs, or None (404)."""
        parts = path.strip("/").split("/")
        if parts[:2] == ["v1", "files"] and len(parts) >= 3 and parts[2] in self.files:
            if len(parts) == 4 and parts[3] == "content":
                return 200, None, self.files[parts[2]]["content"]
            return 200, self._file_obj(parts[2]), None
        if parts == ["v1", "batches"]:
            data = [self._openai_obj(bid) for bid, b in reversed(self.batches.items()) if b["api"] == "openai"]
            return 200, {"object": "list", "data": data, "first_id": data[0]["id"] if data else None,
                         "last_id": data[-1]["id"] if data else None, "has_more": False}, None
        if parts[:2] == ["v1", "batches"] and len(parts) == 3 and parts[2] in self.batches:
            b = self.batches[parts[2]]
            b["gets"] += 1
            self.batch_gets += 1
            return 200, self._openai_obj(parts[2]), None
        if parts[:3] == ["v1", "messages", "batches"] and len(parts) >= 4 and parts[3] in self.batches:
            b = self.batches[parts[3]]
            if len(parts) == 5 and parts[4] == "results":
                if "lines_out" not in b:
                    return 400, {"type": "error", "error": {"type": "invalid_request_error",
                                                            "message": "the batch has not ended"}}, None
                return 200, None, b["lines_out"]
            b["gets"] += 1
            self.batch_gets += 1
            return 200, self._anthropic_obj(parts[3]), None
        return None

    def batch_ids(self) -> list[list[str]]:
        """The custom ids of every batch made, in order."""
        return [[cid for cid, _ in b["requests"]] for b in self.batches.values()]

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def openai_url(self) -> str:
        return f"{self.root}/v1"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

"""A real HTTP server on 127.0.0.1 that plays the OpenAI chat-completions and Anthropic messages APIs.

The default judge is an oracle: it reads the answers from the prompt as the model would, and picks
the one whose text carries ``[GOOD]``, under whatever display label the shuffle gave it. Tests swap
in other behaviours (bad JSON, wrong options, 429s, stalls) through ``server.policy``, which returns a
reply: ``answer`` (the JSON answer or its text), ``status`` and ``body`` for errors, ``headers``,
``delay``, ``wait``, ``shape`` (a function given the API's reply envelope, returning the one to send) or
``raw`` (the exact body bytes, for replies JSON cannot even encode).

Shared by tests/assist, tests/mcp, tests/labelstudio and tests/security; the ``llm_server`` fixture (one
server per test) is in the root conftest.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ANSWER_RE = re.compile(r'<answer label="([A-Z0-9]+)">\n(.*?)\n</answer>', re.S)


def first_user(req: dict) -> str:
    return next(m["content"] for m in req["messages"] if m["role"] == "user")


def labels_in(req: dict) -> dict[str, str]:
    """Display label -> answer text, as shown in the first user message."""
    return dict(ANSWER_RE.findall(first_user(req)))


def oracle(req: dict, n: int) -> dict:
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
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("content-length", 0))
                req = json.loads(self.rfile.read(length))
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
                    ans = reply["answer"]
                    text = ans if isinstance(ans, str) else json.dumps(ans)
                    if api == "openai":
                        envelope = {
                            "id": "chatcmpl-1", "object": "chat.completion", "created": 0,
                            "model": server.model_version,
                            "choices": [{"index": 0, "finish_reason": "stop",
                                         "message": {"role": "assistant", "content": text}}],
                            "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}}
                    else:
                        block = ({"type": "tool_use", "id": "toolu_1", "name": req["tools"][0]["name"], "input": ans}
                                 if not isinstance(ans, str) else {"type": "text", "text": ans})
                        envelope = {
                            "id": "msg_1", "type": "message", "role": "assistant", "model": server.model_version,
                            "content": [block], "stop_reason": "tool_use", "stop_sequence": None,
                            "usage": {"input_tokens": 100, "output_tokens": 20}}
                    if "shape" in reply:
                        envelope = reply["shape"](envelope)
                    body = json.dumps(envelope).encode()
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

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def openai_url(self) -> str:
        return f"{self.root}/v1"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

"""Several samples per call (``prelabel --per-call N``): calls, tokens and wall time for N = 1, 5 and 20, against
a loopback OpenAI-compatible server, beside knowlyr-datalabel 0.3.1's ``PreLabeler.prelabel(batch_size=N)``.

The server, in its own process, answers after ``--latency`` seconds plus ``--ms-per-token`` for each output
token, as a model writing its answer would, and counts tokens the same way for both tools (4 characters a
token, over every message sent and the answer). ``--bad`` of the samples get an answer naming an option that
does not exist the first time they are asked (seeded by sample): labelloop asks again (a follow-up turn, or
the sample alone when it shared a call) and keeps only valid labels; datalabel keeps what it got. "valid" is
the number of samples whose label is one of the options.

    .venv/bin/python bench/per_call.py [--samples 200] [--latency 0.2] [--ms-per-token 5] [--bad 0.05]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import re
import socket
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from labelloop.assist.llm import get_provider
from labelloop.assist.prelabel import prelabel
from labelloop.data.model import Candidate, DataSample, Dataset, Message
from labelloop.templates import TEMPLATES

ANSWER_RE = re.compile(r'<answer label="([A-Z0-9]+)">\n(.*?)\n</answer>', re.S)
TASK_RE = re.compile(r'^# Task ("(?:[^"\\]|\\.)*")\n', re.M)
DL_TASK_RE = re.compile(r"^ID: (\S+)$", re.M)
QUESTION_RE = re.compile(r"Question (\d+)\?")


def tokens(text: str) -> int:
    return max(1, len(text) // 4)


def is_bad(sample: str, share: float) -> bool:
    return int(hashlib.sha256(sample.encode()).hexdigest()[:8], 16) / 2**32 < share


def serve(latency: float, ms_per_token: float, bad: float, port_out) -> None:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def setup(self):
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def do_POST(self):  # noqa: N802
            req = json.loads(self.rfile.read(int(self.headers["content-length"])))
            user = next(m["content"] for m in req["messages"] if m["role"] == "user")
            first_turn = len(req["messages"]) <= 2

            def one(part: str) -> dict:
                good = next(lab for lab, text in ANSWER_RE.findall(part) if "[GOOD]" in text)
                q = QUESTION_RE.search(part)
                wrong = first_turn and q is not None and is_bad(f"s{q.group(1)}", bad)
                return {"values": {"preference": "Z" if wrong else good}, "confidence": 0.9, "rationale": "ok"}

            heads = list(TASK_RE.finditer(user))
            if heads:  # labelloop, several samples
                answers = {json.loads(m.group(1)): one(user[m.end():heads[i + 1].start() if i + 1 < len(heads)
                                                            else len(user)]) for i, m in enumerate(heads)}
                text = json.dumps({"answers": answers})
            elif ANSWER_RE.search(user):  # labelloop, one sample
                text = json.dumps(one(user))
            else:  # datalabel's batch prompt
                text = json.dumps([{"task_id": t, "choice": "Z" if is_bad(t, bad) else "A"}
                                   for t in DL_TASK_RE.findall(user)])
            n_in = sum(tokens(m["content"]) for m in req["messages"])
            n_out = tokens(text)
            time.sleep(latency + n_out * ms_per_token / 1000)
            body = json.dumps({"id": "x", "object": "chat.completion", "created": 0, "model": "bench-1",
                               "choices": [{"index": 0, "finish_reason": "stop",
                                            "message": {"role": "assistant", "content": text}}],
                               "usage": {"prompt_tokens": n_in, "completion_tokens": n_out,
                                         "total_tokens": n_in + n_out}}).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 256

    server = Server(("127.0.0.1", 0), Handler)
    port_out.put(server.server_address[1])
    server.serve_forever()


def dataset(n: int) -> Dataset:
    return Dataset(name="bench", samples=[
        DataSample(id=f"s{i}", prompt=[Message(role="user", content=f"Question {i}? Explain the trade-offs of "
                                               "caching answers between runs of a labelling job.")],
                   candidates=[Candidate(id="0", content=f"Answer {i}: a cache keyed by the whole prompt makes a "
                                         "rerun free and never mixes answers across models. [GOOD]"),
                               Candidate(id="1", content=f"Answer {i}: caching is never worth it, always ask "
                                         "again.")])
        for i in range(n)])


def run_ours(url: str, n: int, per_call: int, concurrency: int) -> dict:
    prov = get_provider("compatible", model="bench-1", base_url=url, api_key="x")
    ds, schema = dataset(n), TEMPLATES.get("rewardbench")()
    t0 = time.perf_counter()
    res = prelabel(ds, schema, prov, concurrency=concurrency, per_call=per_call)
    wall = time.perf_counter() - t0
    s = res.summary
    valid = sum(1 for smp in res.dataset.samples for a in smp.annotations
                if a.kind == "prediction" and a.values.get("preference") in ("0", "1", "tie", "both_bad"))
    return {"calls": s.calls, "in": s.input_tokens, "out": s.output_tokens, "wall": wall, "valid": valid,
            "alone": s.retried_alone}


def run_datalabel(url: str, n: int, batch_size: int) -> dict | None:
    try:
        from datalabel.llm import LLMClient, PreLabeler
    except ImportError:
        return None
    client = LLMClient(provider="openai", model="bench-1", api_key="x", base_url=url)
    schema = {"project_name": "bench", "fields": [{"name": "prompt"}, {"name": "a"}, {"name": "b"}],
              "annotation_config": {"type": "single_choice",
                                    "options": [{"value": "A", "label": "A"}, {"value": "B", "label": "B"}]}}
    ds = dataset(n)
    tasks = [{"id": s.id, "data": {"prompt": s.prompt[0].content, "a": s.candidates[0].content,
                                   "b": s.candidates[1].content}} for s in ds.samples]
    t0 = time.perf_counter()
    res = PreLabeler(client=client).prelabel(schema, tasks, batch_size=batch_size)
    wall = time.perf_counter() - t0
    assert res.success, res.error
    valid = sum(1 for r in res.responses if r.get("choice") in ("A", "B"))
    u = res.total_usage
    return {"calls": -(-n // batch_size), "in": u.prompt_tokens, "out": u.completion_tokens, "wall": wall,
            "valid": valid, "labelled": res.labeled_tasks}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=200)
    ap.add_argument("--latency", type=float, default=0.2)
    ap.add_argument("--ms-per-token", type=float, default=5.0)
    ap.add_argument("--bad", type=float, default=0.05)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--per-call", default="1,5,20")
    args = ap.parse_args()
    ports: multiprocessing.Queue = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(args.latency, args.ms_per_token, args.bad, ports),
                                     daemon=True)
    server.start()
    url = f"http://127.0.0.1:{ports.get(timeout=30)}/v1"
    n = args.samples
    print(f"{n} samples; server latency {args.latency * 1000:.0f} ms + {args.ms_per_token:g} ms per output token; "
          f"{args.bad:.0%} of first answers name an option that does not exist; loopback\n")
    print(f"{'tool':<38}{'N':>4}{'conc.':>6}{'calls':>7}{'in tok':>9}{'out tok':>9}{'tok/sample':>11}"
          f"{'wall s':>8}{'valid':>7}")
    sizes = [int(x) for x in args.per_call.split(",")]
    rows = []
    for k in sizes:
        r = run_ours(url, n, k, args.concurrency)
        rows.append(("labelloop prelabel --per-call", k, args.concurrency, r))
    peer_missing = False
    for k in sizes:
        r = run_datalabel(url, n, k)
        if r is None:
            peer_missing = True
            break
        rows.append(("knowlyr-datalabel 0.3.1 batch_size", k, 1, r))
    for name, k, c, r in rows:
        per = (r["in"] + r["out"]) / n
        print(f"{name:<38}{k:>4}{c:>6}{r['calls']:>7}{r['in']:>9}{r['out']:>9}{per:>11.1f}{r['wall']:>8.2f}"
              f"{r['valid']:>7}")
    if peer_missing:
        print("knowlyr-datalabel 0.3.1: not installed (pip install 'labelloop[bench]')")
    else:
        print("\nknowlyr-datalabel runs its batches one after another (no concurrency) and keeps every answer it "
              "gets, valid or not; labelloop asks again for each answer that does not fit.")
    server.terminate()
    server.join()


if __name__ == "__main__":
    main()

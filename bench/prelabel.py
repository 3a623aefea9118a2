"""Pre-labelling throughput against a loopback OpenAI-compatible server that answers after a fixed latency.

Prints wall time at each concurrency next to the ideal (samples x latency / concurrency), and, in the
same run, knowlyr-datalabel 0.3.1's ``PreLabeler.prelabel`` (sequential, 5 tasks per call) on the
same samples and server.

    .venv/bin/python bench/prelabel.py [--samples 2000] [--latency 0.1] [--concurrency 1,16,64]
"""

from __future__ import annotations

import argparse
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
TASK_RE = re.compile(r"^ID: (\S+)$", re.M)


def serve(latency: float, port_out) -> None:
    """Run the server in its own process, so its threads do not share a GIL with the client under test."""
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def setup(self):  # no Nagle: headers and body must not wait for a delayed ACK
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def do_POST(self):  # noqa: N802
            req = json.loads(self.rfile.read(int(self.headers["content-length"])))
            user = next(m["content"] for m in req["messages"] if m["role"] == "user")
            time.sleep(latency)
            shown = ANSWER_RE.findall(user)
            if shown:  # labelloop's prompt
                good = next(lab for lab, text in shown if "[GOOD]" in text)
                text = json.dumps({"values": {"preference": good}, "confidence": 0.9, "rationale": "ok"})
            else:  # datalabel's batch prompt
                text = json.dumps([{"task_id": t, "choice": "A"} for t in TASK_RE.findall(user)])
            body = json.dumps({"id": "x", "object": "chat.completion", "created": 0, "model": "bench-1",
                               "choices": [{"index": 0, "finish_reason": "stop",
                                            "message": {"role": "assistant", "content": text}}],
                               "usage": {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110}})
            data = body.encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 256

    server = Server(("127.0.0.1", 0), Handler)
    port_out.put(server.server_address[1])
    server.serve_forever()


def dataset(n: int) -> Dataset:
    return Dataset(name="bench", samples=[
        DataSample(id=f"s{i}", prompt=[Message(role="user", content=f"Question {i}?")],
                   candidates=[Candidate(id="0", content=f"good {i} [GOOD]"), Candidate(id="1", content=f"bad {i}")])
        for i in range(n)])


def run_ours(url: str, n: int, concurrency: int) -> tuple[float, int]:
    prov = get_provider("compatible", model="bench-1", base_url=url, api_key="x")
    ds, schema = dataset(n), TEMPLATES.get("rewardbench")()  # built outside the timed region, as datalabel's tasks are
    t0 = time.perf_counter()
    res = prelabel(ds, schema, prov, concurrency=concurrency)
    wall = time.perf_counter() - t0
    assert res.summary.predicted == n, res.summary
    return wall, res.summary.calls


def run_datalabel(url: str, n: int) -> tuple[float, int] | None:
    try:
        from datalabel.llm import LLMClient, PreLabeler
    except ImportError:
        return None
    client = LLMClient(provider="openai", model="bench-1", api_key="x", base_url=url)
    schema = {"project_name": "bench", "fields": [{"name": "prompt"}, {"name": "a"}, {"name": "b"}],
              "annotation_config": {"type": "single_choice",
                                    "options": [{"value": "A", "label": "A"}, {"value": "B", "label": "B"}]}}
    tasks = [{"id": f"s{i}", "data": {"prompt": f"Question {i}?", "a": f"good {i}", "b": f"bad {i}"}}
             for i in range(n)]
    t0 = time.perf_counter()
    res = PreLabeler(client=client).prelabel(schema, tasks)
    wall = time.perf_counter() - t0
    assert res.success and res.labeled_tasks == n, res.error
    return wall, -(-n // 5)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=2000)
    ap.add_argument("--latency", type=float, default=0.1)
    ap.add_argument("--concurrency", default="1,16,64")
    args = ap.parse_args()
    ports: multiprocessing.Queue = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(args.latency, ports), daemon=True)
    server.start()
    url = f"http://127.0.0.1:{ports.get(timeout=30)}/v1"
    n, lat = args.samples, args.latency
    print(f"{n} samples, server latency {lat * 1000:.0f} ms, loopback\n")
    print(f"{'tool':<34}{'conc.':>6}{'calls':>7}{'wall s':>9}{'ideal s':>9}{'vs ideal':>10}")
    for c in (int(x) for x in args.concurrency.split(",")):
        wall, calls = run_ours(url, n, c)
        ideal = n * lat / c
        print(f"{'labelloop prelabel':<34}{c:>6}{calls:>7}{wall:>9.2f}{ideal:>9.2f}{(wall / ideal - 1) * 100:>9.1f}%")
    peer = run_datalabel(url, n)
    if peer is None:
        print("knowlyr-datalabel 0.3.1: not installed (pip install 'labelloop[bench]')")
    else:
        wall, calls = peer
        ideal = calls * lat
        print(f"{'knowlyr-datalabel 0.3.1 prelabel':<34}{1:>6}{calls:>7}{wall:>9.2f}{ideal:>9.2f}"
              f"{(wall / ideal - 1) * 100:>9.1f}%   (sequential, 5 tasks per call)")
    server.terminate()
    server.join()


if __name__ == "__main__":
    main()

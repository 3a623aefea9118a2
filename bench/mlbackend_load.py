"""A burst against the ML backend: 2,000 requests from 32 concurrent clients, each on a new connection.

The backend runs in its own process (so its threads do not share a GIL with the clients), on 127.0.0.1, with
a starting model fitted on 300 labelled samples and one Label Studio project set up (template rewardbench).
Each client sends, as Label Studio does, one request per connection: ``GET /health`` and ``POST /predict``
(one task) in turn. "before" is the listen backlog the server had (``socketserver``'s default of 5, reproduced
with ``Limits(backlog=5)``), "after" today's default; everything else is the same. Rounds alternate between
the two so both see the same machine load; figures are over all requests of all rounds.

    .venv/bin/python bench/mlbackend_load.py [--requests 2000] [--clients 32] [--rounds 3] [--json]
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import statistics
import tempfile
import threading
import time

from labelloop.assist.mlbackend import Limits, MLBackend, make_server
from labelloop.assist.simulate import synthetic_preferences
from labelloop.data.positions import candidate_order
from labelloop.formats.labelstudio.config import get_template

BEFORE_BACKLOG = 5


def predict_body() -> bytes:
    tpl = get_template("rewardbench")
    s = synthetic_preferences(1, seed=4).samples[0]
    task = {"id": 1, "data": tpl.task_data(s, candidate_order(s), 2)}
    return json.dumps({"tasks": [task], "project": "1.1", "label_config": tpl.label_config(2),
                       "params": {}}).encode()


def serve(backlog: int, port_out, stop) -> None:
    """The backend's server, in a child process, until ``stop`` is set."""
    with tempfile.TemporaryDirectory() as d:
        tpl = get_template("rewardbench")
        backend = MLBackend("tfidf", model_dir=d, dataset=synthetic_preferences(300, seed=3))
        backend.handle("POST", "/setup", {"project": "1.1", "schema": tpl.label_config(2)})
        httpd = make_server(backend, "127.0.0.1", 0, limits=Limits(backlog=backlog))
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        port_out.put(httpd.server_address[1])
        stop.wait()
        httpd.shutdown()
        httpd.server_close()


def one(port: int, i: int, body: bytes) -> tuple[float, str]:
    """One request on a new connection: seconds from connect to the last byte of the reply, and its outcome."""
    t0 = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        if i % 2:
            conn.request("POST", "/predict", body=body, headers={"Content-Type": "application/json",
                                                                 "Connection": "close"})
        else:
            conn.request("GET", "/health", headers={"Connection": "close"})
        r = conn.getresponse()
        r.read()
        outcome = "ok" if r.status == 200 else f"status {r.status}"
    except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected):
        outcome = "reset"
    except TimeoutError:
        outcome = "timeout"
    except OSError as exc:
        outcome = f"error {type(exc).__name__}"
    finally:
        conn.close()
    return time.perf_counter() - t0, outcome


def burst(port: int, requests: int, clients: int, body: bytes) -> tuple[list[float], dict[str, int], float]:
    lock = threading.Lock()
    counter = iter(range(requests))
    latencies: list[float] = []
    outcomes: dict[str, int] = {}
    start = threading.Barrier(clients + 1)

    def client() -> None:
        start.wait()
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            dt, outcome = one(port, i, body)
            with lock:
                latencies.append(dt)
                outcomes[outcome] = outcomes.get(outcome, 0) + 1

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    return latencies, outcomes, time.perf_counter() - t0


def summary(latencies: list[float], outcomes: dict[str, int], wall: float, backlog: int) -> dict:
    n = len(latencies)
    q = statistics.quantiles(latencies, n=100, method="inclusive")
    resets = outcomes.get("reset", 0)
    return {"backlog": backlog, "requests": n, "p50_ms": round(1000 * statistics.median(latencies), 1),
            "p99_ms": round(1000 * q[98], 1), "max_ms": round(1000 * max(latencies), 1),
            "resets": resets, "reset_pct": round(100 * resets / n, 2),
            "other_errors": n - outcomes.get("ok", 0) - resets,
            "outcomes": dict(sorted(outcomes.items())), "req_per_s": round(n / wall, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=2000, help="Requests per burst.")
    ap.add_argument("--clients", type=int, default=32, help="Concurrent clients.")
    ap.add_argument("--rounds", type=int, default=3, help="Bursts per setting (alternating).")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    body = predict_body()
    ctx = multiprocessing.get_context("spawn")
    modes = {"before": BEFORE_BACKLOG, "after": Limits().backlog}
    runs: dict[str, tuple[list[float], dict[str, int], float]] = {m: ([], {}, 0.0) for m in modes}
    for _ in range(a.rounds):
        for mode, backlog in modes.items():
            port_out, stop = ctx.Queue(), ctx.Event()
            proc = ctx.Process(target=serve, args=(backlog, port_out, stop), daemon=True)
            proc.start()
            try:
                port = port_out.get(timeout=120)
                one(port, 0, body), one(port, 1, body)  # warm up
                lat, out, wall = burst(port, a.requests, a.clients, body)
            finally:
                stop.set()
                proc.join(30)
            all_lat, all_out, all_wall = runs[mode]
            all_lat += lat
            for k, v in out.items():
                all_out[k] = all_out.get(k, 0) + v
            runs[mode] = (all_lat, all_out, all_wall + wall)
    res = {m: summary(*runs[m], modes[m]) for m in modes}
    b, f = res["before"], res["after"]
    ratio = {k: (round(f[k] / b[k], 3) if b[k] else None) for k in ("p50_ms", "p99_ms", "max_ms", "req_per_s")}
    if a.json:
        print(json.dumps({"requests": a.requests, "clients": a.clients, "rounds": a.rounds, **res,
                          "ratio_after_before": ratio}, indent=2))
        return
    print(f"ML backend burst: {a.requests:,} requests x {a.rounds} rounds, {a.clients} concurrent clients, "
          "a new connection per request (GET /health and POST /predict in turn)")
    print(f"| {'':<22} | {'before (backlog 5)':>18} | {'after (backlog ' + str(f['backlog']) + ')':>20} "
          f"| {'after/before':>12} |")
    print(f"|{'-' * 24}|{'-' * 20}|{'-' * 22}|{'-' * 14}|")
    for key, label in (("p50_ms", "p50 latency (ms)"), ("p99_ms", "p99 latency (ms)"),
                       ("max_ms", "max latency (ms)"), ("req_per_s", "requests/s")):
        r = "" if ratio[key] is None else f"{ratio[key]:.2f}"
        print(f"| {label:<22} | {b[key]:>18,} | {f[key]:>20,} | {r:>12} |")
    for key, label in (("resets", "connection resets"), ("other_errors", "other errors")):
        bt = f"{b[key]} ({100 * b[key] / b['requests']:.2f}%)"
        ft = f"{f[key]} ({100 * f[key] / f['requests']:.2f}%)"
        print(f"| {label:<22} | {bt:>18} | {ft:>20} | {'':>12} |")
    print(f"outcomes before: {b['outcomes']}; after: {f['outcomes']}")


if __name__ == "__main__":
    main()

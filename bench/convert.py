"""Benchmark: a generated pairs Parquet file converted to canonical Parquet.

Ours is ``labelloop convert IN.parquet -o OUT.parquet --quiet`` (the streaming SampleReader +
write_samples path). The peer is the plain approach: ``pandas.read_parquet`` the whole file, build
the same DataSample objects row by row with ordinary pydantic constructors, and write canonical
Parquet with ``labelloop.data.io.write_samples``. Each runs in its own child process, so peak RSS
(from ``os.wait4``'s per-child rusage) and wall time are measured separately, imports included.

    .venv/bin/python bench/convert.py               # 1,000,000 rows
    .venv/bin/python bench/convert.py --rows 100000 # a quick run
    .venv/bin/python bench/convert.py --input jsonl # the same rows as JSONL (peer: pandas.read_json)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_ROWS = 1_000_000
DEFAULT_SEED = 0
GEN_CHUNK = 50_000
WORDS = (
    "the a model answer question explain why how what code python function error value list data file "
    "user assistant response correct wrong because therefore step first second finally result number "
    "write return print loop test case example input output reason safe helpful claim source check "
    "math proof sum product prime integer string array sort search tree graph node edge cost time memory"
).split()


# ---------------------------------------------------------------------- input
def generate(path: Path, rows: int, seed: int = DEFAULT_SEED) -> None:
    """A seeded pairs file: prompt, chosen, rejected (100-600 characters each) and a unique id."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    words = np.array(WORDS)
    # One long text to slice from: cheap to make, and slices at random offsets rarely repeat.
    corpus = " ".join(words[rng.integers(0, len(words), size=2_000_000)].tolist())
    top = len(corpus) - 700
    schema = pa.schema([("prompt", pa.string()), ("chosen", pa.string()), ("rejected", pa.string()),
                        ("id", pa.string())])
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for start in range(0, rows, GEN_CHUNK):
            n = min(GEN_CHUNK, rows - start)
            offsets = rng.integers(0, top, size=(3, n)).tolist()
            lengths = rng.integers(100, 601, size=(3, n)).tolist()
            cols = [[corpus[o:o + k] for o, k in zip(offsets[j], lengths[j])] for j in range(3)]
            cols[0] = [t.capitalize() + "?" for t in cols[0]]
            ids = [f"pair-{i:07d}" for i in range(start, start + n)]
            writer.write_table(pa.table(cols + [ids], schema=schema))


def to_jsonl(parquet: Path, path: Path) -> None:
    """The same rows as JSON Lines, one object a line (what most exported datasets look like)."""
    import pyarrow.parquet as pq

    with open(path, "w", encoding="utf-8") as fh:
        for batch in pq.ParquetFile(parquet).iter_batches(batch_size=GEN_CHUNK):
            fh.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in batch.to_pylist()))


# ---------------------------------------------------------------------- the peer
def baseline(src: str, dst: str) -> int:
    """The plain approach: the whole table in memory, one validated DataSample per row."""
    import pandas as pd

    from labelloop.data.io import write_samples
    from labelloop.data.model import Annotation, Candidate, DataSample, Message
    from labelloop.templates import TEMPLATES

    df = pd.read_json(src, lines=True, dtype=False) if src.endswith(".jsonl") else pd.read_parquet(src)
    samples = []
    for rec in df.to_dict("records"):
        prompt = [Message(role="user", content=rec["prompt"])]
        samples.append(DataSample(
            id=str(rec["id"]),
            prompt=prompt,
            candidates=[Candidate(id="0", content=rec["chosen"]), Candidate(id="1", content=rec["rejected"])],
            annotations=[Annotation(annotator="pairs", kind="reference", values={"preference": "0"},
                                    origin="pairs")],
            metadata={"source_id": rec["id"]},
        ))
    return write_samples(samples, dst, name=Path(src).stem, schema=TEMPLATES.get("rewardbench")())


# ---------------------------------------------------------------------- measuring
def _labelloop_cmd() -> list[str]:
    script = Path(sys.executable).with_name("labelloop")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from labelloop.cli import main; main()"]


def measure(cmd: list[str]) -> dict[str, float]:
    """Wall seconds and peak RSS (MiB) of one child process, from its own rusage."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark child failed with exit code {proc.returncode}: {' '.join(cmd)}")
    return {"seconds": seconds, "peak_rss_mib": usage.ru_maxrss / 1024}  # Linux reports KiB


def count_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).metadata.num_rows


def identical(a: Path, b: Path) -> bool:
    """Same schema, header and rows, compared batch by batch so the check itself stays small."""
    import pyarrow.parquet as pq

    fa, fb = pq.ParquetFile(a), pq.ParquetFile(b)
    if not fa.schema_arrow.equals(fb.schema_arrow, check_metadata=True):
        return False

    def rows(f):
        for batch in f.iter_batches(batch_size=20_000):
            yield from batch.to_pylist()

    return all(x == y for x, y in zip(rows(fa), rows(fb), strict=True))


def run(rows: int, seed: int, workdir: Path, input_format: str = "parquet") -> dict:
    src = workdir / f"pairs-{rows}-seed{seed}.parquet"
    if not src.exists():
        # In a child too: a forked child's peak RSS starts from its parent's, so the parent stays lean
        # (no numpy / pyarrow / text in memory) until both measurements are done.
        t0 = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--generate-child", str(src), str(rows), str(seed)], check=True)
        print(f"generated {src} ({src.stat().st_size / 2**20:.0f} MiB) in {time.perf_counter() - t0:.1f}s",
              file=sys.stderr)
    if input_format == "jsonl":
        parquet, src = src, src.with_suffix(".jsonl")
        if not src.exists():
            subprocess.run([sys.executable, __file__, "--jsonl-child", str(parquet), str(src)], check=True)
    ours_out, peer_out = workdir / "ours.parquet", workdir / "peer.parquet"
    ours = measure(_labelloop_cmd() + ["convert", str(src), "-o", str(ours_out), "--quiet"])
    peer = measure([sys.executable, __file__, "--baseline-child", str(src), str(peer_out)])
    n_ours, n_peer = count_rows(ours_out), count_rows(peer_out)
    if n_ours != rows or n_peer != rows:
        raise SystemExit(f"row counts differ: input {rows}, ours {n_ours}, peer {n_peer}")
    if not identical(ours_out, peer_out):
        raise SystemExit("the two outputs differ")
    for r, n in ((ours, n_ours), (peer, n_peer)):
        r["rows"] = n
        r["rows_per_s"] = n / r["seconds"]
    return {
        "rows": rows,
        "seed": seed,
        "input": input_format,
        "input_mib": src.stat().st_size / 2**20,
        "ours": ours,
        "peer": peer,
        "ratio_time": ours["seconds"] / peer["seconds"],
        "ratio_memory": ours["peak_rss_mib"] / peer["peak_rss_mib"],
    }


def table(res: dict) -> str:
    lines = [f"{'':34} {'rows':>9} {'seconds':>9} {'rows/s':>10} {'peak RSS MiB':>13}"]
    peer = "pandas.read_json" if res.get("input") == "jsonl" else "pandas.read_parquet"
    for key, label in (("ours", "labelloop convert (streaming)"), ("peer", f"{peer} + per-row")):
        r = res[key]
        lines.append(f"{label:34} {r['rows']:>9,} {r['seconds']:>9.1f} {r['rows_per_s']:>10,.0f} "
                     f"{r['peak_rss_mib']:>13,.0f}")
    lines.append(f"{'ratio ours/peer':34} {'':>9} {res['ratio_time']:>9.2f} {'':>10} {res['ratio_memory']:>13.2f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="rows in the generated file")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed for the generated text")
    ap.add_argument("--workdir", type=Path, help="keep the input and outputs here (default: a temp dir)")
    ap.add_argument("--input", choices=("parquet", "jsonl"), default="parquet", help="input container")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("--baseline-child", nargs=2, metavar=("SRC", "DST"), help=argparse.SUPPRESS)
    ap.add_argument("--generate-child", nargs=3, metavar=("DST", "ROWS", "SEED"), help=argparse.SUPPRESS)
    ap.add_argument("--jsonl-child", nargs=2, metavar=("SRC", "DST"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.generate_child:
        dst, n, seed = args.generate_child
        generate(Path(dst), int(n), int(seed))
        return
    if args.jsonl_child:
        to_jsonl(Path(args.jsonl_child[0]), Path(args.jsonl_child[1]))
        return
    if args.baseline_child:
        baseline(*args.baseline_child)
        return
    if args.rows < 1:
        ap.error("--rows must be at least 1")
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
        res = run(args.rows, args.seed, args.workdir, args.input)
    else:
        tmp = Path(tempfile.mkdtemp(prefix="labelloop-bench-"))
        try:
            res = run(args.rows, args.seed, tmp, args.input)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(res, indent=2) if args.json else table(res))


if __name__ == "__main__":
    main()

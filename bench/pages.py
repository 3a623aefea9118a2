"""Benchmark: the offline annotator and the dashboard on worst-case text, before and after the linear-time
Markdown and the folding of long texts.

Cases (each the first task of its own annotator file, or a dashboard row):
- links: the prompt is "[](" 33,333 times (the old inline pattern retried its link branch from every "[");
- word: the prompt and one answer are one 100,000-character word;
- heading: "# a", 3,900 spaces, "b" (the old heading pattern backtracked over every split of the spaces);
- quotes: ">" 50,000 times (the old renderer recursed once per ">");
- dashboard: opening a disagreement row whose prompt has 300,000 characters.

"before" builds the pages with the code of a git revision (``--before``, default the commit before the fix),
checked out with ``git archive`` into a temporary directory and run in a child process; "after" builds them with
this working tree. Both are measured in the same headless Chromium (Debian's), a fresh browser per page load:
- annotator: the page opens as a returning annotator (name stored), an init script checks on every animation
  frame whether the first task is in the task view, forces a layout and records ``performance.now()`` (ms since
  navigation): time to first task rendered and laid out. "show all" (after only) is the time to render and lay
  out the whole text on demand.
- dashboard: time from the click on the row to its detail rendered and laid out (the same forced layout).
A page that has not finished within ``--cap`` seconds is reported as "> cap"; one that throws, with its error.

    .venv/bin/python bench/pages.py              # every case, median of 3 loads
    .venv/bin/python bench/pages.py --loads 1 --cases links,dashboard
    .venv/bin/python bench/pages.py --json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BEFORE = "e6ca330c9cc56aee49008f1ecbe6e9329e9f9875"  # the last commit before the fix (annotator.js and report/)
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu", "--no-first-run",
        "--disable-component-update", "--disable-sync"]
CASES = ("links", "word", "heading", "quotes", "dashboard")
KNOWN = {"links": 15.0, "word": 40.0, "dashboard": 16.0}  # seconds, as reported in the issue (another machine)


# ---------------------------------------------------------------------- pages (run in a child, old or new code)
def case_text(case: str) -> str:
    return {"links": "[](" * 33_333, "word": "x" * 100_000, "heading": "# a" + " " * 3_900 + "b",
            "quotes": ">" * 50_000}[case]


def build(case: str, out: str) -> dict:
    """Write the page of ``case`` with whatever labelloop is importable; runs in the child process."""
    from labelloop.data.model import Annotation, Candidate, DataSample, Dataset, Message
    from labelloop.templates import TEMPLATES

    schema = TEMPLATES.get("rewardbench")()
    if case == "dashboard":
        from labelloop.report import build_dashboard

        samples = []
        for i in range(3):
            prompt = "lorem ipsum " * 25_000 if i == 0 else f"prompt {i}"
            anns = [Annotation(annotator=a, values={"preference": v}) for a, v in (("alice", "0"), ("bob", "1"))]
            samples.append(DataSample(id=f"s{i}", prompt=[Message(role="user", content=prompt)], annotations=anns,
                                      candidates=[Candidate(id="0", content="zero"), Candidate(id="1", content="one")]))
        Path(out).write_text(build_dashboard(Dataset(name="bench", samples=samples, schema=schema), bootstrap=0,
                                             review=False), encoding="utf-8")
        return {}
    from labelloop.annotate.html.generator import build_annotator

    text = case_text(case)
    first = text if case == "word" else "a short answer"
    samples = [DataSample(id="t1", prompt=[Message(role="user", content=text)],
                          candidates=[Candidate(id="0", content=first), Candidate(id="1", content="another")]),
               DataSample(id="t2", prompt=[Message(role="user", content="next")],
                          candidates=[Candidate(id="0", content="a"), Candidate(id="1", content="b")])]
    info = build_annotator(Dataset(name="bench", samples=samples), schema, out)
    return {"file_id": info.file_id}


def build_with(src: Path, case: str, out: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(src)}
    res = subprocess.run([sys.executable, __file__, "--build", case, "--out", str(out)], env=env, check=True,
                         capture_output=True, text=True)
    return json.loads(res.stdout)


def old_source(rev: str, into: Path) -> Path:
    into.mkdir(parents=True, exist_ok=True)
    tar = into / "src.tar"
    with open(tar, "wb") as fh:
        subprocess.run(["git", "-C", str(REPO), "archive", rev, "src"], stdout=fh, check=True)
    with tarfile.open(tar) as tf:
        tf.extractall(into, filter="data")
    return into / "src"


# ---------------------------------------------------------------------- browser
WATCH = """(() => {
  const check = () => {
    const el = document.querySelector('#task .prompt');
    if (el) { void document.body.offsetHeight; window.__benchFirst = performance.now(); }
    else requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
})();"""
SHOW_ALL = """() => {
  const b = document.querySelector('#task .prompt .show-all');
  if (!b) return null;  // short enough to show whole
  const t0 = performance.now();
  b.click();
  void document.body.offsetHeight;
  return performance.now() - t0;
}"""
OPEN_ROW = """(sel) => {
  const t0 = performance.now();
  document.querySelector(sel).click();
  void document.body.offsetHeight;
  return performance.now() - t0;
}"""
DASH_SHOW_ALL = """() => {
  const t0 = performance.now();
  document.querySelector('#dtable tr.detail .show-all').click();
  void document.body.offsetHeight;
  return performance.now() - t0;
}"""


def one_load(pw, path: Path, case: str, file_id: str | None, cap_s: float, after: bool) -> dict:
    """One page load in a fresh browser: ms to the first task (or the row opened), or why there is none."""
    browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    errors: list[str] = []
    try:
        ctx = browser.new_context(viewport={"width": 1400, "height": 900})
        if file_id:
            state = json.dumps({"annotator": "bench", "cur": 0, "filter": "all", "theme": None, "guidelines": False})
            ctx.add_init_script(f"localStorage.setItem({json.dumps(f'labelloop:{file_id}:state')}, "
                                f"{json.dumps(state)});")
            ctx.add_init_script(WATCH)
        page = ctx.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(path.resolve().as_uri(), wait_until="commit", timeout=cap_s * 1000)
        out: dict = {}
        if case == "dashboard":
            page.wait_for_selector("html[data-loaded='1']", state="attached", timeout=cap_s * 1000)
            page.set_default_timeout(cap_s * 1000)
            out["ms"] = page.evaluate(OPEN_ROW, "#dtable tr.drow[data-i='0'] td")
            if after:
                out["show_all_ms"] = page.evaluate(DASH_SHOW_ALL)
        else:
            deadline = time.monotonic() + cap_s
            while time.monotonic() < deadline and not errors:
                try:
                    page.wait_for_function("window.__benchFirst !== undefined", polling=20, timeout=1000)
                    break
                except Exception:  # noqa: BLE001 - Playwright's TimeoutError; keep polling until the cap
                    continue
            else:
                return {"error": errors[0]} if errors else {"timeout": cap_s}
            out["ms"] = page.evaluate("window.__benchFirst")
            if after:
                page.set_default_timeout(cap_s * 1000)
                out["show_all_ms"] = page.evaluate(SHOW_ALL)
        return out
    except Exception as exc:  # noqa: BLE001 - a page that freezes past the cap
        if errors:
            return {"error": errors[0]}
        if "Timeout" in type(exc).__name__ or "Timeout" in str(exc):
            return {"timeout": cap_s}
        raise
    finally:
        browser.close()


def measure(pw, path: Path, case: str, file_id: str | None, loads: int, cap_s: float, after: bool) -> dict:
    runs = [one_load(pw, path, case, file_id, cap_s, after) for _ in range(loads)]
    bad = [r for r in runs if "ms" not in r]
    if bad:
        return bad[0]
    out = {"ms": statistics.median(r["ms"] for r in runs)}
    if after and runs[0].get("show_all_ms") is not None:
        out["show_all_ms"] = statistics.median(r["show_all_ms"] for r in runs)
    return out


# ---------------------------------------------------------------------- report
def cell(r: dict) -> str:
    if "timeout" in r:
        return f"> {r['timeout']:.0f} s"
    if "error" in r:
        return "error"
    return f"{r['ms'] / 1000:.2f} s" if r["ms"] >= 1000 else f"{r['ms']:.0f} ms"


WHAT = {"links": 'annotator, "[](" x 33,333: first task', "word": "annotator, 100,000-char word: first task",
        "heading": "annotator, heading + 3,900 spaces: first task", "quotes": 'annotator, ">" x 50,000: first task',
        "dashboard": "dashboard, 300,000-char prompt: row opened"}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", default=",".join(CASES), help=f"Comma-separated, of {', '.join(CASES)}.")
    ap.add_argument("--before", default=BEFORE, help="The git revision whose code is 'before'.")
    ap.add_argument("--loads", type=int, default=3, help="Page loads per figure (median).")
    ap.add_argument("--cap", type=float, default=120.0, help="Seconds after which a page counts as frozen.")
    ap.add_argument("--json", action="store_true", help="Print the figures as JSON.")
    ap.add_argument("--build", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.build:  # the child: build one page with the labelloop on PYTHONPATH
        print(json.dumps(build(args.build, args.out)))
        return 0
    cases = [c for c in args.cases.split(",") if c]
    unknown = sorted(set(cases) - set(CASES))
    if unknown:
        ap.error(f"unknown case(s): {', '.join(unknown)}")
    from playwright.sync_api import sync_playwright

    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="lb-pages-bench-") as tmp:
        work = Path(tmp)
        sources = {"before": old_source(args.before, work / "before"), "after": REPO / "src"}
        with sync_playwright() as pw:
            for case in cases:
                results[case] = {}
                for side, src in sources.items():
                    path = work / f"{side}-{case}.html"
                    info = build_with(src, case, path)
                    results[case][side] = measure(pw, path, case, info.get("file_id"), args.loads, args.cap,
                                                  side == "after")
                if not args.json:
                    print(f"measured {case}", file=sys.stderr)
    if args.json:
        print(json.dumps({"before_revision": args.before, "loads": args.loads, "cap_s": args.cap,
                          "results": results}, indent=1))
        return 0
    print(f"before: {args.before[:12]}   after: this working tree   median of {args.loads} load(s)\n")
    print(f"{'case':48}{'issue (s)':>10}{'before':>14}{'after':>11}{'show all':>11}")
    for case in cases:
        r = results[case]
        known = f"{KNOWN[case]:.0f}" if case in KNOWN else "—"
        show = r["after"].get("show_all_ms")
        print(f"{WHAT[case]:48}{known:>10}{cell(r['before']):>14}{cell(r['after']):>11}"
              f"{(f'{show:.0f} ms' if show is not None else '—'):>11}")
    errors = {c: r["before"]["error"] for c, r in results.items() if "error" in r["before"]}
    for case, err in errors.items():
        print(f"\nbefore, {case}: the page threw {err!r} and never showed the task.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

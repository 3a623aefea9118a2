"""Behaviour snapshot: what a user sees today, as text files, byte for byte.

Run as ``python tests/behaviour/producer.py OUT_DIR`` (``scripts/behaviour-snapshot`` does, and so does
tests/behaviour/test_snapshot.py). It writes, under OUT_DIR:

- ``help/<command path>.txt``: ``--help`` of every command and sub-command of the ``labelloop`` CLI;
- ``cli/*.txt``: ``info``, ``agreement``, ``merge``, ``dashboard`` and the DPO export (``--split
  train=0.8,test=0.2``) on the bundled example and on a tiny two-annotator dataset built here;
- ``mcp/*.json``: the MCP server's tools/list and two tools/call results (info, validate), through the SDK's
  client over stdio.

Paths that contain the temporary work directory are replaced by ``<TMP>``; nothing else is changed. The
environment is fixed (COLUMNS=100, TERM=dumb, NO_COLOR=1, no TTY) so two runs give the same bytes.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "rewardbench2_example.jsonl"
PLACEHOLDER = "<TMP>"
FIXED_ENV = {"COLUMNS": "100", "LINES": "50", "TERM": "dumb", "NO_COLOR": "1", "LANG": "C.UTF-8",
             "LC_ALL": "C.UTF-8", "TZ": "UTC", "PYTHONHASHSEED": "0", "PYTHONIOENCODING": "utf-8"}
UNSET_ENV = ("FORCE_COLOR", "CLICOLOR_FORCE", "TERMINAL_WIDTH", "_TYPER_FORCE_DISABLE_TERMINAL", "COLORTERM",
             "JUPYTER_COLUMNS", "JUPYTER_LINES")


def fixed_env(base: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ if base is None else base)
    for k in UNSET_ENV:
        env.pop(k, None)
    env.update(FIXED_ENV)
    return env


class _Scrub:
    """Replace every spelling of the temporary directory (plain, resolved, JSON-escaped) by the placeholder."""

    def __init__(self, tmp: Path) -> None:
        forms = {str(tmp), str(tmp.resolve()), os.path.realpath(tmp)}
        forms |= {json.dumps(f)[1:-1] for f in list(forms)}
        self.forms = sorted(forms, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for f in self.forms:
            text = text.replace(f, PLACEHOLDER)
        return text


# ---------------------------------------------------------------------------------------------- the CLI
def _invoke(argv: list[str]) -> tuple[int, str, str]:
    """Run ``labelloop ARGV`` in this process as the console script would; returns (exit code, stdout, stderr)."""
    from labelloop.cli import main

    stdout, stderr = io.StringIO(), io.StringIO()
    code = 0
    sys.argv = ["labelloop", *argv]  # the program name click shows in "Usage:", as the console script has it
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        try:
            main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return code, stdout.getvalue(), stderr.getvalue()


def _command_paths() -> list[list[str]]:
    """Every command path of the CLI (the root first), walking the click tree Typer builds."""
    import typer

    from labelloop.cli import app

    root = typer.main.get_command(app)
    paths: list[list[str]] = []

    def walk(cmd: Any, path: list[str]) -> None:  # typer may vendor its own click: duck-typed groups
        paths.append(path)
        for name in sorted(getattr(cmd, "commands", None) or {}):
            walk(cmd.commands[name], [*path, name])

    walk(root, [])
    return paths


def _record(code: int, out: str, err: str) -> str:
    return f"$ exit {code}\n--- stdout\n{out}--- stderr\n{err}"


def help_snapshots(files: dict[str, str]) -> None:
    for path in _command_paths():
        code, out, err = _invoke([*path, "--help"])
        name = "_".join(path) if path else "labelloop"
        files[f"help/{name}.txt"] = _record(code, out, err)


def _two_annotator_dataset(target: Path) -> None:
    """Six pairwise samples, two people (and one's changed answer, a skip), a reference and a model's guess."""
    from datetime import datetime, timezone

    from labelloop.data.io import write_dataset
    from labelloop.data.model import Annotation, Candidate, DataSample, Dataset, Message
    from labelloop.templates import TEMPLATES

    t0 = datetime(2025, 1, 1, tzinfo=timezone.utc)
    pref = {"s1": ("0", "0"), "s2": ("0", "1"), "s3": ("1", "1"), "s4": ("tie", "0"), "s5": ("0", None),
            "s6": ("1", "1")}
    rating = {"s1": ({"0": 5, "1": 2}, {"0": 4, "1": 2}), "s2": ({"0": 3, "1": 3}, {"0": 2, "1": 4}),
              "s3": ({"0": 1, "1": 4}, {"0": 2, "1": 4}), "s4": ({"0": 3, "1": 3}, {"0": 4, "1": 3}),
              "s5": ({"0": 5, "1": 1}, None), "s6": ({"0": 2, "1": 5}, {"0": 1, "1": 5})}
    model = {"s1": "0", "s2": "0", "s3": "0", "s4": "0", "s5": "0", "s6": "1"}
    samples = []
    for i, (sid, answers) in enumerate(pref.items()):
        anns = []
        for j, (person, value) in enumerate(zip(("alice", "bob"), answers)):
            stamp = t0.replace(day=2 + i, hour=j)
            if value is None:
                anns.append(Annotation(annotator=person, status="skipped", created_at=stamp))
                continue
            values: dict[str, Any] = {"preference": value, "rating": rating[sid][j]}
            if (sid, person) == ("s2", "bob"):
                values["comment"] = "A is too short."
            anns.append(Annotation(annotator=person, values=values, created_at=stamp, updated_at=stamp,
                                   lead_time_s=10.0 + 3 * i + j))
        anns.append(Annotation(annotator="rewardbench", kind="reference", values={"preference": "0"}))
        anns.append(Annotation(annotator="gpt-judge", kind="prediction", values={"preference": model[sid]}))
        samples.append(DataSample(id=sid, prompt=[Message(role="user", content=f"Question {sid}?")],
                                  candidates=[Candidate(id="0", content=f"Answer A to {sid}"),
                                              Candidate(id="1", content=f"Answer B to {sid}")],
                                  annotations=anns))
    write_dataset(Dataset(name="two-annotators", samples=samples, schema=TEMPLATES.get("rewardbench")()), target)


def cli_snapshots(files: dict[str, str], tmp: Path, scrub: _Scrub) -> None:
    example = tmp / "example.jsonl"
    pairs = tmp / "pairs.jsonl"
    _two_annotator_dataset(pairs)

    def run(name: str, *argv: Any) -> None:
        files[f"cli/{name}.txt"] = scrub(_record(*_invoke([str(a) for a in argv])))

    def content(name: str, path: Path) -> None:
        files[f"cli/{name}"] = scrub(path.read_text(encoding="utf-8")) if path.exists() else "(not written)\n"

    src = tmp / "rewardbench2_example.jsonl"
    shutil.copyfile(EXAMPLE, src)  # the input's path too must be under the temp dir
    run("convert_example", "convert", src, "-o", example, "--json")
    content("convert_example.jsonl", example)
    run("info_example", "info", example, "--json")
    run("info_example_table", "info", example)
    run("validate_example", "validate", example)
    run("agreement_example", "agreement", example, "--json")
    run("info_pairs", "info", pairs, "--json")
    run("agreement_pairs", "agreement", pairs, "--json")
    run("agreement_pairs_table", "agreement", pairs)
    merged = tmp / "merged.jsonl"
    run("merge_pairs", "merge", pairs, "-o", merged, "--json")
    content("merge_pairs.jsonl", merged)
    run("dashboard_pairs", "dashboard", pairs, "--json", "--bootstrap", "50")
    run("dashboard_example", "dashboard", example, "--json", "--bootstrap", "50")
    for label, data in (("example", example), ("pairs", merged)):
        out = tmp / f"dpo_{label}.jsonl"
        run(f"export_dpo_{label}", "export", data, "-o", out, "-f", "dpo", "--split", "train=0.8,test=0.2", "--json")
        for part in ("train", "test"):
            content(f"export_dpo_{label}_{part}.jsonl", tmp / f"dpo_{label}_{part}.jsonl")


# ---------------------------------------------------------------------------------------------- MCP
def mcp_snapshots(files: dict[str, str], tmp: Path, scrub: _Scrub) -> None:
    import anyio

    from mcp import ClientSession, StdioServerParameters, stdio_client

    example = tmp / "example.jsonl"
    params = StdioServerParameters(command=sys.executable, args=["-m", "labelloop.mcp", "--root", str(tmp)],
                                   env={k: v for k, v in fixed_env().items()
                                        if k in ("PATH", "HOME", "PYTHONPATH", "TMPDIR", *FIXED_ENV)},
                                   cwd=str(tmp))

    def dump(obj: Any) -> str:
        return scrub(json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False)) + "\n"

    def model(obj: Any) -> Any:
        return obj.model_dump(mode="json", by_alias=True)

    def result(res: Any) -> dict[str, Any]:
        return model(res)

    async def body(session: ClientSession) -> None:
        tools = await session.list_tools()
        files["mcp/tools_list.json"] = dump([model(t) for t in sorted(tools.tools, key=lambda t: t.name)])
        files["mcp/call_info.json"] = dump(result(await session.call_tool("info", {"path": str(example)})))
        files["mcp/call_validate.json"] = dump(result(await session.call_tool("validate", {"path": str(example)})))

    async def main() -> None:
        with anyio.fail_after(120):
            with open(os.devnull, "w") as errlog:
                async with stdio_client(params, errlog=errlog) as (read, write):
                    async with ClientSession(read, write) as session:
                        await session.initialize()
                        await body(session)

    anyio.run(main)


# ---------------------------------------------------------------------------------------------- all
def produce() -> dict[str, str]:
    """Every snapshot, by relative file name. Must run in a process whose environment is ``fixed_env()``."""
    files: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="labelloop-behaviour-") as t:
        tmp = Path(t)
        scrub = _Scrub(tmp)
        cwd = os.getcwd()
        os.chdir(REPO)
        try:
            help_snapshots(files)
            cli_snapshots(files, tmp, scrub)
            mcp_snapshots(files, tmp, scrub)
        finally:
            os.chdir(cwd)
    return files


def write(files: dict[str, str], out_dir: Path) -> None:
    if out_dir.exists():
        shutil.rmtree(out_dir)
    for name, text in sorted(files.items()):
        path = out_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))


SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"


def generate(out_dir: Path, python: str = sys.executable) -> None:
    """Write the snapshots into OUT_DIR from a fresh process with the fixed environment."""
    import subprocess

    proc = subprocess.run([python, str(Path(__file__).resolve()), "--raw", str(out_dir)], cwd=REPO,
                          env=fixed_env(), stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"the snapshot producer failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")


def _listing(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def compare(expected_dir: Path, actual_dir: Path) -> str | None:
    """None when both trees hold the same files with the same bytes, else a report with a unified diff of the
    first file that differs. No expected files at all is a difference too (never a vacuous pass)."""
    import difflib

    expected, actual = _listing(expected_dir) if expected_dir.is_dir() else {}, _listing(actual_dir)
    if not expected:
        return f"no snapshot files under {expected_dir}: run scripts/behaviour-snapshot --update"
    if not actual:
        return "the producer wrote no snapshot files"
    missing, extra = sorted(set(expected) - set(actual)), sorted(set(actual) - set(expected))
    report = []
    if missing:
        report.append("snapshots no longer produced: " + ", ".join(missing))
    if extra:
        report.append("new snapshots not committed: " + ", ".join(extra))
    for name in sorted(set(expected) & set(actual)):
        if expected[name] != actual[name]:
            old = expected[name].decode("utf-8", "replace").splitlines(keepends=True)
            new = actual[name].decode("utf-8", "replace").splitlines(keepends=True)
            changed = sum(expected[n] != actual[n] for n in set(expected) & set(actual))
            report.append(f"{changed} snapshot file(s) differ; the first, {name}:\n" + "".join(
                difflib.unified_diff(old, new, f"committed/{name}", f"now/{name}")))
            break
    return "\n".join(report) or None


def _main(argv: list[str]) -> int:
    if argv[:1] == ["--raw"] and len(argv) == 2:
        if any(os.environ.get(k) != v for k, v in FIXED_ENV.items()) or any(k in os.environ for k in UNSET_ENV):
            print("--raw must run with fixed_env(); use scripts/behaviour-snapshot", file=sys.stderr)
            return 2
        write(produce(), Path(argv[1]))
        return 0
    if argv not in ([], ["--update"]):
        print("usage: scripts/behaviour-snapshot [--update]\n  without --update: compare with the committed "
              "snapshots (exit 1 and a diff when they differ)\n  --update: rewrite tests/behaviour/snapshots/",
              file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="labelloop-snapshot-") as t:
        fresh = Path(t) / "snapshots"
        generate(fresh)
        if argv == ["--update"]:
            write({k: v.decode("utf-8") for k, v in _listing(fresh).items()}, SNAPSHOTS)
            files = _listing(SNAPSHOTS)
            print(f"wrote {len(files)} snapshots ({sum(map(len, files.values()))} bytes) to {SNAPSHOTS}")
            return 0
        problem = compare(SNAPSHOTS, fresh)
    if problem:
        print(problem)
        return 1
    print("behaviour unchanged")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))

"""The command as a person runs it: real subprocesses, exit codes, one-sentence errors, no partial files."""

from __future__ import annotations

import json
import os

import pytest

from cli_run import one_error, run

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(ROOT, "examples", "rewardbench2_example.jsonl")


def test_convert_info_export_on_example(tmp_path):
    out = tmp_path / "ex.parquet"
    p = run("convert", EXAMPLE, "-o", out, "--json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == {"input": EXAMPLE, "format": "rewardbench2", "output": str(out), "samples": 25,
                                    "rejected": 0}
    assert "Format: rewardbench2 (recognised from columns:" in p.stderr
    info = json.loads(run("info", out, "--json").stdout)
    assert info["samples"] == 25 and info["candidates_per_sample"] == {"4": 23, "8": 2}
    assert info["subsets"] == {"Factuality": 6, "Focus": 4, "Math": 6, "Precise IF": 4, "Safety": 3, "Ties": 2}
    assert info["annotations_by_kind"] == {"reference": 25}
    assert info["annotations_by_annotator"] == {"rewardbench2 (reference)": 25}
    e = run("export", out, "-o", tmp_path / "dpo.jsonl", "-f", "dpo", "--pairs", "all", "--json")
    assert e.returncode == 0, e.stderr
    assert json.loads(e.stdout)["all"]["rows"] == 100
    assert len((tmp_path / "dpo.jsonl").read_text().splitlines()) == 100
    v = run("validate", out)
    assert v.returncode == 0 and "25 samples read; schema rewardbench2: no problems." in v.stdout


def test_validate_reports_bad_values(tmp_path):
    from labelloop import Annotation, load, save

    ds = load(EXAMPLE)
    ds.samples[0].annotations.append(Annotation(annotator="ann1", values={"best": "9"}))
    save(ds, tmp_path / "d.jsonl")
    p = run("validate", tmp_path / "d.jsonl", "--json")
    assert p.returncode == 1
    assert json.loads(p.stdout)["details"] == [
        "sample 'math-001', question 'best': value '9' is not one of ['0', '1', '2', '3'] (annotator 'ann1')",
        "sample 'math-001', question 'ranking': required answer is missing (annotator 'ann1')"]


@pytest.mark.parametrize("content,fmt,expected", [
    (None, "auto", "Input {src} does not exist."),
    ("", "auto", "Input {src} is empty."),
    ('{"prompt": "a", "chosen": "b", "rejected": "c"}\n', "nope", "Unknown format 'nope'; known: "),
    ('{"prompt": "a", "chosen": "b", "subset": "x"}\n', "rewardbench",
     "Input {src} has no column 'rejected' needed by format 'rewardbench'; columns found: chosen, prompt, subset."),
    ('{"prompt": "a", "chosen": "b", "rejected": "c"}\n{bad\n', "auto",
     "{src}:2: malformed JSON (Expecting property name enclosed in double quotes at column 2); use --skip-bad"),
    ('{"prompt": "a", "chosen": "b", "rejected": "c", "id": 1}\n{"prompt": "z", "chosen": "b", "rejected": "c", "id": 1}\n',
     "auto", "Rows {src}:1 and {src}:2 share the sample id '1'; ids must be unique."),
    ('{"x": 1}\n', "auto", "Cannot recognise the format of {src}; columns found: x."),
])
def test_bad_input_one_sentence_no_output(tmp_path, content, fmt, expected):
    src = tmp_path / "in.jsonl"
    if content is not None:
        src.write_text(content)
    out = tmp_path / "out.parquet"
    p = run("convert", src, "-o", out, "--format", fmt)
    assert one_error(p).startswith(expected.format(src=src))
    assert not out.exists()
    assert [f.name for f in tmp_path.iterdir()] == (["in.jsonl"] if content is not None else [])


def test_skip_bad_goes_on_and_writes_rejects(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"prompt": "a", "chosen": "b", "rejected": "c"}\n{bad\n{"prompt": "d", "chosen": null, "rejected": "c"}\n')
    p = run("convert", src, "-o", tmp_path / "o.jsonl", "--skip-bad")
    assert p.returncode == 0, p.stderr
    assert f"Skipped 2 bad row(s); written to {src}.rejects.jsonl." in p.stderr
    rejects = [json.loads(x) for x in (tmp_path / "in.jsonl.rejects.jsonl").read_text().splitlines()]
    assert [r["location"] for r in rejects] == [f"{src}:2", f"{src}:3"]
    assert rejects[1]["error"] == f"{src}:3: column 'chosen' is empty."


def test_unwritable_output(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    p = run("convert", EXAMPLE, "-o", blocker / "sub" / "out.jsonl")
    assert one_error(p).startswith(f"Cannot write {blocker / 'sub' / 'out.jsonl'}:")


def test_crash_midway_leaves_no_partial_output(tmp_path):
    # a bad row at the end of a long file: the output, already mostly written, must not appear
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"prompt": f"p{i}", "chosen": "a", "rejected": "b"}) + "\n" for i in range(3000))
                   + "{broken\n")
    out = tmp_path / "out.parquet"
    one_error(run("convert", src, "-o", out))
    assert sorted(f.name for f in tmp_path.iterdir()) == ["in.jsonl"]


def test_help_is_written_for_people():
    p = run("--help")
    assert p.returncode == 0
    for cmd in ("convert", "info", "validate", "export"):
        assert cmd in p.stdout
    h = run("export", "--help").stdout
    assert "best-vs-rest" in h and "adjacent" in h


@pytest.mark.parametrize("args, expected", [
    (("no-such-command",), "No such command 'no-such-command'."),
    (("convert",), "Missing argument 'src'."),
    (("convert", EXAMPLE, "-o", "x.jsonl", "--limit", "zero"), "Invalid value for '--limit'"),
])
def test_usage_errors_are_one_message_without_traceback(args, expected):
    p = run(*args)
    assert p.returncode == 2
    assert "Traceback" not in p.stderr
    assert expected in p.stderr

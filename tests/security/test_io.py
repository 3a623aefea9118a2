"""Hostile or damaged files in, and outputs that no file can hold: each costs exactly what is bad, is
reported in one sentence that names the file and line (or the sample and field), and never leaves a
traceback or a partial output behind."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cli_run import one_error, run
from labelloop import TEMPLATES, Annotation, Candidate, DataSample, Dataset, load, save
from labelloop.data.io import MAX_LINE_BYTES, atomic_open, csv_safe, csv_unsafe, remove_stale_temps, write_rows
from labelloop.data.split import split_samples
from labelloop.errors import BadRowError, LabelloopError, OutputError
from labelloop.formats import SampleReader
from labelloop.formats.export import export_dataset

PAIR = {"prompt": "p", "chosen": "a", "rejected": "b"}


def names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def pair_line(i: int) -> bytes:
    return (json.dumps({"prompt": f"question {i} " + "w" * 40, "chosen": "a", "rejected": "b", "id": f"r{i}"})
            + "\n").encode()


# ---------------------------------------------------------------------- a bad line costs that line
def test_non_utf8_line_costs_exactly_that_line_at_its_true_number(tmp_path):
    # 20,000 lines, line 10,001 not UTF-8: a chunked decoder lost every row from the bad chunk on
    # (9,970 written here, the line reported as 9,971); reading bytes per line loses one row.
    src = tmp_path / "in.jsonl"
    lines = [pair_line(i) for i in range(20_000)]
    lines[10_000] = b'{"prompt": "caf\xe9", "chosen": "a", "rejected": "b", "id": "bad"}\n'
    src.write_bytes(b"".join(lines))
    out = tmp_path / "out.jsonl"
    p = run("convert", src, "-o", out, "--skip-bad", "--json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["samples"] == 19_999 and json.loads(p.stdout)["rejected"] == 1
    assert f"Skipped 1 bad row(s); written to {src}.rejects.jsonl." in p.stderr
    ids = [json.loads(x)["id"] for x in out.read_text().splitlines()[1:]]  # line 1: the header
    assert ids == [f"r{i}" for i in range(20_000) if i != 10_000]
    rejects = [json.loads(x) for x in Path(f"{src}.rejects.jsonl").read_text().splitlines()]
    assert rejects == [{"location": f"{src}:10001", "error": f"{src}:10001: the line is not UTF-8 (byte 16).",
                        "raw": '{"prompt": "caf\\xe9", "chosen": "a", "rejected": "b", "id": "bad"}'}]

    out2 = tmp_path / "out2.jsonl"
    assert one_error(run("convert", src, "-o", out2)) == (
        f"{src}:10001: the line is not UTF-8 (byte 16); use --skip-bad to write such rows to a rejects file and go on.")
    assert not out2.exists()


def test_csv_line_not_utf8_costs_that_record(tmp_path):
    src = tmp_path / "in.csv"
    src.write_bytes(b"prompt,chosen,rejected\n" + b"".join(b"p%d,a,b\n" % i for i in range(5000))
                    + b"caf\xe9,a,b\n" + b"".join(b"q%d,a,b\n" % i for i in range(5000)))
    reader = SampleReader(src, skip_bad=True)
    assert len(reader.load()) == 10_000
    assert [r["error"] for r in reader.rejected] == [f"{src}:5002: the line is not UTF-8 (byte 4)."]


# ---------------------------------------------------------------------- CSV formula injection
def test_csv_safe_is_owasps_rule():
    assert [csv_safe(v) for v in ("=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "a=b", "", "'=x", " =x")] == [
        "'=1+2", "'+1", "'-1", "'@SUM(A1)", "'\tx", "'\rx", "a=b", "", "'=x", " =x"]
    assert [csv_safe(v) for v in (-1, -2.5, None, True)] == [-1, -2.5, None, True]  # numbers are not strings
    # reversible, for canonical CSV: quotes already in front of such a character get one more
    assert [csv_safe(v, reversible=True) for v in ("=x", "'=x", "''-1", "'a", "'")] == [
        "'=x", "''=x", "'''-1", "'a", "'"]
    for v in ("=x", "'=x", "''-1", "'a", "'", "-", "plain"):
        assert csv_unsafe(csv_safe(v, reversible=True)) == v


def test_canonical_csv_neutralises_formula_ids_and_reads_them_back(tmp_path):
    ids = ["=HYPERLINK(\"http://x\")", "+1", "-1", "@cmd", "\tt", "'=quoted", "plain"]
    ds = Dataset(name="f", samples=[DataSample(id=i, prompt=[{"role": "user", "content": "=1+1"}]) for i in ids])
    save(ds, tmp_path / "d.csv")
    with open(tmp_path / "d.csv", newline="", encoding="utf-8") as fh:
        cells = [row[0] for row in csv.reader(fh)][1:]
    assert cells == ["'=HYPERLINK(\"http://x\")", "'+1", "'-1", "'@cmd", "'\tt", "''=quoted", "plain"]
    back = load(tmp_path / "d.csv")
    assert [s.id for s in back.samples] == ids
    assert back.samples[0].prompt[0].content == "=1+1"  # JSON cells start with [ or {: never prefixed


def test_dpo_and_rm_pairwise_csv_neutralise_formula_cells(tmp_path):
    two = [Candidate(id="0", content="=cmd|' /C calc'!A0", model="@m"), Candidate(id="1", content="-2", model="m")]
    ds = Dataset(name="d", samples=[DataSample(id="s", prompt=[{"role": "user", "content": "+SUM(1)"}],
                                               candidates=two,
                                               annotations=[Annotation(annotator="h", values={"rating": {"0": 1, "1": 4}})])])
    ds.schema = TEMPLATES.get("rewardbench")()
    save(ds, tmp_path / "dpo.csv", "dpo")
    with open(tmp_path / "dpo.csv", newline="", encoding="utf-8") as fh:
        assert list(csv.reader(fh)) == [["prompt", "chosen", "rejected"], ["'+SUM(1)", "'-2", "'=cmd|' /C calc'!A0"]]
    save(ds, tmp_path / "rm.csv", "rm_pairwise")
    with open(tmp_path / "rm.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows == [["id", "prompt", "chosen", "rejected", "chosen_model", "rejected_model", "subset", "margin"],
                    ["s:1>0", "'+SUM(1)", "'-2", "'=cmd|' /C calc'!A0", "m", "'@m", "", "3.0"]]
    write_rows([{"n": -1, "x": -0.5, "t": "-1"}], tmp_path / "n.csv")
    assert (tmp_path / "n.csv").read_text() == "n,x,t\n-1,-0.5,'-1\n"


# ---------------------------------------------------------------------- one sentence, no traceback
def _write_parquet_pairs(path: Path, n: int = 5000) -> None:
    rows = [{"prompt": f"p{i} " + "x" * 50, "chosen": "a" * (i % 97), "rejected": "b", "id": str(i)} for i in range(n)]
    pq.write_table(pa.Table.from_pylist(rows), path, compression="snappy", row_group_size=1000)


@pytest.mark.parametrize("name, content, expected", [
    ("deep.jsonl", '{"prompt": "a", "chosen": "b", "rejected": "c", "m": ' + "[" * 1500 + "]" * 1500 + "}\n",
     "{src}:1: JSON nested deeper than 200 levels; use --skip-bad to write such rows to a rejects file and go on."),
    ("deep.jsonl", '{"prompt": "a", "chosen": "b", "rejected": "c", "m": ' + "[" * 300 + "]" * 300 + "}\n",
     "{src}:1: JSON nested deeper than 200 levels; use --skip-bad to write such rows to a rejects file and go on."),
    ("big.jsonl", '{"prompt": "a", "chosen": "b", "rejected": "c", "n": ' + "7" * 5000 + "}\n",
     "{src}:1: a number has more than 4,300 digits; use --skip-bad to write such rows to a rejects file and go on."),
    ("deep.json", "[" * 1500 + "]" * 1500, "{src}: JSON nested deeper than 200 levels."),
    ("big.json", '[{"prompt": "a", "chosen": "b", "rejected": "c", "n": ' + "7" * 5000 + "}]",
     "{src}: a number has more than 4,300 digits."),
    ("deep.csv", "prompt,chosen,rejected\na,b," + "[" * 1500 + "]" * 1500 + "\n",
     "{src}:2: column 'rejected': JSON nested deeper than 200 levels; use --skip-bad to write such rows to a "
     "rejects file and go on."),
    ("sur.jsonl", '{"id": "s1", "prompt": "a\\ud800", "chosen": "b", "rejected": "c"}\n',
     "{src}:1: field prompt holds a lone surrogate (\\ud800), which UTF-8 cannot encode; use --skip-bad to write "
     "such rows to a rejects file and go on."),
    ("sur.json", '[{"id": "s1", "prompt": [{"role": "user", "content": "\\udfff"}], "chosen": "b", "rejected": "c"}]',
     "{src}#1: field prompt[0].content holds a lone surrogate (\\udfff), which UTF-8 cannot encode; use --skip-bad "
     "to write such rows to a rejects file and go on."),
])
@pytest.mark.parametrize("out_suffix", [".jsonl", ".parquet", ".csv"])
def test_hostile_json_is_one_sentence(tmp_path, name, content, expected, out_suffix):
    src = tmp_path / name
    src.write_text(content, encoding="utf-8")
    out = tmp_path / f"out{out_suffix}"
    assert one_error(run("convert", src, "-o", out)) == expected.format(src=src)
    assert names(tmp_path) == [name]


def test_corrupt_parquet_pages_are_one_sentence(tmp_path):
    good = tmp_path / "good.parquet"
    _write_parquet_pairs(good, 20_000)
    data = bytearray(good.read_bytes())
    # overwrite the pages of the last row groups (the footer stays intact): the first batch of 8,192 rows
    # reads, then the corruption stops the read, with no row of the damaged part passed on
    meta = pq.ParquetFile(good).metadata
    first, last = meta.row_group(15).column(0), meta.row_group(19).column(3)
    start = first.dictionary_page_offset or first.data_page_offset  # a chunk starts at its dictionary page
    end = (last.dictionary_page_offset or last.data_page_offset) + last.total_compressed_size
    data[start:end] = bytes((i * 37 + 11) % 256 for i in range(end - start))
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(bytes(data))
    good.unlink()
    out = tmp_path / "out.jsonl"
    msg = one_error(run("convert", bad, "-o", out, "--skip-bad"))
    assert msg.startswith(f"Cannot read {bad}: the Parquet data after row 8,192 is corrupt (")
    assert msg.endswith(").") and "\n" not in msg
    assert one_error(run("info", bad)) == msg
    assert names(tmp_path) == ["bad.parquet"]


@pytest.mark.parametrize("first_line, expected", [
    ('{"labelloop_dataset": {"name": "x", ', "{src}:1: the labelloop_dataset header line is not valid JSON "
                                             "(Expecting property name enclosed in double quotes at the end of the line)."),
    ('{"labelloop_dataset": [1, 2]}', "{src}:1: the labelloop_dataset header must be a JSON object, not a list."),
    ('{"labelloop_dataset": "x"}', "{src}:1: the labelloop_dataset header must be a JSON object, not a string."),
    ('{"labelloop_dataset": {"metadata": [1]}}',
     "{src}:1: the labelloop_dataset header's metadata must be a JSON object, not a list."),
    ('{"labelloop_dataset": {"name": {"a": 1}}}',
     "{src}:1: the labelloop_dataset header's name must be a string, not an object."),
    ('{"labelloop_dataset": {"schema": {"name": "s", "questions": "no"}}}',
     "{src}:1: the labelloop_dataset header's schema: questions: Input should be a valid list."),
    ('{"labelloop_dataset": {"schema": 7}}',
     "{src}:1: the labelloop_dataset header's schema must be a JSON object, not a number."),
])
@pytest.mark.parametrize("command", ["convert", "info"])
def test_bad_dataset_header_line_is_one_sentence(tmp_path, first_line, expected, command):
    src = tmp_path / "in.jsonl"
    src.write_text(first_line + "\n" + json.dumps({"id": "a", "prompt": [], "candidates": [], "annotations": []}) + "\n")
    out = tmp_path / "out.jsonl"
    args = ("convert", src, "-o", out) if command == "convert" else ("info", src)
    assert one_error(run(*args)) == expected.format(src=src)
    assert names(tmp_path) == ["in.jsonl"]


def test_bad_header_in_parquet_metadata_is_one_sentence(tmp_path):
    src = tmp_path / "in.parquet"
    table = pa.Table.from_pylist([{"id": "a", **PAIR}]).replace_schema_metadata({"labelloop_dataset": "{not json"})
    pq.write_table(table, src)
    assert one_error(run("info", src)) == (
        f"{src}: the labelloop_dataset entry of the Parquet metadata is unusable: it is not valid JSON.")


def surrogate_dataset() -> Dataset:
    return Dataset(name="d", samples=[
        DataSample(id="ok", prompt=[{"role": "user", "content": "fine"}],
                   candidates=[Candidate(id="0", content="x"), Candidate(id="1", content="y")],
                   annotations=[Annotation(annotator="h", values={"preference": "0"})]),
        DataSample(id="s2", prompt=[{"role": "user", "content": "fine"}, {"role": "user", "content": "bad \ud800"}],
                   candidates=[Candidate(id="0", content="x"), Candidate(id="1", content="y")],
                   annotations=[Annotation(annotator="h", values={"preference": "0"})]),
    ])


@pytest.mark.parametrize("suffix", [".jsonl", ".json", ".parquet", ".csv"])
def test_lone_surrogate_on_write_names_sample_and_field(tmp_path, suffix):
    out = tmp_path / f"out{suffix}"
    with pytest.raises(OutputError) as e:
        save(surrogate_dataset(), out)
    assert str(e.value) == (f"Cannot write {out}: sample 's2': field prompt[1].content holds a lone surrogate "
                            "(\\ud800), which UTF-8 cannot encode.")
    assert names(tmp_path) == []


@pytest.mark.parametrize("suffix", [".jsonl", ".json", ".parquet", ".csv"])
def test_lone_surrogate_in_training_export_names_row_and_sample(tmp_path, suffix):
    ds = surrogate_dataset()
    ds.schema = TEMPLATES.get("rewardbench")()
    out = tmp_path / f"dpo{suffix}"
    with pytest.raises(OutputError) as e:
        save(ds, out, "dpo", prompt_style="text")
    assert str(e.value) == (f"Cannot write {out}: row 2 (sample 's2'): field prompt holds a lone surrogate "
                            "(\\ud800), which UTF-8 cannot encode.")
    assert names(tmp_path) == []


def test_any_writer_turns_a_lone_surrogate_into_one_sentence(tmp_path):
    # writers outside data/io that use atomic_open get the sentence too, and leave nothing behind
    out = tmp_path / "page.html"
    with pytest.raises(OutputError) as e:
        with atomic_open(out) as fh:
            fh.write("<p>ok</p>")
            fh.write("<p>\udc80</p>")
    assert str(e.value) == f"Cannot write {out}: the text holds a lone surrogate (\\udc80), which UTF-8 cannot encode."
    assert names(tmp_path) == []


def test_split_name_with_a_slash_is_refused_before_anything_is_written(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({**PAIR, "prompt": f"p{i}", "id": str(i)}) + "\n" for i in range(10)))
    out = tmp_path / "dpo.jsonl"
    for spec in ("train=0.5,a/b=0.5", "train=0.5,..=0.5", "train=0.5,=0.5", "train=0.5,.hidden=0.5"):
        name = spec.split(",")[1].split("=")[0]
        assert one_error(run("export", src, "-o", out, "-f", "dpo", "--split", spec)) == (
            f"Split name {name!r} cannot be used; a split name is 1 to 64 letters, digits, '_', '-' or '.', "
            "starting with a letter or digit.")
    assert one_error(run("export", src, "-o", out, "-f", "dpo", "--split", "train=0.5,train=0.5")) == (
        "--split 'train=0.5,train=0.5' names split 'train' twice.")
    assert one_error(run("export", src, "-o", out, "-f", "dpo", "--split", "train=nan,test=1")) == (
        "Split 'train' has ratio nan; ratios must be non-negative numbers.")
    assert names(tmp_path) == ["in.jsonl"]
    with pytest.raises(LabelloopError, match=r"^Split name 'x/y' cannot be used"):
        export_dataset(load(src), out, "dpo", ratios={"train": 1, "x/y": 1})
    assert names(tmp_path) == ["in.jsonl"]


def test_export_splits_are_all_or_nothing(tmp_path):
    # the second split cannot be written: the first, already finished, must not be left behind either

    ds = surrogate_dataset()
    ds.schema = TEMPLATES.get("rewardbench")()
    ds.samples[1].prompt = [ds.samples[1].prompt[1]]  # another prompt: its own split group
    ratios = {"a": 0.5, "b": 0.5}
    # a seed that puts the bad sample in split b, written second
    seed = next(k for k in range(50) if [s.id for s in split_samples(ds.samples, ratios, k)["b"]] == ["s2"])
    out = tmp_path / "dpo.jsonl"
    with pytest.raises(OutputError) as e:
        export_dataset(ds, out, "dpo", ratios=ratios, seed=seed, prompt_style="text")
    assert str(e.value) == (f"Cannot write {tmp_path / 'dpo_b.jsonl'}: row 1 (sample 's2'): field prompt holds a "
                            "lone surrogate (\\ud800), which UTF-8 cannot encode.")
    assert names(tmp_path) == []  # dpo_a.jsonl was complete, and is gone too
    ds.samples[1].prompt[0].content = "fixed"
    res = export_dataset(ds, out, "dpo", ratios=ratios, seed=seed)
    assert sorted(r["rows"] for r in res.values()) == [1, 1]
    assert names(tmp_path) == ["dpo_a.jsonl", "dpo_b.jsonl"]


# ---------------------------------------------------------------------- misleading messages
def test_jsonl_and_json_with_a_bom_read(tmp_path):
    (tmp_path / "b.jsonl").write_bytes(b"\xef\xbb\xbf" + json.dumps(PAIR).encode() + b"\n"
                                       + json.dumps({**PAIR, "prompt": "q"}).encode() + b"\n")
    assert [s.prompt[0].content for s in load(tmp_path / "b.jsonl")] == ["p", "q"]
    (tmp_path / "b.json").write_bytes(b"\xef\xbb\xbf" + json.dumps([PAIR]).encode())
    assert [s.prompt[0].content for s in load(tmp_path / "b.json")] == ["p"]
    # and a canonical file with a header line after the BOM keeps its header
    save(Dataset(name="named", samples=[DataSample(id="a")], metadata={"k": 1}), tmp_path / "c.jsonl")
    (tmp_path / "c2.jsonl").write_bytes(b"\xef\xbb\xbf" + (tmp_path / "c.jsonl").read_bytes())
    back = load(tmp_path / "c2.jsonl")
    assert (back.name, back.metadata, [s.id for s in back]) == ("named", {"k": 1}, ["a"])


def test_crlf_blank_lines_and_a_row_that_mentions_the_header_key(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_bytes(b'{"prompt": "about labelloop_dataset", oops\r\n\r\n   \n' + json.dumps(PAIR).encode() + b"\r\n")
    with pytest.raises(BadRowError) as e:
        load(src)
    assert str(e.value) == (f"{src}:1: malformed JSON (Expecting property name enclosed in double quotes at column "
                            "39); use skip_bad to write such rows to a rejects file and go on.")
    assert e.value.render(lambda p: "--skip-bad").endswith("39); use --skip-bad to write such rows to a rejects file "
                                                           "and go on.")
    reader = SampleReader(src, skip_bad=True)
    assert [s.prompt[0].content for s in reader] == ["p"]
    assert [r["location"] for r in reader.rejected] == [f"{src}:1"]


def test_single_malformed_line_is_named_not_no_rows(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"prompt": "a", oops}\n')
    out = tmp_path / "out.jsonl"
    assert one_error(run("convert", src, "-o", out)) == (
        f"{src}:1: malformed JSON (Expecting property name enclosed in double quotes at column 17); use --skip-bad "
        "to write such rows to a rejects file and go on.")
    assert one_error(run("convert", src, "-o", out, "--skip-bad")) == f"Input {src} holds no readable rows (1 rejected)."
    assert [json.loads(x)["location"] for x in Path(f"{src}.rejects.jsonl").read_text().splitlines()] == [f"{src}:1"]
    assert not out.exists()


def test_unclosed_csv_quote_is_reported_at_its_line(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text('prompt,chosen,rejected\na,b,c\nd,"e,f\ng,h,i\n')
    out = tmp_path / "out.jsonl"
    assert one_error(run("convert", src, "-o", out)) == (
        f"{src}:3: unclosed quote: the quoted cell that starts on this line is never closed; use --skip-bad to "
        "write such rows to a rejects file and go on.")
    reader = SampleReader(src, skip_bad=True)
    assert [s.prompt[0].content for s in reader] == ["a"]
    assert [r["location"] for r in reader.rejected] == [f"{src}:3"]


def test_duplicated_csv_header_is_refused(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("prompt,chosen,rejected,chosen\na,b,c,d\n")
    assert one_error(run("convert", src, "-o", tmp_path / "o.jsonl")) == (
        f"{src}:1: the header names column 'chosen' twice; column names must be unique.")
    assert names(tmp_path) == ["in.csv"]


# ---------------------------------------------------------------------- line size
def test_long_line_is_rejected_by_number_and_counted(tmp_path):
    src = tmp_path / "in.jsonl"
    long = json.dumps({**PAIR, "prompt": "x" * 5000, "id": "r1"}).encode() + b"\n"
    src.write_bytes(pair_line(0) + long + pair_line(2))
    with pytest.raises(BadRowError) as e:
        SampleReader(src, max_line_bytes=4096).load()
    assert str(e.value) == (f"{src}:2: the line is longer than the limit of 4,096 bytes; use skip_bad to write "
                            "such rows to a rejects file and go on.")
    reader = SampleReader(src, skip_bad=True, max_line_bytes=4096)
    assert [s.id for s in reader.load()] == ["r0", "r2"]
    assert reader.rejected == [{"location": f"{src}:2", "error": f"{src}:2: the line is longer than the limit of "
                                "4,096 bytes.", "raw": None}]
    # a line exactly at the limit (newline not counted) is read; one byte more is not
    assert [s.id for s in SampleReader(src, max_line_bytes=len(long) - 1)] == ["r0", "r1", "r2"]
    assert [s.id for s in SampleReader(src, skip_bad=True, max_line_bytes=len(long) - 2)] == ["r0", "r2"]


def test_long_line_is_skipped_without_holding_it(tmp_path):
    src = tmp_path / "in.jsonl"
    with open(src, "wb") as fh:
        fh.write(pair_line(0))
        fh.write(b'{"prompt": "' + b"y" * (40 * 2**20) + b'", "chosen": "a", "rejected": "b"}\n')
        fh.write(pair_line(2))
    tracemalloc.start()
    try:
        reader = SampleReader(src, skip_bad=True, max_line_bytes=2**20)
        ids = [s.id for s in reader]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert ids == ["r0", "r2"] and len(reader.rejected) == 1
    assert peak < 8 * 2**20  # a 40 MiB line, a 1 MiB limit: never more than a few MiB held


def test_default_line_limit_through_the_cli(tmp_path):
    src = tmp_path / "in.jsonl"
    with open(src, "wb") as fh:
        fh.write(pair_line(0))
        fh.write(b'{"prompt": "' + b"z" * MAX_LINE_BYTES + b'", "chosen": "a", "rejected": "b"}\n')
        fh.write(pair_line(2))
    p = run("convert", src, "-o", tmp_path / "out.jsonl", "--skip-bad", "--json")
    assert p.returncode == 0, p.stderr
    assert (json.loads(p.stdout)["samples"], json.loads(p.stdout)["rejected"]) == (2, 1)
    rejects = [json.loads(x) for x in Path(f"{src}.rejects.jsonl").read_text().splitlines()]
    assert rejects == [{"location": f"{src}:2", "error": f"{src}:2: the line is longer than the limit of 67,108,864 "
                        "bytes.", "raw": None}]


# ---------------------------------------------------------------------- temporary files of crashed writes
WRITER = """
import sys, time
from labelloop.data.io import atomic_open
with atomic_open(sys.argv[1]) as fh:
    fh.write("x" * 100000)
    fh.flush()
    print("writing", flush=True)
    time.sleep(600)
"""


def test_temp_file_of_a_killed_writer_is_removed_on_the_next_write(tmp_path):
    out = tmp_path / "out.jsonl"
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(out)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline() == "writing\n"
        temps = [n for n in names(tmp_path) if n.startswith(".out.jsonl.")]
        assert len(temps) == 1 and temps[0].startswith(f".out.jsonl.{proc.pid}-") and temps[0].endswith(".tmp")
        # while its writer lives, another write of the same output leaves it alone
        remove_stale_temps(out)
        assert names(tmp_path) == temps
    finally:
        proc.kill()  # kill -9: no cleanup runs
        proc.wait()
    assert names(tmp_path) == temps
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(PAIR) + "\n")
    p = run("convert", src, "-o", out)
    assert p.returncode == 0, p.stderr
    assert names(tmp_path) == ["in.jsonl", "out.jsonl"]


def test_only_stale_temps_of_that_same_output_are_removed(tmp_path):
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(gone.stdout)
    with atomic_open(tmp_path / "probe") as fh:  # learn this host's tag from a real temporary name
        host = next(n for n in os.listdir(tmp_path) if n.startswith(".probe.")).split(".")[2].split("-")[1]
        fh.write("")
    old = time.time() - 2 * 3600
    files = {
        f".out.jsonl.{dead_pid}-{host}.0123456789ab.tmp": None,  # writer gone: removed
        ".out.jsonl.0123456789ab.tmp": old,  # earlier naming, two hours old: removed
        ".out.jsonl.ba9876543210.tmp": None,  # earlier naming, fresh: may be live, kept
        f".out.jsonl.{os.getppid()}-{host}.0123456789ab.tmp": old,  # writer alive (our parent): kept
        f".out.jsonl.{dead_pid}-ffffff.0123456789ab.tmp": None,  # another host's, fresh: kept
        f".other.jsonl.{dead_pid}-{host}.0123456789ab.tmp": None,  # another output: kept
        f".out.jsonl.{dead_pid}-{host}.notours.tmp": None,  # not our pattern: kept
        "out.jsonl.tmp": old,  # not hidden, not ours: kept
    }
    for name, mtime in files.items():
        (tmp_path / name).write_text("partial")
        if mtime:
            os.utime(tmp_path / name, (mtime, mtime))
    save(Dataset(samples=[DataSample(id="a")]), tmp_path / "out.jsonl")
    kept = [n for n in files if n not in (f".out.jsonl.{dead_pid}-{host}.0123456789ab.tmp", ".out.jsonl.0123456789ab.tmp")]
    assert names(tmp_path) == sorted(kept + ["out.jsonl", "probe"])

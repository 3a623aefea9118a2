"""ops.data called directly: exact results and ParameterErrors named by the Python keyword."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from labelloop.errors import LabelloopError, ParameterError
from labelloop.ops import data


def test_info_counts(two: Path) -> None:
    r = data.info(two)
    assert r.model_dump() == {
        "name": "rewardbench2_example", "samples": 3, "schema_name": "rewardbench2", "format": "labelloop",
        "candidates_per_sample": {"4": 3}, "prompt_turns": {"1": 3}, "subsets": {"Math": 3},
        "annotations_by_kind": {"human": 6}, "annotations_by_annotator": {"ann1 (human)": 3, "ann2 (human)": 3}}


def test_validate_counts_the_problems(two: Path) -> None:
    r = data.validate(two)
    assert (r.samples, r.schema_name, r.valid, r.problems) == (3, "rewardbench2", False, 6)
    assert r.details[0] == "sample 'math-001', question 'ranking': required answer is missing (annotator 'ann1')"
    assert data.validate(two, "single_choice").schema_name == "single_choice"


def test_convert_writes_and_reports(tmp_path: Path) -> None:
    src = tmp_path / "p.jsonl"
    src.write_text(json.dumps({"question": "q", "good": "a", "bad": "b"}) + "\n{oops\n", encoding="utf-8")
    notes: list[str] = []
    r = data.convert(src, tmp_path / "out.jsonl", "pairs", skip_bad=True, note=notes.append,
                     columns={"prompt": "question", "chosen": "good", "rejected": "bad", "id": None})
    assert r.model_dump() == {"input": str(src), "format": "pairs", "output": str(tmp_path / "out.jsonl"),
                              "samples": 1, "rejected": 1, "rejects_file": f"{src}.rejects.jsonl"}
    assert notes == [f"Skipped 1 bad row(s); written to {src}.rejects.jsonl."]


def test_parse_split() -> None:
    assert data.parse_split("train=0.9,test=0.1") == {"train": 0.9, "test": 0.1}
    assert data.parse_split(None) == {}
    with pytest.raises(ParameterError) as info:
        data.parse_split("a=1,a=2")
    assert str(info.value) == "split 'a=1,a=2' names split 'a' twice."
    with pytest.raises(ParameterError) as info:
        data.parse_split("{x}")
    assert str(info.value) == "split '{x}': write it as name=ratio pairs, e.g. train=0.9,test=0.1."


def test_export_checks_before_reading(tmp_path: Path) -> None:
    missing = tmp_path / "missing.jsonl"  # never read: the checks come first
    with pytest.raises(ParameterError) as info:
        data.export(missing, tmp_path / "o.jsonl", "xml")
    assert info.value.param == "to"
    assert str(info.value).startswith("Unknown output format 'xml'; known: ")
    with pytest.raises(LabelloopError, match="ratios must be non-negative"):
        data.export(missing, tmp_path / "o.jsonl", "jsonl", split={"train": -1.0})


def test_export_one_file_per_split(two: Path, tmp_path: Path) -> None:
    r = data.export(two, tmp_path / "out.jsonl", "jsonl", split="a=2,b=1")
    assert r.format == "jsonl"
    assert {k: (Path(f.path).name, f.rows) for k, f in r.files.items()} == {"a": ("out_a.jsonl", 2),
                                                                           "b": ("out_b.jsonl", 1)}


def test_formats_lists_the_registry() -> None:
    rows = data.formats()
    assert rows[0].model_dump()["name"] == "chat"
    assert [r.name for r in rows if r.name in ("dpo", "labelloop")] == ["dpo", "labelloop"]
    assert {r.name: (r.read, r.write) for r in rows}["dpo"] == (False, True)

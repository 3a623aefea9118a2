"""ops.report and ops.labelbox called directly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from labelloop.errors import ParameterError
from labelloop.ops import labelbox, report


def test_dashboard_figures_only(two: Path) -> None:
    r = report.dashboard([two], render=False, bootstrap=0)
    assert (r.output, r.format, r.text) == (None, "html", None)
    assert r.data["overview"]["samples"] == 3
    assert len(r.data["annotators"]) == 2


def test_dashboard_markdown_written(two: Path, tmp_path: Path) -> None:
    r = report.dashboard([two], tmp_path / "d.md", "md", bootstrap=0, title="Two")
    assert r.output == str(tmp_path / "d.md")
    assert r.text == (tmp_path / "d.md").read_text(encoding="utf-8")
    assert r.text is not None and r.text.startswith("# Two")


def test_dashboard_format_is_checked_first(tmp_path: Path) -> None:
    with pytest.raises(ParameterError) as info:
        report.dashboard([tmp_path / "never-read.jsonl"], fmt="pdf")
    assert (info.value.param, str(info.value)) == ("fmt", "Unknown dashboard format 'pdf'; use html or md.")


def test_ontology(tmp_path: Path) -> None:
    r = labelbox.ontology(tmp_path / "o.json", template="rating")
    assert r.model_dump() == {"output": str(tmp_path / "o.json"), "schema_name": "rating", "tools": 0,
                              "classifications": 1}
    assert len(json.loads((tmp_path / "o.json").read_text(encoding="utf-8"))["classifications"]) == 1
    with pytest.raises(ParameterError) as info:
        labelbox.ontology(tmp_path / "o.json")
    assert str(info.value) == "Give exactly one of template or schema."
    assert info.value.render(lambda p: "--" + p) == "Give exactly one of --template or --schema."

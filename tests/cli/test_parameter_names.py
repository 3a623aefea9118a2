"""A ParameterError raised in ops reaches the command line naming the flag."""

from __future__ import annotations

from pathlib import Path

from cli_run import one_error, run
from labelloop.data.model import Annotation
from labelloop.formats import load, save

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "rewardbench2_example.jsonl"


def _two(tmp_path: Path, schema: bool = True) -> Path:
    ds = load(EXAMPLE)
    ds.samples = ds.samples[:2]
    for s in ds.samples:
        s.annotations = [Annotation(annotator=a, kind="human", values={"best": "0"}) for a in ("ann1", "ann2")]
    if not schema:
        ds.schema = None
    save(ds, tmp_path / "two.jsonl")
    return tmp_path / "two.jsonl"


def test_errors_name_the_flags(tmp_path: Path) -> None:
    two = _two(tmp_path)
    assert one_error(run("merge", two, "-o", tmp_path / "m.jsonl", "--tie-breaker", "experts")) == (
        "Expert priority needs a list of experts (--experts a,b).")
    assert one_error(run("agreement", two, "--bootstrap", "-1")) == "--bootstrap must be 0 or more, not -1."
    # the dashboard's bootstrap goes through the same check (before: "bootstrap must be …", no flag named)
    assert one_error(run("dashboard", two, "-o", tmp_path / "d.html", "--bootstrap", "-1")) == (
        "--bootstrap must be 0 or more, not -1.")
    assert one_error(run("export", two, "-o", tmp_path / "o.jsonl", "-f", "jsonl", "--split", "a=1,a=2")) == (
        "--split 'a=1,a=2' names split 'a' twice.")
    assert one_error(run("labelbox", "ontology", "-o", tmp_path / "o.json")) == (
        "Give exactly one of --template or --schema.")


def test_no_schema_names_template_and_schema(tmp_path: Path) -> None:
    bare = _two(tmp_path, schema=False)
    assert one_error(run("create", bare, "-o", tmp_path / "p.html")) == (
        "The dataset carries no schema; name one with --template or --schema.")

"""A ParameterError raised in ops reaches the model naming the tool's argument (the CLI names the flag:
tests/cli/test_parameter_names.py)."""

from __future__ import annotations

from pathlib import Path

from mcp_client import call_error, run_client, server_params

from labelloop.data.model import Annotation
from labelloop.formats import load, save
from mcp import ClientSession

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "rewardbench2_example.jsonl"


def test_errors_name_the_arguments(tmp_path: Path) -> None:
    ds = load(EXAMPLE)
    ds.samples = ds.samples[:2]
    for s in ds.samples:
        s.annotations = [Annotation(annotator=a, kind="human", values={"best": "0"}) for a in ("ann1", "ann2")]
    save(ds, tmp_path / "two.jsonl")
    ds.schema = None
    save(ds, tmp_path / "bare.jsonl")

    async def body(session: ClientSession) -> list[str]:
        return [await call_error(session, "merge", paths=["two.jsonl"], output="m.jsonl", tie_breaker="experts"),
                await call_error(session, "create_annotator", path="bare.jsonl", output="p.html"),
                await call_error(session, "agreement", paths=[])]

    assert run_client(server_params(tmp_path), body) == [
        "Error executing tool merge: Expert priority needs a list of experts (experts a,b).",
        "Error executing tool create_annotator: The dataset carries no schema; name one with schema.",
        "Error executing tool agreement: Give at least one dataset path.",
    ]

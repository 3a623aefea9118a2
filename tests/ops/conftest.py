"""A small two-annotator dataset for the operations' tests, written by the tests themselves."""

from __future__ import annotations

from pathlib import Path

import pytest

from labelloop.data.model import Annotation
from labelloop.formats import load, save

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "rewardbench2_example.jsonl"


@pytest.fixture
def two(tmp_path: Path) -> Path:
    """Three RewardBench 2 samples; ann1 says candidate 0 is best on all three, ann2 on the first two only."""
    ds = load(EXAMPLE)
    ds.samples = ds.samples[:3]
    for i, s in enumerate(ds.samples):
        s.annotations = [Annotation(annotator="ann1", kind="human", values={"best": "0"}),
                         Annotation(annotator="ann2", kind="human", values={"best": "0" if i < 2 else "1"})]
    path = tmp_path / "two.jsonl"
    save(ds, path)
    return path

"""Counts that describe a dataset at a glance; shared by ``labelloop info`` and the MCP server."""

from __future__ import annotations

from collections import Counter
from typing import Any

from labelloop.data.model import Dataset


def dataset_summary(ds: Dataset) -> dict[str, Any]:
    """Samples, schema, candidates per sample, prompt turns, subsets and annotations by kind / annotator."""
    n_cands = Counter(len(s.candidates) for s in ds.samples)
    subsets = Counter(str(s.metadata.get("subset")) for s in ds.samples if s.metadata.get("subset") is not None)
    kinds = Counter(a.kind for s in ds.samples for a in s.annotations)
    annotators = Counter(f"{a.annotator} ({a.kind})" for s in ds.samples for a in s.annotations)
    turns = Counter(len(s.prompt) for s in ds.samples)
    return {
        "name": ds.name,
        "samples": len(ds.samples),
        "schema": ds.schema.name if ds.schema else None,
        "candidates_per_sample": dict(sorted(n_cands.items())),
        "prompt_turns": dict(sorted(turns.items())),
        "subsets": dict(sorted(subsets.items())),
        "annotations_by_kind": dict(sorted(kinds.items())),
        "annotations_by_annotator": dict(sorted(annotators.items())),
    }

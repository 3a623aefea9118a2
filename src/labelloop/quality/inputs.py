"""Reading what the quality commands work on: one dataset, or several files of the same samples
(for example one DataLabel results file per annotator), combined into one."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from labelloop.data.model import Dataset, combine_datasets
from labelloop.data.schema import AnnotationSchema


def load_inputs(paths: Sequence[str | Path], *, fmt: str = "auto", schema: AnnotationSchema | None = None) -> Dataset:
    """Load and combine; DataLabel results files go through their own reader (annotator names,
    candidates for merged files), everything else through ``labelloop.formats.load``."""
    from labelloop.formats import SampleReader

    readers = [SampleReader(p, fmt) for p in paths]
    kinds = [r.format_name for r in readers]
    if all(k == "datalabel_results" for k in kinds):
        from labelloop.formats.datalabel import load_results

        ds = load_results(list(paths), schema)
    elif kinds.count("datalabel") == 1 and len(kinds) > 1 and all(
            k in ("datalabel", "datalabel_results") for k in kinds):
        # a DataLabel tasks file with results (pre.json, people's exports): the tasks give prompts and
        # candidates, and the letters in the answers map back to the tasks' candidate ids
        from labelloop.formats.datalabel import load_results

        tasks = paths[kinds.index("datalabel")]
        ds = load_results([p for p, k in zip(paths, kinds) if k == "datalabel_results"], schema, tasks=tasks,
                          all_tasks=True)
    elif len(readers) == 1:
        ds = readers[0].load()
    else:
        ds = combine_datasets([r.load() for r in readers])
    if schema is not None:
        ds.schema = schema
    return ds

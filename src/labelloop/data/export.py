"""Training-data export with an optional prompt-grouped split; shared by ``labelloop export`` and the MCP server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from labelloop.data.io import atomic_group
from labelloop.data.model import Dataset
from labelloop.data.split import split_samples
from labelloop.errors import LabelloopError


def export_dataset(ds: Dataset, output: str | Path, to: str, *, pairs: str = "best-vs-rest",
                   label_source: str = "auto", question: str | None = None, prompt_style: str = "auto",
                   ratios: dict[str, float] | None = None, seed: int = 0) -> dict[str, dict[str, Any]]:
    """Write ``ds`` as format ``to``; with ``ratios`` each split goes to ``OUTPUT_<split>.<ext>``.

    All or nothing: names, ratios and options are checked before anything is written, and the split
    files land together (``atomic_group``), so a failure leaves no partial export behind.
    Returns, per split (``"all"`` without ratios), the path, the rows written and, for pair exports,
    the exporter's stats (samples, samples with pairs, labels used by source).
    """
    from labelloop.formats import FORMATS, save, writer_names

    if to not in writer_names():
        raise LabelloopError(f"Unknown output format {to!r}; known: {', '.join(writer_names())}.")
    output = Path(output)
    options = {"policy": pairs, "label_source": label_source, "question": question, "prompt_style": prompt_style}
    pair_export = to in FORMATS and hasattr(FORMATS.get(to), "rows")
    if pair_export:
        FORMATS.get(to)(**options)  # checks the options now, not after the first split is written
    parts = split_samples(ds.samples, ratios or {}, seed)
    results: dict[str, dict[str, Any]] = {}
    with atomic_group():
        for name, samples in parts.items():
            path = output if not ratios else output.with_name(f"{output.stem}_{name}{output.suffix}")
            part = ds.model_copy(update={"samples": samples})
            if pair_export:
                exporter = FORMATS.get(to)(**options)
                n = exporter.write(part, path)
                stats = exporter.stats
            else:
                n = save(part, path, to, **options)
                stats = {}
            results[name] = {"path": str(path), "rows": n, **({"stats": stats} if stats else {})}
    return results

"""Training-data export with an optional prompt-grouped split: the one place that names an export's files.

It lives in ``formats`` because it writes through the format registry (``save``, the pair exporters); the
split itself (``data.split``) knows no formats.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from labelloop.data.io import atomic_group
from labelloop.data.model import Dataset
from labelloop.data.provenance import count_accepted
from labelloop.data.split import split_samples
from labelloop.errors import LabelloopError
from labelloop.formats import FORMATS, save, writer_names

LABEL_CHOOSING = ("rm_gallery",)
"""Writers besides the pair exports that pick one label per sample (``labelloop.data.preference.choose_label``)."""


def export_path(output: str | Path, split: str | None = None) -> Path:
    """The file one split of an export goes to: ``output`` itself without a split, else ``OUTPUT_<split>.<ext>``
    beside it (``out/train.jsonl`` and ``"test"`` give ``out/train_test.jsonl``)."""
    output = Path(output)
    return output if split is None else output.with_name(f"{output.stem}_{split}{output.suffix}")


def export_dataset(ds: Dataset, output: str | Path, to: str, *, pairs: str = "best-vs-rest",
                   label_source: str = "auto", question: str | None = None, prompt_style: str = "auto",
                   ratios: dict[str, float] | None = None, seed: int = 0,
                   include_accepted: bool = False) -> dict[str, dict[str, Any]]:
    """Write ``ds`` as format ``to``; with ``ratios`` each split goes to ``OUTPUT_<split>.<ext>``.

    All or nothing: names, ratios and options are checked before anything is written, and the split
    files land together (``atomic_group``), so a failure leaves no partial export behind.
    Returns, per split (``"all"`` without ratios), the path, the rows written and, for pair exports,
    the exporter's stats (samples, samples with pairs, labels used by source). Formats that choose one
    label per sample (the pair exports, ``rm_gallery``) take no accepted model prediction as a human label
    unless ``include_accepted``, and say how many they left out (``accepted_predictions_left_out``).
    """
    if to not in writer_names():
        raise LabelloopError(f"Unknown output format {to!r}; known: {', '.join(writer_names())}.")
    output = Path(output)
    options = {"policy": pairs, "label_source": label_source, "question": question, "prompt_style": prompt_style,
               "include_accepted": include_accepted}
    pair_export = to in FORMATS and hasattr(FORMATS.get(to), "rows")
    chooses_label = pair_export or to in LABEL_CHOOSING
    if pair_export:
        FORMATS.get(to)(**options)  # checks the options now, not after the first split is written
    parts = split_samples(ds.samples, ratios or {}, seed)
    results: dict[str, dict[str, Any]] = {}
    with atomic_group():
        for name, samples in parts.items():
            path = export_path(output, name if ratios else None)
            part = ds.model_copy(update={"samples": samples})
            if pair_export:
                exporter = FORMATS.get(to)(**options)
                n = exporter.write(part, path)
                stats = exporter.stats
            else:
                n = save(part, path, to, **options)
                stats = {}
            results[name] = {"path": str(path), "rows": n, **({"stats": stats} if stats else {})}
            if chooses_label:
                left_out = 0 if include_accepted else count_accepted(part)
                results[name]["accepted_predictions_left_out"] = left_out
    return results


__all__ = ["export_dataset", "export_path"]

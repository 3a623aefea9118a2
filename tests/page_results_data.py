"""Results files as the offline annotator page exports them, written by the tests: ana and ben label the first 10
samples of the bundled example (issue 17)."""

from __future__ import annotations

import json
from pathlib import Path

from labelloop.data.model import DataSample
from labelloop.formats import load, save
from labelloop.ops import annotate

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "rewardbench2_example.jsonl"
# ana and ben label the first 10 samples of the bundled example; ben differs on the 10th ("1" is best)
BEN_BEST = ["0"] * 9 + ["1"]


def _values(s: DataSample, best: str) -> dict:
    ids = [c.id for c in s.candidates]
    ranking = [best] + [c for c in ids if c != best]
    return {"best": best, "ranking": ranking, "rating": {c: 5 if c == best else 2 for c in ids}}


def page_results(tmp_path: Path, fmt: str = "json") -> tuple[Path, dict[str, Path]]:
    """The bundled example as data.parquet, and ana's and ben's results as the page exports them."""
    data = tmp_path / "data.parquet"
    ds = load(EXAMPLE)
    save(ds, data)
    page = annotate.create(data, tmp_path / "page.html", template="rewardbench2")
    assert ds.schema is not None
    head = {"format": "labelloop-results", "version": 1, "tool": "labelloop", "file_id": page.file_id,
            "schema_hash": page.schema_hash, "seed": 0, "dataset": ds.name, "exported_at": "2025-03-02T00:00:00Z",
            "n_tasks": len(ds.samples)}
    files = {}
    for name, bests in (("ana", ["0"] * 10), ("ben", BEN_BEST)):
        rows = [{"task_id": s.id, "annotator": name, "status": "submitted", "reason": None,
                 "values": _values(s, best), "created_at": "2025-03-01T09:00:00.000Z",
                 "updated_at": "2025-03-01T09:01:00.000Z", "time_spent_s": 40.0,
                 "order": [c.id for c in s.candidates]} for s, best in zip(ds.samples, bests, strict=False)]
        path = tmp_path / f"results_{name}.{fmt}"
        if fmt == "json":
            doc = {**head, "annotator": name, "schema": ds.schema.model_dump(mode="json"), "results": rows}
            path.write_text(json.dumps(doc, indent=1), encoding="utf-8")
        else:  # jsonl: a header line, then one row per task, as the page writes it
            lines = [json.dumps({**head, "annotator": name, "format": "labelloop-results-header",
                                 "schema": ds.schema.model_dump(mode="json")})]
            lines += [json.dumps({"file_id": page.file_id, "schema_hash": page.schema_hash, "seed": 0, **r})
                      for r in rows]
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        files[name] = path
    return data, files

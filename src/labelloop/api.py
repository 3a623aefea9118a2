"""Pipeline-style entry points, in the manner of RM-Gallery's ``create_loader`` / ``create_exporter``.

    ds = create_loader("rb2", data_source="rewardbench2", config={"path": "rb2.jsonl", "limit": 100}).run()
    create_exporter("rb2", config={"output_dir": "out", "formats": ["jsonl", "dpo"],
                                   "split_ratio": {"train": 0.9, "test": 0.1}}).run(ds)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labelloop.data.model import Dataset
from labelloop.data.split import split_samples
from labelloop.errors import LabelloopError, ParameterError
from labelloop.formats import save, writer_names
from labelloop.formats.export import export_path
from labelloop.ops._common import load_dataset

COLUMNS = ("prompt", "chosen", "rejected", "id")
"""The pairs format's column options, given in ``config`` as ``prompt_column`` ...."""
EXTENSIONS = {"jsonl": "jsonl", "json": "json", "csv": "csv", "parquet": "parquet"}


@dataclass
class DataLoader:
    name: str
    load_strategy_type: str = "local"
    data_source: str = "auto"
    config: dict[str, Any] = field(default_factory=dict)

    def run(self) -> Dataset:
        cfg = dict(self.config)
        path = cfg.get("path") or (self.name if self.load_strategy_type == "huggingface" else None)
        if not path:
            raise LabelloopError(f"Loader {self.name!r} needs config['path'].")
        if self.load_strategy_type == "huggingface":
            path = f"hf:{path}" if not str(path).startswith("hf:") else path
        elif self.load_strategy_type != "local":
            raise LabelloopError(
                f"Unknown load_strategy_type {self.load_strategy_type!r}; use 'local' or 'huggingface'.")
        ds, reader = load_dataset(
            path,
            self.data_source or "auto",
            limit=cfg.get("limit"),
            seed=cfg.get("seed", 0),
            skip_bad=cfg.get("skip_bad", False),
            rejects=cfg.get("rejects"),
            columns={c: cfg[f"{c}_column"] for c in COLUMNS if f"{c}_column" in cfg},
            hf_split=cfg.get("split") or cfg.get("huggingface_split"),
            hf_subset=cfg.get("subset") or cfg.get("dataset_config"),
        )
        ds.name = self.name
        ds.metadata.setdefault("source", {"path": str(path), "format": reader.format_name})
        return ds


def create_loader(
    name: str, load_strategy_type: str = "local", data_source: str = "auto", config: dict[str, Any] | None = None
) -> DataLoader:
    return DataLoader(name, load_strategy_type, data_source, dict(config or {}))


@dataclass
class DataExporter:
    """Writes a dataset in several formats, optionally split by prompt into train/test files.

    Files are named ``{output_dir}/{name}[_{format}][_{split}].{ext}``: canonical formats keep the
    bare name, training formats (``dpo``, ``rm_pairwise``, ``rm_gallery``) add theirs.
    """

    name: str
    config: dict[str, Any] = field(default_factory=dict)

    def run(self, dataset: Dataset) -> dict[str, Path]:
        cfg = self.config
        out_dir = Path(cfg.get("output_dir", "./exports"))
        formats = cfg.get("formats") or ["jsonl"]
        known = writer_names()
        for f in formats:
            if f not in known:
                raise ParameterError("formats", f"Unknown export format {ParameterError.literal(repr(f))}; known: "
                                     f"{', '.join(known)}.")
        parts = split_samples(dataset.samples, cfg.get("split_ratio") or {}, seed=cfg.get("seed", 0))
        options = {k: cfg[k] for k in ("policy", "label_source", "question", "prompt_style") if k in cfg}
        written: dict[str, Path] = {}
        for fmt in formats:
            ext = EXTENSIONS.get(fmt, cfg.get("extension", "jsonl"))
            for split, samples in parts.items():
                stem = self.name if fmt in EXTENSIONS else f"{self.name}_{fmt}"
                path = export_path(out_dir / f"{stem}.{ext}", None if split == "all" else split)
                part = dataset.model_copy(update={"samples": samples})
                save(part, path, fmt, **options)
                written[f"{fmt}:{split}"] = path
        return written


def create_exporter(name: str, config: dict[str, Any] | None = None) -> DataExporter:
    return DataExporter(name, dict(config or {}))


# ---- label studio (issue 5) -----------------------------------------------------
def create_annotator(name: str = "labelstudio", server_url: str | None = None, api_token: str | None = None,
                     project_title: str | None = None, template_name: str | None = None,
                     project_description: str = "", **options: Any):
    """A Label Studio annotator: ``create_annotator(...).run(dataset)`` creates a project and pushes tasks (as
    ``labelloop labelstudio push`` does, through the same library).

    ``server_url`` / ``api_token`` default to ``$LABEL_STUDIO_URL`` / ``$LABEL_STUDIO_API_KEY``, else the
    server ``labelloop labelstudio start`` runs from ``options["data_dir"]`` (``.labelloop/label-studio``).
    """
    from labelloop.annotate.labelstudio.project import create_annotator as _create

    return _create(name, server_url, api_token, project_title, template_name, project_description, **options)


def export_annotations_to_dataset(project_id: int, server_url: str | None = None, api_token: str | None = None,
                                  dataset: Dataset | None = None, **options: Any) -> Dataset:
    """Every annotator's work on a Label Studio project, added to the pushed dataset as human annotations."""
    from labelloop.annotate.labelstudio.project import export_annotations_to_dataset as _export

    return _export(project_id, server_url, api_token, dataset=dataset, **options)


# ---- decisions (issue 22) -------------------------------------------------------
def model_leaderboard(dataset: Dataset | str | Path, **options: Any) -> dict[str, Any]:
    """The leaderboard of the models that wrote the candidates, as ``labelloop leaderboard --json`` prints it
    (``options`` as ``labelloop.ops.decisions.leaderboard``'s: source, rounds, seed, anchor, anchor_model, …)."""
    from labelloop.ops.decisions import leaderboard

    return leaderboard(dataset if isinstance(dataset, Dataset) else [dataset], **options).data


def evaluate_scores(dataset: Dataset | str | Path, scores: str | Path | None = None, **options: Any
                    ) -> dict[str, Any]:
    """A reward model's (``scores``: sample_id, candidate_id, score) or the LLM judges' accuracy against the labels,
    as ``labelloop evaluate --json`` prints it (``options`` as ``labelloop.ops.decisions.evaluate``'s)."""
    from labelloop.ops.decisions import evaluate

    return evaluate(dataset if isinstance(dataset, Dataset) else [dataset], scores, **options).data

"""leaderboard (and evaluate): turning labels into decisions, which model is better and whether a reward model
or an LLM judge can be trusted.

Each reads one dataset or several files of the same samples (``load_datasets``); the figures are the library's
(``labelloop.quality.leaderboard``), the Markdown is ``labelloop.report.decisions``'.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from labelloop.data.io import atomic_open
from labelloop.data.model import Dataset
from labelloop.errors import InputFileError, LabelloopError, ParameterError
from labelloop.ops._common import SchemaRef, comma_list, load_datasets, one_of
from labelloop.quality.evaluate import LABEL_SOURCES, judge_scores
from labelloop.quality.evaluate import evaluate as _evaluate
from labelloop.quality.judges import judge_agreement
from labelloop.quality.leaderboard import SOURCES
from labelloop.quality.leaderboard import leaderboard as _leaderboard
from labelloop.report.decisions import evaluation_markdown, leaderboard_markdown

SCORE_COLUMNS = ("sample_id", "candidate_id", "score")
MAX_SCORE_ROWS = 50_000_000


class LeaderboardResult(BaseModel):
    """Every figure (``data``, as ``LeaderboardReport.to_dict``), the Markdown (``text``) and the file it was
    written to."""

    output: str | None
    data: dict[str, Any]
    text: str


def leaderboard(datasets: Sequence[str | Path] | Dataset, *, source: str = "auto", annotators: Sequence[str] | str = (),
                rounds: int = 1000, seed: int = 0, anchor: float = 1000.0, anchor_model: str | None = None,
                prior: float | None = None, min_comparisons: int = 10, position: str = "auto",
                include_accepted: bool = False, schema: SchemaRef | None = None, fmt: str = "auto",
                output: Path | None = None, title: str | None = None) -> LeaderboardResult:
    """The models that wrote the candidates ranked by Bradley-Terry from the chosen votes (``source``: auto,
    human, aggregate, reference or prediction; ``annotators`` narrows it to some names), with seeded bootstrap
    intervals over votes (``rounds``), the win-rate matrix, comparisons per pair, pairs compared fewer than
    ``min_comparisons`` times, and the screen position checked (``position``: auto, on, off). Scores are
    400·log10 odds with the mean at ``anchor``, or ``anchor_model`` at ``anchor``. The Markdown is written to
    ``output`` when given. ``datasets`` may be a Dataset already read (the Python API)."""
    one_of("source", source, SOURCES, "source")
    one_of("position", position, ("auto", "on", "off"))
    ds = datasets if isinstance(datasets, Dataset) else load_datasets(datasets, fmt, schema)
    report = _leaderboard(ds, source=source, annotators=comma_list(annotators), rounds=rounds, seed=seed,
                          anchor=anchor, anchor_model=anchor_model, prior=prior, min_comparisons=min_comparisons,
                          position=position, include_accepted=include_accepted)
    data = report.to_dict()
    text = leaderboard_markdown(data, title or f"{ds.name}: model leaderboard")
    if output is not None:
        with atomic_open(output) as fh:
            fh.write(text)
    return LeaderboardResult(output=str(output) if output is not None else None, data=data, text=text)


# ---------------------------------------------------------------------- evaluate
def _rows(path: Path) -> tuple[list[dict[str, Any]], str]:
    """The rows of a JSONL, JSON, CSV or Parquet table (each a dict), and how its lines are named in errors."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            return pq.read_table(path).to_pylist(), "row"
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"Cannot read scores file {path}: {exc}.") from None
    except Exception as exc:  # pyarrow's own errors on a file that is not Parquet
        raise InputFileError(f"Cannot read scores file {path} as Parquet: {exc}.") from None
    if suffix == ".csv":
        import csv
        import io

        return list(csv.DictReader(io.StringIO(text))), "line"
    if suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputFileError(f"Scores file {path} is not valid JSON: {exc.msg} (line {exc.lineno}).") from None
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise InputFileError(f"Scores file {path} must hold a JSON list of objects.")
        return data, "row"
    rows = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputFileError(f"Scores file {path}, line {n}: not valid JSON ({exc.msg}).") from None
        if not isinstance(row, dict):
            raise InputFileError(f"Scores file {path}, line {n}: expected a JSON object.")
        rows.append(row)
    return rows, "line"


def read_scores(path: str | Path) -> dict[tuple[str, str], float] | None:
    """A reward model's scores, ``(sample_id, candidate_id) -> score``, from a table with the columns sample_id,
    candidate_id and score (JSONL, JSON, CSV or Parquet); None when the file is no such table (a dataset)."""
    path = Path(path)
    if path.suffix.lower() not in (".jsonl", ".ndjson", ".json", ".csv", ".parquet"):
        raise InputFileError(f"Cannot tell the format of scores file {path}; use .jsonl, .json, .csv or .parquet.")
    rows, unit = _rows(path)
    if not rows or not all(c in rows[0] for c in SCORE_COLUMNS):
        if rows and ("candidates" in rows[0] or "annotations" in rows[0]):
            return None
        raise InputFileError(f"Scores file {path} needs the columns {', '.join(SCORE_COLUMNS)}"
                             + (f"; it has {', '.join(map(str, rows[0]))}." if rows else "; it is empty."))
    if len(rows) > MAX_SCORE_ROWS:
        raise InputFileError(f"Scores file {path} has more than {MAX_SCORE_ROWS} rows.")
    out: dict[tuple[str, str], float] = {}
    first = 2 if unit == "line" and path.suffix.lower() == ".csv" else 1
    for n, row in enumerate(rows, first):
        try:
            score = float(row["score"])
        except (TypeError, ValueError):
            raise InputFileError(f"Scores file {path}, {unit} {n}: score {row.get('score')!r} is not a number."
                                 ) from None
        if not math.isfinite(score):
            raise InputFileError(f"Scores file {path}, {unit} {n}: score {row.get('score')!r} is not finite.")
        key = (str(row["sample_id"]), str(row["candidate_id"]))
        if key in out:
            raise InputFileError(f"Scores file {path}, {unit} {n}: a second score for sample {key[0]!r}, candidate "
                                 f"{key[1]!r}.")
        out[key] = score
    return out


def with_predictions(ds: Dataset, source: Dataset, names: Sequence[str]) -> Dataset:
    """``ds`` with the prediction annotations of ``names`` from ``source`` added to the samples of the same id."""
    by_id = source.by_id()
    out = ds.model_copy(deep=True)
    for s in out.samples:
        other = by_id.get(s.id)
        if other is not None:
            s.annotations += [a for a in other.annotations if a.kind == "prediction" and a.annotator in names]
    return out


class EvaluateResult(BaseModel):
    """One evaluation per scorer (``data['scorers']``: the reward model, or each judge), the Markdown (``text``)
    and the file it was written to."""

    output: str | None
    data: dict[str, Any]
    text: str


def evaluate(datasets: Sequence[str | Path] | Dataset, scores: str | Path | None = None, *,
             label_source: str = "auto", judges: Sequence[str] | str = (), rounds: int = 1000, seed: int = 0,
             subset_key: str = "subset", min_items: int = 10, include_accepted: bool = False,
             schema: SchemaRef | None = None, fmt: str = "auto", output: Path | None = None,
             title: str | None = None) -> EvaluateResult:
    """A reward model's accuracy against the chosen labels (``label_source``: auto, aggregate, human, reference)
    by RewardBench's rules, per subset and overall with seeded bootstrap intervals (``rounds``).

    ``scores``: a table of ``sample_id, candidate_id, score`` (JSONL, JSON, CSV, Parquet), or a dataset whose
    ``prediction`` annotations are LLM judges' answers (each judge evaluated on its own); without it, the
    dataset's own predictions. ``judges`` narrows the judges evaluated to some names. For judges, ``data['people']``
    says per subset whether each judge agrees with people as well as people agree with each other
    (``labelloop.quality.judges``; ``min_items`` items at least)."""
    one_of("label_source", label_source, LABEL_SOURCES, "label source")
    ds = datasets if isinstance(datasets, Dataset) else load_datasets(datasets, fmt, schema)
    sch = ds.schema
    scorers: list[tuple[str, dict[tuple[str, str], float]]] = []
    table = read_scores(scores) if scores is not None else None
    if table is not None:
        scorers.append((Path(str(scores)).stem, table))
        known = {(s.id, c.id) for s in ds.samples for c in s.candidates}
        stray = sum(1 for k in table if k not in known)
    else:
        stray = 0
        source = ds if scores is None else load_datasets([scores], "auto", schema)
        wanted = comma_list(judges)
        names = sorted({a.annotator for s in source.samples for a in s.annotations if a.kind == "prediction"})
        if wanted:
            missing = [w for w in wanted if w not in names]
            if missing:
                raise ParameterError("judges", "{param}: no predictions by "
                                     f"{ParameterError.literal(', '.join(missing))}; the judges are "
                                     f"{ParameterError.literal(', '.join(names) or 'none')}.")
            names = wanted
        if not names:
            raise LabelloopError("Nothing to evaluate: give --scores (a file of sample_id, candidate_id, score) or a "
                                 "dataset with prediction annotations (an LLM judge's answers).")
        if source is not ds:
            ds = with_predictions(ds, source, names)
        for name in names:
            scorers.append((name, judge_scores(ds, name, schema=sch)))
    reports = [_evaluate(ds, sc, scorer=name, label_source=label_source, rounds=rounds, seed=seed,
                         subset_key=subset_key, include_accepted=include_accepted).to_dict()
               for name, sc in scorers]
    data: dict[str, Any] = {"dataset": ds.name, "scorers": reports, "scores_not_in_dataset": stray}
    if table is None:
        data["people"] = judge_agreement(ds, judges=[n for n, _ in scorers], subset_key=subset_key,
                                         bootstrap=min(rounds, 1000), seed=seed, min_items=min_items,
                                         include_accepted=include_accepted)
    text = evaluation_markdown(data, title or f"{ds.name}: accuracy against the labels")
    if output is not None:
        with atomic_open(output) as fh:
            fh.write(text)
    return EvaluateResult(output=str(output) if output is not None else None, data=data, text=text)

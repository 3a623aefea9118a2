"""leaderboard (and evaluate): turning labels into decisions, which model is better and whether a reward model
or an LLM judge can be trusted.

Each reads one dataset or several files of the same samples (``load_datasets``); the figures are the library's
(``labelloop.quality.leaderboard``), the Markdown is ``labelloop.report.decisions``'.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from labelloop.data.io import atomic_open
from labelloop.data.model import Dataset
from labelloop.ops._common import SchemaRef, comma_list, load_datasets, one_of
from labelloop.quality.leaderboard import SOURCES
from labelloop.quality.leaderboard import leaderboard as _leaderboard
from labelloop.report.decisions import leaderboard_markdown


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

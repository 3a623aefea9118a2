"""dashboard: one page (or the same figures as Markdown) that shows where an annotation project stands."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from labelloop.data.io import atomic_open
from labelloop.errors import ParameterError
from labelloop.ops._common import SchemaRef, load_datasets, schema_for
from labelloop.report import FORMATS, dashboard_data, render_html, render_markdown


class DashboardResult(BaseModel):
    """Every figure (``data``), and unless only the figures were asked for, the rendered ``text`` and the file
    it was written to."""

    output: str | None
    format: str
    text: str | None
    data: dict[str, Any]


def dashboard(datasets: Sequence[str | Path], output: Path | None = None, fmt: str = "html", *,
              reference: str | Path | None = None, schema: SchemaRef | None = None, wanted: int | None = None,
              bootstrap: int = 500, seed: int = 0, top: int = 200, merge_strategy: str = "majority",
              title: str | None = None, review: bool = True, input_format: str = "auto",
              render: bool = True, include_accepted: bool = False) -> DashboardResult:
    """The project's dashboard: completion, agreement, annotators, models, disagreements, throughput.

    ``render``: the page (``fmt`` html) or Markdown (md) as text, written to ``output`` when given; without it
    only the figures are gathered. ``include_accepted``: count people's annotations that are model predictions
    accepted unchanged as their answers in agreement, the merged label and the review (by default they are
    left out, and counted).
    """
    if fmt not in FORMATS:
        raise ParameterError("fmt", f"Unknown dashboard format {ParameterError.literal(repr(fmt))}; use html or md.")
    sch = schema_for(None, None, schema, required=False)
    ds = load_datasets(datasets, input_format, sch)
    ref = None
    if reference:
        ref = load_datasets([reference])
        ref.name = str(reference)
    data = dashboard_data(ds, title=title, schema=sch, reference=ref, wanted=wanted, bootstrap=bootstrap, seed=seed,
                          top=top, merge_strategy=merge_strategy, review=review, include_accepted=include_accepted)
    if not render:
        return DashboardResult(output=None, format=fmt, text=None, data=data)
    text = render_html(data) if fmt == "html" else render_markdown(data)
    if output is not None:
        with atomic_open(output) as fh:
            fh.write(text)
    return DashboardResult(output=str(output) if output is not None else None, format=fmt, text=text, data=data)

"""Reports for people: the project dashboard, one self-contained HTML page or Markdown.

``data`` gathers the figures, ``svg`` draws the charts, ``html`` and ``markdown`` are the two renderings.
"""

from pathlib import Path
from typing import Any

from labelloop.data.io import atomic_open
from labelloop.data.model import Dataset
from labelloop.errors import LabelloopError
from labelloop.report.data import add_reference, dashboard_data
from labelloop.report.html import build_dashboard, render_html
from labelloop.report.markdown import dashboard_markdown, render_markdown

FORMATS = ("html", "md")

__all__ = ["FORMATS", "add_reference", "build_dashboard", "dashboard_data", "dashboard_markdown", "render_html",
           "render_markdown", "write_dashboard"]


def write_dashboard(dataset: Dataset, out: Path, *, fmt: str = "html", **options: Any) -> Path:
    """Write the page (``html``) or the Markdown (``md``) atomically; returns the path."""
    if fmt not in FORMATS:
        raise LabelloopError(f"Unknown dashboard format {fmt!r}; use html or md.")
    text = build_dashboard(dataset, **options) if fmt == "html" else dashboard_markdown(dataset, **options)
    out = Path(out)
    with atomic_open(out) as fh:
        fh.write(text)
    return out

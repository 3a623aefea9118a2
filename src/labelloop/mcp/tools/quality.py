"""Tools for quality: agreement, merge, adjudicate, dashboard."""


from pathlib import Path
from typing import Annotated, Literal

from mcp.server.mcpserver import MCPServer
from pydantic import Field

from labelloop.errors import LabelloopError
from labelloop.mcp.args import (
    Dataset_,
    Datasets_,
    Format_,
    Output_,
    Questions_,
    Schema_,
)
from labelloop.mcp.guard import plain
from labelloop.mcp.models import (
    Report,
    TextResult,
)
from labelloop.mcp.state import State


def register(mcp: MCPServer, s: State) -> None:
    g, load, load_many = s.guard, s.load, s.load_many

    # ------------------------------------------------------------------ quality
    @mcp.tool()
    def agreement(
        paths: Datasets_, questions: Questions_ = None,
        level: Annotated[str | None, Field(description="Alpha level: nominal, ordinal, interval, ratio (masi or "
                                           "jaccard for multi-choice). Default: from the question type.")] = None,
        bootstrap: Annotated[int, Field(ge=0, description="Bootstrap replicates for 95% intervals (1000 is usual)."
                                        )] = 0,
        seed: int = 0, include_predictions: bool = False, schema: Schema_ = None, format: Format_ = "auto",
    ) -> Report:
        """Inter-annotator agreement per question: Krippendorff's alpha, kappas, AC1, per-annotator figures and the
        most disagreed items."""
        from labelloop.quality.agreement import agreement as _agreement

        with g.errors():
            ds = load_many(paths, format, schema)
            report = _agreement(ds, questions=questions or None, level=level, include_predictions=include_predictions,
                                bootstrap=bootstrap, seed=seed)
            return g.clean(Report(report=plain(report.to_dict())))

    @mcp.tool()
    def merge(
        paths: Datasets_, output: Output_,
        strategy: Annotated[str, Field(description="majority, average, median, strict, per-option, intersection, "
                                       "union, borda, dawid-skene, weighted or bradley-terry.")] = "majority",
        questions: Questions_ = None,
        tie_breaker: Literal["review", "schema", "random", "experts"] = "review",
        experts: Annotated[list[str] | None, Field(description="Expert annotators, highest priority first.")] = None,
        min_agreement: float = 0.0, min_confidence: float = 0.0, seed: int = 0, include_predictions: bool = False,
        schema: Schema_ = None, format: Format_ = "auto",
    ) -> Report:
        """Merge every annotator's answers into one aggregate annotation per sample."""
        from labelloop.formats import save
        from labelloop.quality.merge import MERGE_STRATEGIES as STRATEGIES
        from labelloop.quality.merge import merge as _merge

        with g.errors():
            if strategy not in STRATEGIES:
                raise LabelloopError(f"Unknown merge strategy {strategy!r}; known: {', '.join(STRATEGIES)}.")
            out = g.path(output, "output")
            ds = load_many(paths, format, schema)
            merged, summary = _merge(ds, strategy, questions=questions or None, include_predictions=include_predictions,
                                     tie_breaker=tie_breaker, experts=experts or [], seed=seed,
                                     min_agreement=min_agreement, min_confidence=min_confidence)
            save(merged, out)
            return g.clean(Report(output=str(out), report=plain(summary)))

    @mcp.tool()
    def adjudicate(
        paths: Datasets_, output: Output_,
        strategy: Literal["majority", "experts", "longest", "review"] = "majority",
        experts: Annotated[list[str] | None, Field(description="Expert annotators, highest priority first.")] = None,
        queue: Annotated[str | None, Field(description="Review queue (JSONL) for what still needs a person "
                                           "(default: OUTPUT's name with .review.jsonl).")] = None,
        decisions: Annotated[str | None, Field(description="A filled-in review queue: when given, the reviewer's "
                                               "decisions are read back instead of running a strategy.")] = None,
        reviewer: Annotated[str | None, Field(description="With decisions: the name for decisions naming none.")]
        = None,
        questions: Questions_ = None, include_predictions: bool = False, schema: Schema_ = None,
        format: Format_ = "auto",
    ) -> Report:
        """Settle disagreements by rule and queue the rest for a reviewer; or, with decisions, apply the reviewer's
        answers as aggregate annotations."""
        from labelloop.formats import save
        from labelloop.quality.adjudicate import adjudicate as _adjudicate
        from labelloop.quality.adjudicate import apply_decisions, default_queue_path, write_queue

        with g.errors():
            out = g.path(output, "output")
            ds = load_many(paths, format, schema)
            if decisions:
                result, summary = apply_decisions(ds, g.path(decisions, "decisions file", exists=True),
                                                  reviewer=reviewer)
            else:
                result, items, summary = _adjudicate(ds, strategy, experts=experts or [],
                                                     questions=questions or None,
                                                     include_predictions=include_predictions)
                queue_path = g.path(queue, "queue") if queue else default_queue_path(out)
                if items or queue:
                    write_queue(items, queue_path)
                    summary["queue"] = str(queue_path)
            save(result, out)
            return g.clean(Report(output=str(out), report=plain(summary)))

    @mcp.tool()
    def dashboard(path: Dataset_, output: Output_ = "dashboard.html", fmt: Literal["html", "md"] = "html",
                  title: str | None = None, format: Format_ = "auto") -> TextResult:
        """A quality dashboard of the dataset (agreement, progress, label distribution) as HTML or Markdown."""
        with g.errors():
            from labelloop.report import write_dashboard

            ds = load(path, format)
            options = {"title": title} if title else {}
            written = write_dashboard(ds, g.path(output, "output"), fmt=fmt, **options)
            text = Path(written).read_text(encoding="utf-8") if fmt == "md" else ""
            return g.clean(TextResult(output=str(written), text=text))


"""Tools for quality: agreement, merge, adjudicate, dashboard."""


from pathlib import Path
from typing import Annotated, Literal

from mcp.server.mcpserver import MCPServer
from pydantic import Field

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
from labelloop.ops import quality as ops
from labelloop.ops.report import dashboard as _dashboard

Accepted_ = Annotated[bool, Field(description="Count a person's annotation that is a model prediction accepted "
                                  "unchanged (e.g. in Label Studio) as their own answer; by default it is left out, "
                                  "and counted.")]

MorePaths_ = Annotated[list[str] | None, Field(description="More files of the same samples, read with the dataset: "
                                             "the offline page's exported results files, DataLabel results files.")]

NAMES = {"datasets": "paths", "question": "questions", "fmt": "format"}
"""The operations' parameters by this group's argument names."""


def register(mcp: MCPServer, s: State) -> None:
    g = s.guard

    def paths_(paths: list[str]) -> list[Path]:
        return [g.path(p, "dataset", exists=True) for p in paths]

    # ------------------------------------------------------------------ quality
    @mcp.tool()
    def agreement(
        paths: Datasets_, questions: Questions_ = None,
        level: Annotated[str | None, Field(description="Alpha level: nominal, ordinal, interval, ratio (masi or "
                                           "jaccard for multi-choice). Default: from the question type.")] = None,
        bootstrap: Annotated[int, Field(ge=0, description="Bootstrap replicates for 95% intervals (1000 is usual)."
                                        )] = 0,
        seed: int = 0, include_predictions: bool = False, schema: Schema_ = None, format: Format_ = "auto",
        include_accepted: Accepted_ = False,
    ) -> Report:
        """Inter-annotator agreement per question: Krippendorff's alpha, kappas, AC1, per-annotator figures and the
        most disagreed items."""
        with g.errors(NAMES):
            report = ops.agreement(paths_(paths), question=questions, level=level, bootstrap=bootstrap, seed=seed,
                                   include_predictions=include_predictions, schema=g.schema(schema), fmt=format,
                                   include_accepted=include_accepted)
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
        schema: Schema_ = None, format: Format_ = "auto", include_accepted: Accepted_ = False,
        round_to_scale: Annotated[bool, Field(description="With strategy average, round each mean rating to the "
                                              "nearest point of the question's scale (by default the exact mean is "
                                              "kept).")] = False,
    ) -> Report:
        """Merge every annotator's answers into one aggregate annotation per sample."""
        with g.errors(NAMES):
            out = g.path(output, "output")
            res = ops.merge(paths_(paths), out, strategy, question=questions, tie_breaker=tie_breaker,
                            experts=experts or [], min_agreement=min_agreement, min_confidence=min_confidence,
                            seed=seed, include_predictions=include_predictions, schema=g.schema(schema), fmt=format,
                            include_accepted=include_accepted, round_to_scale=round_to_scale)
            return g.clean(Report(output=res.output, report=plain(res.summary)))

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
        format: Format_ = "auto", include_accepted: Accepted_ = False,
    ) -> Report:
        """Settle disagreements by rule and queue the rest for a reviewer; or, with decisions, apply the reviewer's
        answers as aggregate annotations."""
        with g.errors(NAMES):
            out = g.path(output, "output")
            datasets = paths_(paths)
            sch = g.schema(schema)
            if decisions:
                done = ops.apply(datasets, g.path(decisions, "decisions file", exists=True), out, reviewer=reviewer,
                                 schema=sch, fmt=format)
                return g.clean(Report(output=done.output, report=plain(done.summary)))
            res = ops.adjudicate(datasets, out, strategy, experts=experts or [],
                                 queue=g.path(queue, "queue") if queue else None, question=questions,
                                 include_predictions=include_predictions, schema=sch, fmt=format, check_path=g.check,
                                 include_accepted=include_accepted)
            return g.clean(Report(output=res.output, report=plain(res.summary)))

    @mcp.tool()
    def dashboard(path: Dataset_, output: Output_ = "dashboard.html", fmt: Literal["html", "md"] = "html",
                  title: str | None = None, format: Format_ = "auto", include_accepted: Accepted_ = False,
                  more_paths: MorePaths_ = None) -> TextResult:
        """A quality dashboard of the dataset (agreement, progress, label distribution) as HTML or Markdown."""
        with g.errors({"datasets": "path", "input_format": "format"}):
            res = _dashboard(paths_([path, *(more_paths or [])]), g.path(output, "output"), fmt, title=title,
                             input_format=format, include_accepted=include_accepted)
            return g.clean(TextResult(output=res.output, text=res.text if fmt == "md" else ""))

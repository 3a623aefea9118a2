"""Tools for decisions: the model leaderboard, a reward model's or judge's accuracy against the labels."""


from pathlib import Path
from typing import Annotated, Literal

from mcp.server.mcpserver import MCPServer
from pydantic import Field

from labelloop.mcp.args import Datasets_, Format_, Schema_
from labelloop.mcp.guard import plain
from labelloop.mcp.models import Report
from labelloop.mcp.state import State
from labelloop.ops import decisions as ops

NAMES = {"datasets": "paths", "fmt": "format", "judges": "judges"}
"""The operations' parameters by this group's argument names."""


def register(mcp: MCPServer, s: State) -> None:
    g = s.guard

    def paths_(paths: list[str]) -> list[Path]:
        return [g.path(p, "dataset", exists=True) for p in paths]

    @mcp.tool()
    def leaderboard(
        paths: Datasets_,
        source: Annotated[Literal["auto", "human", "aggregate", "reference", "prediction"],
                          Field(description="Whose preferences: each person's answer (human), the merged label "
                                "(aggregate), the data's own labels (reference), a model or LLM judge "
                                "(prediction), or the first of these the data has (auto).")] = "auto",
        annotators: Annotated[list[str] | None, Field(description="Only these annotators of the source.")] = None,
        rounds: Annotated[int, Field(ge=0, description="Bootstrap rounds (votes resampled) for 95% intervals.")]
        = 1000,
        seed: int = 0,
        anchor: Annotated[float, Field(description="The mean score, or with anchor_model that model's score.")]
        = 1000.0,
        anchor_model: Annotated[str | None, Field(description="A model whose score is anchor.")] = None,
        prior: Annotated[float | None, Field(ge=0, description="Ties added to every compared pair (default: none "
                                             "when the maximum-likelihood scores exist, else 0.5).")] = None,
        min_comparisons: Annotated[int, Field(ge=0, description="Warn about pairs compared fewer times.")] = 10,
        position: Literal["auto", "on", "off"] = "auto",
        include_accepted: bool = False, schema: Schema_ = None, format: Format_ = "auto",
    ) -> Report:
        """Rank the models that wrote the candidates (Candidate.model) by Bradley-Terry from the preferences:
        scores on the Elo-like scale with bootstrap intervals, win rates, comparisons per pair, and the screen
        position checked."""
        with g.errors(NAMES):
            res = ops.leaderboard(paths_(paths), source=source, annotators=annotators or (), rounds=rounds,
                                  seed=seed, anchor=anchor, anchor_model=anchor_model, prior=prior,
                                  min_comparisons=min_comparisons, position=position,
                                  include_accepted=include_accepted, schema=g.schema(schema), fmt=format)
            return g.clean(Report(report=plain(res.data)))

    @mcp.tool()
    def evaluate(
        paths: Datasets_,
        scores: Annotated[str | None, Field(description="A reward model's scores under the roots: a table with the "
                                            "columns sample_id, candidate_id, score (.jsonl, .json, .csv, .parquet), "
                                            "or a dataset whose prediction annotations are LLM judges' answers. "
                                            "Default: the dataset's own predictions.")] = None,
        label_source: Annotated[Literal["auto", "aggregate", "human", "reference"],
                                Field(description="Which labels are right: auto (the merged label, else a unanimous "
                                      "human one, else the reference), aggregate, human or reference.")] = "auto",
        judges: Annotated[list[str] | None, Field(description="Only these judges (prediction annotators).")] = None,
        rounds: Annotated[int, Field(ge=0, description="Bootstrap rounds for 95% intervals.")] = 1000,
        seed: int = 0,
        subset_key: Annotated[str, Field(description="The sample metadata field naming the subset.")] = "subset",
        min_items: Annotated[int, Field(ge=1, description="Items a judge and people must share on a subset before "
                                        "the report says whether the judge can stand in.")] = 10,
        include_accepted: bool = False, schema: Schema_ = None, format: Format_ = "auto",
    ) -> Report:
        """A reward model's (or LLM judge's) accuracy against the labels by RewardBench's rules (pairs: chosen above
        rejected; best-of-N: the correct answer above every incorrect one; RewardBench 2's Ties score), per subset
        and overall, with bootstrap intervals; for judges, whether each agrees with people as well as people agree
        with each other, per subset."""
        with g.errors(NAMES):
            res = ops.evaluate(paths_(paths), g.path(scores, "scores file", exists=True) if scores else None,
                               label_source=label_source, judges=judges or (), rounds=rounds, seed=seed,
                               subset_key=subset_key, min_items=min_items, include_accepted=include_accepted,
                               schema=g.schema(schema), fmt=format)
            return g.clean(Report(report=plain(res.data)))

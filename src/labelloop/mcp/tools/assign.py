"""Tools for planning the work: assign (who labels what, with overlap and hidden gold) and its next round."""


from typing import Annotated

from mcp.server.mcpserver import MCPServer
from pydantic import Field

from labelloop.mcp.args import Dataset_, Format_, Schema_
from labelloop.mcp.guard import plain
from labelloop.mcp.models import Report
from labelloop.mcp.state import State
from labelloop.ops import assign as ops

NAMES = {"dataset": "path", "labelled": "path", "fmt": "format"}
"""The operations' parameters by this group's argument names."""


def register(mcp: MCPServer, s: State) -> None:
    g = s.guard

    @mcp.tool()
    def assign(
        path: Dataset_,
        annotators: Annotated[list[str], Field(description="The people, by name (or email).")],
        output: Annotated[str, Field(description="The plan file to write (JSON).")] = "plan.json",
        overlap: Annotated[int, Field(ge=1, description="Distinct people per sample.")] = 2,
        capacity: Annotated[dict[str, int] | None, Field(description="Most tasks a person takes, by name.")] = None,
        gold: Annotated[str | None, Field(description="A dataset of gold samples with reference labels.")] = None,
        gold_rate: Annotated[float | None, Field(ge=0, lt=0.5, description="Share of each list that is gold.")]
        = None,
        seed: int = 0, schema: Schema_ = None, format: Format_ = "auto",
    ) -> Report:
        """Plan who labels what: every sample to `overlap` distinct people, loads level, the overlap spread over
        every pair of people, hidden gold samples mixed in at seeded positions. Writes the plan file."""
        with g.errors(NAMES):
            res = ops.assign(g.path(path, "dataset", exists=True), annotators, g.path(output, "output"),
                             overlap=overlap, capacity=capacity,
                             gold=g.path(gold, "gold", exists=True) if gold else None, gold_rate=gold_rate,
                             seed=seed, schema=g.schema(schema), fmt=format)
            return g.clean(Report(output=res.output, report=plain(res.model_dump())))

    @mcp.tool()
    def assign_next_round(
        path: Annotated[str, Field(description="The labelled dataset (after import-results or pull).")],
        annotators: Annotated[list[str], Field(description="The people who can take more tasks.")],
        output: Annotated[str, Field(description="The next round's plan file (JSON).")] = "round2.json",
        plan: Annotated[str | None, Field(description="The earlier plan (its gold ids and who had what).")] = None,
        target: Annotated[float, Field(gt=0, le=1, description="A sample is settled at this posterior.")] = 0.9,
        max_per_sample: Annotated[int, Field(ge=1, description="Most labels a sample gets.")] = 5,
        question: Annotated[str | None, Field(description="The question to settle (default: the first "
                                              "single-choice question).")] = None,
        gold_min: Annotated[float, Field(ge=0, le=1, description="Flag people below this gold accuracy.")] = 0.7,
        seed: int = 0, schema: Schema_ = None, format: Format_ = "auto",
    ) -> Report:
        """The next round: Dawid-Skene per sample; unsettled samples get one more person who has not seen them,
        settled ones are done. Writes the round's plan file."""
        with g.errors(NAMES):
            res = ops.next_round(g.path(path, "dataset", exists=True), annotators, g.path(output, "output"),
                                 target=target, max_per_sample=max_per_sample,
                                 plan=g.path(plan, "plan", exists=True) if plan else None, question=question,
                                 gold_min=gold_min, seed=seed, schema=g.schema(schema), fmt=format)
            return g.clean(Report(output=res.output, report=plain(res.model_dump())))

"""Text answers: never merged by picking one by position; kept whole for a person, or the longest."""

from __future__ import annotations

import re
from typing import Any

from labelloop.quality.aggregators.base import AGGREGATORS, Aggregator, Decision, raw_value, rows_by_item
from labelloop.quality.units import Ratings


def _norm_text(s: Any) -> str:
    return re.sub(r"\s+", " ", str(s)).strip()


@AGGREGATORS.register("keep-all")
class KeepAll(Aggregator):
    """Text: identical answers (ignoring spacing) are taken; otherwise every answer is kept in the
    details and the item needs review. Nothing is picked by position."""

    name = "keep-all"

    def _decide(self, ratings: Ratings) -> list[Decision | None]:
        out: list[Decision | None] = []
        for rows in rows_by_item(ratings):
            answers = [{"annotator": ratings.annotators[ratings.annotator[r]], "value": raw_value(ratings, r)}
                       for r in rows]
            distinct = {_norm_text(a["value"]) for a in answers}
            if len(distinct) == 1:
                out.append(Decision(answers[0]["value"], 1.0, details={"answers": answers}))
            else:
                out.append(Decision(None, None, True, f"{len(distinct)} different answers", {"answers": answers}))
        return out


@AGGREGATORS.register("longest")
class LongestAnswer(Aggregator):
    """Text adjudication by length: the longest answer (spacing ignored). Two different answers of
    the same greatest length need review."""

    name = "longest"

    def _decide(self, ratings: Ratings) -> list[Decision | None]:
        out: list[Decision | None] = []
        for rows in rows_by_item(ratings):
            answers = [(ratings.annotators[ratings.annotator[r]], raw_value(ratings, r)) for r in rows]
            best = max(len(_norm_text(v)) for _, v in answers)
            top = {_norm_text(v) for _, v in answers if len(_norm_text(v)) == best}
            details: dict[str, Any] = {"answers": [{"annotator": a, "value": v} for a, v in answers]}
            if len(top) > 1:
                out.append(Decision(None, None, True, f"{len(top)} different answers share the greatest length",
                                    details))
            else:
                winner = next((a, v) for a, v in answers if len(_norm_text(v)) == best)
                details["chosen_from"] = winner[0]
                out.append(Decision(winner[1], 1.0, details=details))
        return out

"""OpenAI chat data: ``messages`` lists, and OpenAI's preference fine-tuning rows
(``input.messages``, ``preferred_output``, ``non_preferred_output``).

In a plain ``messages`` row the trailing assistant turn is the one candidate; the turns before
it are the prompt.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from labelloop.data.model import Annotation, Candidate, DataSample
from labelloop.errors import RowError
from labelloop.formats.base import Format, make_id, register, scalar, to_messages


@register
class ChatFormat(Format):
    name = "chat"
    description = "OpenAI messages lists; OpenAI preference rows (input/preferred_output/non_preferred_output)"
    priority = 5

    def detect(self, columns: set[str], first: dict[str, Any] | None) -> bool:
        return "messages" in columns or {"input", "preferred_output", "non_preferred_output"} <= columns

    def required_columns(self) -> tuple[str, ...]:
        return ()

    def to_samples(self, row: dict[str, Any]) -> Iterable[DataSample]:
        if "preferred_output" in row:
            inp = row.get("input") or {}
            prompt = to_messages(inp.get("messages") if isinstance(inp, dict) else inp, "input.messages")
            good = to_messages(row["preferred_output"], "preferred_output")
            bad = to_messages(row["non_preferred_output"], "non_preferred_output")
            cands = [Candidate(id="0", content=_text(good)), Candidate(id="1", content=_text(bad))]
            anns = [Annotation(annotator=self.name, kind="reference", values={"preference": "0"}, origin=self.name)]
            used = {"input", "preferred_output", "non_preferred_output", "id"}
        else:
            if "messages" not in row:
                raise RowError("column 'messages' is missing")
            turns = to_messages(row["messages"], "messages")
            k = len(turns)
            while k > 0 and turns[k - 1].role == "assistant":
                k -= 1
            prompt, answer = turns[:k], turns[k:]
            cands = [Candidate(id="0", content=_text(answer))] if answer else []
            anns = []
            used = {"messages", "id"}
        metadata = {k2: scalar(v) for k2, v in row.items() if k2 not in used}
        return [DataSample(id=make_id(scalar(row.get("id")), prompt, cands), prompt=prompt, candidates=cands,
                           annotations=anns, metadata=metadata)]


def _text(turns: list) -> str:
    return "\n\n".join(t.content for t in turns)

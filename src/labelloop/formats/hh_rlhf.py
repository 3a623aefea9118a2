"""Anthropic HH-RLHF: two whole transcripts (``\\n\\nHuman: … \\n\\nAssistant: …``).

The turns both transcripts share, up to the last human turn, are the prompt; what follows in
each is a candidate (chosen ``"0"``, rejected ``"1"``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from labelloop.data.model import Annotation, Candidate, DataSample, Message
from labelloop.data.schema import AnnotationSchema
from labelloop.errors import RowError
from labelloop.formats.base import Format, make_id, register, scalar
from labelloop.templates import TEMPLATES

_TURN = re.compile(r"\n\n(Human|Assistant): ?")
_ROLES = {"Human": "user", "Assistant": "assistant"}


def split_transcript(text: str, column: str) -> list[Message]:
    if not isinstance(text, str):
        raise RowError(f"column {column!r} is not a transcript string")
    if not text.startswith("\n\n"):
        text = "\n\n" + text
    parts = _TURN.split(text)
    if parts[0].strip():
        raise RowError(f"column {column!r} does not start with a 'Human:' turn")
    turns = []
    for role, content in zip(parts[1::2], parts[2::2]):
        turns.append(Message(role=_ROLES[role], content=content))
    if not turns:
        raise RowError(f"column {column!r} holds no 'Human:' or 'Assistant:' turn")
    return turns


def join_transcript(turns: list[Message]) -> str:
    names = {v: k for k, v in _ROLES.items()}
    return "".join(f"\n\n{names.get(t.role, t.role.capitalize())}: {t.content}" for t in turns)


@register
class HHRLHFFormat(Format):
    name = "hh_rlhf"
    description = "Anthropic HH-RLHF: chosen / rejected transcripts with Human: and Assistant: turns"
    required = ("chosen", "rejected")
    priority = 25

    def detect(self, columns: set[str], first: dict[str, Any] | None) -> bool:
        if not {"chosen", "rejected"} <= columns or "prompt" in columns:
            return False
        return first is not None and isinstance(first.get("chosen"), str) and "Human:" in first["chosen"]

    def schema(self) -> AnnotationSchema:
        return TEMPLATES.get("rewardbench")()

    def to_samples(self, row: dict[str, Any]) -> Iterable[DataSample]:
        chosen = split_transcript(row["chosen"], "chosen")
        rejected = split_transcript(row["rejected"], "rejected")
        k = 0
        while k < min(len(chosen), len(rejected)) and chosen[k] == rejected[k]:
            k += 1
        while k > 0 and chosen[k - 1].role != "user":
            k -= 1
        if k == 0:
            raise RowError("the chosen and rejected transcripts share no human turn")
        prompt = chosen[:k]
        cands = []
        for cid, turns in (("0", chosen[k:]), ("1", rejected[k:])):
            meta = {} if len(turns) <= 1 else {"messages": [t.model_dump() for t in turns]}
            content = turns[0].content if len(turns) == 1 else join_transcript(turns).lstrip("\n")
            cands.append(Candidate(id=cid, content=content, metadata=meta))
        metadata = {k2: scalar(v) for k2, v in row.items() if k2 not in ("chosen", "rejected", "id")}
        return [
            DataSample(
                id=make_id(scalar(row.get("id")), prompt, cands),
                prompt=prompt,
                candidates=cands,
                annotations=[Annotation(annotator=self.name, kind="reference", values={"preference": "0"},
                                        origin=self.name)],
                metadata=metadata,
            )
        ]

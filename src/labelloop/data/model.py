"""The one data model. Every stage takes a ``Dataset`` and gives a ``Dataset``.

All labels, whoever made them, live in ``DataSample.annotations``; formats convert to and from
these types at the edge, once.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from labelloop.data.schema import AnnotationSchema
from labelloop.errors import DuplicateIdError

AnnotationKind = Literal["human", "prediction", "reference", "aggregate"]
AnnotationStatus = Literal["submitted", "skipped", "flagged", "draft"]


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=False)


class Message(_Base):
    """One chat turn, OpenAI style."""

    role: str
    content: str


class Candidate(_Base):
    """One response to be judged. ``id`` is stable across formats and screen orders."""

    id: str
    content: str
    model: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class Annotation(_Base):
    """One set of answers by one annotator (a person, a model, the source data, or a merge).

    ``values`` maps question name to value, always in candidate ids, never screen positions.
    A ranking is a list of ids, best first; where its question allows ties (``Question.ties``) an item
    may be a list of ids, a tier of equally good answers sharing one place: ``["c1", ["c2", "c3"], "c4"]``
    (``labelloop.data.schema.ranking_tiers`` reads either form). No training pair is made inside a tier.
    """

    annotator: str
    kind: AnnotationKind = "human"
    values: dict[str, Any] = Field(default_factory=dict)
    score: float | None = None
    model_version: str | None = None
    status: AnnotationStatus = "submitted"
    created_at: datetime | None = None
    updated_at: datetime | None = None
    lead_time_s: float | None = None
    origin: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class DataSample(_Base):
    """One unit to annotate: a prompt (chat turns), candidates, and every annotation of it."""

    id: str
    prompt: list[Message] = Field(default_factory=list)
    candidates: list[Candidate] = Field(default_factory=list)
    annotations: list[Annotation] = Field(default_factory=list)
    metadata: dict[str, Any] = Field(default_factory=dict)

    def candidate(self, candidate_id: str) -> Candidate | None:
        for cand in self.candidates:
            if cand.id == candidate_id:
                return cand
        return None

    def annotations_of(self, *kinds: AnnotationKind) -> list[Annotation]:
        return [a for a in self.annotations if not kinds or a.kind in kinds]

    @property
    def prompt_text(self) -> str:
        """The last user turn, or all turns joined when there is no user turn."""
        for msg in reversed(self.prompt):
            if msg.role == "user":
                return msg.content
        return "\n\n".join(m.content for m in self.prompt)


class Dataset(_Base):
    """A named list of samples with the schema they are annotated under."""

    name: str = "dataset"
    samples: list[DataSample] = Field(default_factory=list)
    schema_: AnnotationSchema | None = Field(default=None, alias="schema")
    metadata: dict[str, Any] = Field(default_factory=dict)

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @property  # type: ignore[override]
    def schema(self) -> AnnotationSchema | None:
        return self.schema_

    @schema.setter
    def schema(self, value: AnnotationSchema | None) -> None:
        self.schema_ = value

    def __len__(self) -> int:
        return len(self.samples)

    def __iter__(self):  # type: ignore[override]
        return iter(self.samples)

    def by_id(self) -> dict[str, DataSample]:
        return {s.id: s for s in self.samples}

    def check_unique_ids(self) -> None:
        seen: dict[str, int] = {}
        for row, sample in enumerate(self.samples, start=1):
            if sample.id in seen:
                raise DuplicateIdError(
                    f"Samples {seen[sample.id]} and {row} of dataset {self.name!r} share the id {sample.id!r}."
                )
            seen[sample.id] = row


def content_id(prompt: list[Message], candidates: list[Candidate]) -> str:
    """A stable id from prompt *and* candidates, so two rows sharing a prompt never collide."""
    payload = json.dumps(
        [[[m.role, m.content] for m in prompt], [c.content for c in candidates]],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def combine_datasets(datasets: list[Dataset], name: str | None = None) -> Dataset:
    """One dataset from several that share samples (e.g. one results file per annotator).

    Samples with the same id are one sample: their annotations are concatenated in input order;
    the first dataset's prompt, candidates and schema win. Candidates that differ by id are an error.
    """
    from labelloop.errors import LabelloopError

    if not datasets:
        raise LabelloopError("Nothing to combine: no datasets were given.")
    merged: dict[str, DataSample] = {}
    for ds in datasets:
        for s in ds.samples:
            have = merged.get(s.id)
            if have is None:
                merged[s.id] = s.model_copy(deep=True)
                continue
            if [c.id for c in have.candidates] != [c.id for c in s.candidates]:
                raise LabelloopError(
                    f"Sample {s.id!r} has candidates {[c.id for c in s.candidates]} in {ds.name!r} but "
                    f"{[c.id for c in have.candidates]} earlier; they cannot be combined."
                )
            have.annotations.extend(a.model_copy(deep=True) for a in s.annotations)
    schema = next((d.schema for d in datasets if d.schema is not None), None)
    return Dataset(name=name or datasets[0].name, samples=list(merged.values()), schema=schema,
                   metadata=dict(datasets[0].metadata))

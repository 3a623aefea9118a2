"""DataLabel tasks files, both ways: ``{id, data, task_type}`` tasks read as samples, and samples written as
tasks whose answers sit in the seeded screen order of ``labelloop.data.positions``."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from labelloop.data.io import atomic_open
from labelloop.data.model import Annotation, Candidate, DataSample, Dataset, Message
from labelloop.data.positions import is_no_answer, no_answer_text, position_index, screen_permutation
from labelloop.data.schema import AnnotationSchema
from labelloop.errors import LabelloopError, RowError
from labelloop.formats.base import Format, _loads_if_json, make_id, register, scalar, to_messages
from labelloop.formats.datalabel.schema import (
    LETTERED,
    PROMPT_KEYS,
    RESPONSE_KEYS,
    SYSTEM_KEYS,
    letter,
    schema_from_datalabel,
    schema_to_datalabel,
)

EXTRA_KEY = "labelloop"  # task-level key DataLabel ignores; holds candidate ids, models, metadata


def _letter_key(suffix: str) -> tuple[int, int, str]:
    return (1, int(suffix), "") if suffix.isdigit() else (0, len(suffix), suffix)


def is_flat_task(columns: set[str]) -> bool:
    """A flat DataLabel task (``id, instruction, response``, …): an id, a prompt key and a response key."""
    responses = {k for k in columns if k in RESPONSE_KEYS or LETTERED.match(k)} | (
        {"chosen"} if {"chosen", "rejected"} <= columns else set())
    return "id" in columns and bool(set(PROMPT_KEYS) & columns) and bool(responses)


def task_parts(task: dict[str, Any], index: int) -> tuple[str, dict[str, Any], Any, dict[str, Any]]:
    """(id, data, task_type, extra) of the ``index``-th task (1-based): nested ``data`` or the flat task.

    A task without an id is ``TASK_001``, ``TASK_002``... as DataLabel's page names it in results.
    """
    extra = task.get(EXTRA_KEY) if isinstance(task.get(EXTRA_KEY), dict) else {}
    sid = scalar(task.get("id"))
    sid = str(sid) if sid not in (None, "", 0) else f"TASK_{index:03d}"
    data = _loads_if_json(task.get("data"))
    if isinstance(data, dict):
        return sid, data, task.get("task_type"), extra
    flat = {k: v for k, v in task.items() if k not in ("id", "task_type", EXTRA_KEY)}
    return sid, flat, task.get("task_type"), extra


def sample_from_data(sample_id: Any, data: dict[str, Any], task_type: Any = None, extra: dict[str, Any] | None = None,
                     ) -> tuple[DataSample, dict[str, str | None]]:
    """A sample from a DataLabel ``data`` dict, and how DataLabel's letters map to candidate ids (``None``:
    a position this task leaves empty)."""
    used: set[str] = set()
    prompt: list[Message] = []
    for key in SYSTEM_KEYS:
        if data.get(key) not in (None, ""):
            prompt.append(Message(role="system", content=str(data[key])))
            used.add(key)
            break
    extra = extra or {}
    if isinstance(extra.get("prompt"), list):
        prompt = to_messages(extra["prompt"], "labelloop.prompt")
        used.add("prompt")
    else:
        for key in PROMPT_KEYS:
            if data.get(key) in (None, ""):
                continue
            turns = to_messages(data[key], key)
            used.add(key)
            if key == "instruction" and isinstance(data.get("input"), str) and data["input"].strip():
                turns[-1] = Message(role=turns[-1].role, content=f"{turns[-1].content}\n\n{data['input']}")
                used.add("input")
            prompt += turns
            break
    cands: list[Candidate] = []
    reference: dict[str, Any] | None = None
    lettered = sorted(((m.group(1), k) for k in data if (m := LETTERED.match(k))), key=lambda t: _letter_key(t[0]))
    blank: list[str] = []  # positions the project's layout has and this task leaves empty (see write_tasks)
    if lettered:
        for suffix, key in lettered:
            used.add(key)
            index = position_index(suffix.upper())
            if index is not None and is_no_answer(data[key], index):
                blank.append(suffix)
                continue
            cands.append(Candidate(id=suffix, content=_text(data[key]), model=_model(data, key, suffix)))
    elif "chosen" in data and "rejected" in data:
        cands = [Candidate(id="0", content=_text(data["chosen"]), model=_opt(data.get("chosen_model"))),
                 Candidate(id="1", content=_text(data["rejected"]), model=_opt(data.get("rejected_model")))]
        used |= {"chosen", "rejected", "chosen_model", "rejected_model"}
        reference = {"preference": "0"}
    elif isinstance(data.get("responses"), list):
        cands = [Candidate(id=str(i), content=_text(r)) for i, r in enumerate(data["responses"])]
        used.add("responses")
    else:
        key = next((k for k in RESPONSE_KEYS if k in data and k not in used), None)
        if key is not None:
            cands = [Candidate(id="0", content=_text(data[key]), model=_opt(data.get("model")))]
            used |= {key, "model"}
    letters: dict[str, str | None] = {c.id: c.id for c in cands}
    if isinstance(extra.get("candidates"), list):  # written by labelloop: restore ids, order, models
        cands, letters = _restore(extra["candidates"], cands, data)
    letters.update(dict.fromkeys(blank))
    metadata = {k: scalar(v) for k, v in data.items() if k not in used}
    if task_type not in (None, "", "default"):
        metadata["task_type"] = task_type
    if isinstance(extra.get("metadata"), dict):
        metadata.update(extra["metadata"])
    anns = []
    if reference:
        anns.append(Annotation(annotator="datalabel", kind="reference", values=reference, origin="datalabel"))
    sid = make_id(scalar(sample_id), prompt, cands)
    return DataSample(id=sid, prompt=prompt, candidates=cands, annotations=anns, metadata=metadata), letters


def _restore(entries: list[Any], read: list[Candidate], data: dict[str, Any],
             ) -> tuple[list[Candidate], dict[str, str | None]]:
    out: list[Candidate] = []
    letters: dict[str, str | None] = {}
    for i, e in enumerate(entries):
        if not isinstance(e, dict) or "key" not in e or "id" not in e:
            raise RowError(f"labelloop.candidates[{i}] needs 'key' and 'id'")
        key = str(e["key"])
        if key not in data:
            raise RowError(f"labelloop.candidates[{i}] names data key {key!r}, which the task does not have")
        m = LETTERED.match(key)
        letters[m.group(1) if m else "a"] = str(e["id"])  # a lone "response" is option "a" in our schemas
        out.append(Candidate(id=str(e["id"]), content=_text(data[key]), model=_opt(e.get("model")),
                             metadata=dict(e.get("metadata") or {})))
    return out, letters


def _text(v: Any) -> str:
    v = scalar(v)
    if v is None:
        return ""
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False)
    return str(v)


def _opt(v: Any) -> str | None:
    v = scalar(v)
    return None if v in (None, "") else str(v)


def _model(data: dict[str, Any], key: str, suffix: str) -> str | None:
    return _opt(data.get(f"{key}_model") or data.get(f"model_{suffix}"))


@register
class DataLabelTasksFormat(Format):
    name = "datalabel"
    description = "DataLabel tasks: {id, data: {prompt, response | response_a, response_b...}, task_type}"
    can_write = True
    priority = 1  # last resort: many tools nest a 'data' dict in their tasks

    def detect(self, columns: set[str], first: dict[str, Any] | None) -> bool:
        if first is None or {"annotations", "predictions", "task_id"} & columns:  # LS tasks, DataLabel results
            return False
        if not isinstance(first.get("data"), dict):  # flat tasks, as DataLabel's import-tasks writes them
            return is_flat_task(columns)
        return bool({"id", "task_type"} & columns)

    def begin(self, source: Any) -> None:
        header = source.header
        if header and isinstance(header.get("schema"), dict) and "questions" not in header["schema"]:
            header["schema"] = schema_from_datalabel(header["schema"], str(source.description)).model_dump()
        schema = self.options.get("schema")
        if isinstance(schema, AnnotationSchema):
            source.header = {**(header or {}), "schema": schema.model_dump()}

    def to_samples(self, row: dict[str, Any]) -> Iterable[DataSample]:
        self._index = getattr(self, "_index", 0) + 1
        sid, data, task_type, extra = task_parts(row, self._index)
        return [sample_from_data(sid, data, task_type, extra)[0]]

    def write(self, dataset: Dataset, path: Path) -> int:
        return write_tasks(dataset, path, schema_path=self.options.get("schema_path"),
                           shuffle=self.options.get("shuffle", True), seed=self.options.get("seed") or 0)


def write_tasks(dataset: Dataset, path: str | Path, *, schema_path: str | Path | None = None, shuffle: bool = True,
                seed: int = 0) -> int:
    """Write a DataLabel tasks file ``{"samples": [...], "schema": {...}}`` (and the schema alone, if asked).

    Candidates appear as ``response`` (one) or ``response_a``, ``response_b``... in a per-task order
    shuffled with ``seed``; the task-level ``labelloop`` key records which letter is which id. DataLabel
    has one schema per project, so its options name as many answers as the largest task has: every task
    shows that many cards, those past its own answers saying ``(no answer E: this prompt has 4)``, and
    reading the results drops those letters from rankings (DataLabel makes a ranking order every option).
    """
    n_max = max((len(s.candidates) for s in dataset.samples), default=2)
    tasks = []
    for s in dataset.samples:
        n = len(s.candidates)
        order = screen_permutation(s, seed, shuffle)
        if n_max > 1:
            keys = [f"response_{letter(k)}" for k in range(n_max)]
        else:
            keys = ["response"] if n == 1 else []
        data: dict[str, Any] = {}
        single_user = len(s.prompt) == 1 and s.prompt[0].role == "user"
        if s.prompt:
            data["prompt"] = s.prompt[0].content if single_user else [m.model_dump() for m in s.prompt]
        for pos, idx in enumerate(order):
            data[keys[pos]] = s.candidates[idx].content
        for pos in range(n, len(keys)):  # the schema's options name every position: none may lack its card
            data[keys[pos]] = no_answer_text(pos, n)
        entries = []
        for idx, c in enumerate(s.candidates):
            e: dict[str, Any] = {"key": keys[order.index(idx)], "id": c.id}
            if c.model:
                e["model"] = c.model
            if c.metadata:
                e["metadata"] = c.metadata
            entries.append(e)
        meta = dict(s.metadata)
        task_type = meta.pop("task_type", "default")
        extra: dict[str, Any] = {"candidates": entries}
        if meta:
            extra["metadata"] = meta
        if s.prompt and not single_user:
            extra["prompt"] = data["prompt"]
        tasks.append({"id": s.id, "data": data, "task_type": task_type, EXTRA_KEY: extra})
    doc: dict[str, Any] = {"samples": tasks}
    dl_schema = None
    if dataset.schema is not None:
        dl_schema = schema_to_datalabel(dataset.schema, n_max)
        doc["schema"] = dl_schema
    with atomic_open(path) as fh:
        json.dump(doc, fh, ensure_ascii=False, indent=2, default=str)
        fh.write("\n")
    if schema_path is not None:
        if dl_schema is None:
            raise LabelloopError(f"Cannot write the DataLabel schema {schema_path}: the dataset has no schema.")
        with atomic_open(schema_path) as fh:
            json.dump(dl_schema, fh, ensure_ascii=False, indent=2)
            fh.write("\n")
    return len(tasks)

"""RM-Gallery (``rm-gallery`` 0.1.7) ``DataSample`` JSON, read and written, so data moves both ways.

A DataSample is ``{unique_id, input: [ChatMessage], output: [{answer: Step, steps}], task_category,
source, created_at, metadata}``; labels live on each ``output[i].answer.label``, a free dict whose
RM-Gallery convention is ``{"preference": "chosen" | "rejected"}`` (plus ``model``, ``type``...).

Reading: ``input`` is the prompt, each output a candidate (ids ``"0"``..``"n-1"``, model from
``label.model``). The chosen/rejected labels become a ``reference`` annotation: ``preference``
(the chosen id) for two outputs with one chosen, otherwise ``correct`` (the chosen ids) and
``best`` when exactly one is chosen, as in ``rewardbench2``. Other label keys, rewards, steps and
message extras stay in the candidate's metadata; ``task_category``, ``source``, ``created_at`` and
RM-Gallery's own ``metadata`` stay in the sample's. Files: JSONL of DataSamples, a JSON list, or
the ``BaseDataSet`` wrapper ``{"name", "metadata", "datasamples": [...]}``, and RM-Gallery's
Parquet export (``input``/``output``/``metadata`` as JSON text).

Writing: the label an export would use (``aggregate``, a unanimous human label, or the
``reference``; see ``labelloop.data.preference.choose_label``) becomes ``preference: chosen`` on
the top tier and ``rejected`` on the rest (with ``rank``, 1 = best, when a ranking has more than
two tiers). Ties and "both bad" carry no preference. Only that label goes over: RM-Gallery has no
place for several annotators. ``.jsonl`` (default) writes one DataSample per line, ``.json`` the
BaseDataSet wrapper, ``.parquet`` RM-Gallery's flat Parquet layout. ``created_at`` is written only
when known (RM-Gallery fills in "now"), so output is deterministic; per-message ``time_created``
(object creation time) and prompt-turn extras (``name``, ``tool_calls``) are not kept. Candidate ids other than the
positional ones and candidate metadata travel in ``answer.additional_kwargs["labelloop"]``, which
RM-Gallery keeps and ignores.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from labelloop.data.io import atomic_open, dumps, write_rows
from labelloop.data.model import Annotation, Candidate, DataSample, Dataset
from labelloop.data.preference import LabelSource, choose_label, preference_question, tiers_from_value
from labelloop.data.schema import AnnotationSchema, Question
from labelloop.errors import LabelloopError, OutputError, RowError
from labelloop.formats.base import Format, _loads_if_json, register, scalar, to_messages
from labelloop.templates import TEMPLATES

#: ChatMessage.role in RM-Gallery 0.1.7 is an enum of exactly these.
ROLES = ("system", "user", "assistant", "function")
ROLE_ALIASES = {"human": "user", "gpt": "assistant", "bot": "assistant", "model": "assistant", "tool": "function",
                "developer": "system"}
SAMPLE_KEYS = ("task_category", "source", "created_at")
#: Step fields other than role/content/label that are kept in candidate metadata when not default.
STEP_EXTRAS = {"name": None, "reasoning_content": "", "tool_calls": None}
EXTRA_KEY = "labelloop"


def rm_gallery_schema() -> AnnotationSchema:
    """What RM-Gallery labels answer: a pairwise preference or a best-of-N / correct-set choice.

    One schema serves both shapes because a file may mix them; the choice questions are optional.
    """
    rb2 = TEMPLATES.get("rewardbench2")()
    pref = TEMPLATES.get("rewardbench")().question("preference").model_copy(update={"required": False})
    questions = [pref] + [q.model_copy(update={"required": False}) if q.name in ("best", "ranking") else q
                          for q in rb2.questions]
    return AnnotationSchema(name="rm_gallery", questions=questions, guidelines=rb2.guidelines)


@register
class RMGalleryFormat(Format):
    name = "rm_gallery"
    description = "RM-Gallery 0.1.7 DataSample JSON: unique_id, input, output[].answer.label.preference"
    required = ("unique_id",)
    can_write = True
    priority = 40

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.label_source: LabelSource = options.get("label_source") or "auto"
        self.question: str | None = options.get("question")
        if self.label_source not in ("auto", "aggregate", "human", "reference"):
            raise LabelloopError(
                f"Unknown label source {self.label_source!r}; use auto, aggregate, human or reference.")

    # reading -------------------------------------------------------------------------
    def detect(self, columns: set[str], first: dict[str, Any] | None) -> bool:
        return "unique_id" in columns and bool({"input", "output"} & columns)

    def schema(self) -> AnnotationSchema:
        return rm_gallery_schema()

    def begin(self, source: Any) -> None:
        doc = source.extra.get("document")
        if isinstance(doc, dict) and isinstance(doc.get("datasamples"), list) and source.header is None:
            meta = doc.get("metadata")
            source.header = {"name": doc.get("name"), "metadata": meta if isinstance(meta, dict) else {}}

    def to_samples(self, row: dict[str, Any]) -> Iterable[DataSample]:
        uid = scalar(row.get("unique_id"))
        if uid is None or str(uid) == "":
            raise RowError("field 'unique_id' is empty")
        raw_input = _loads_if_json(row.get("input"))
        prompt = to_messages(raw_input, "input") if raw_input not in (None, "", []) else []
        outputs = _loads_if_json(row.get("output"))
        if outputs is None:
            outputs = []
        if hasattr(outputs, "tolist"):
            outputs = outputs.tolist()
        if not isinstance(outputs, list):
            raise RowError(f"field 'output' holds {type(outputs).__name__}, not a list of outputs")
        cands: list[Candidate] = []
        verdicts: list[bool | None] = []
        for i, out in enumerate(outputs):
            cand, verdict = _candidate(out, i)
            cands.append(cand)
            verdicts.append(verdict)
        ids = [c.id for c in cands]
        if len(set(ids)) != len(ids):
            raise RowError(f"output ids repeat: {ids}")
        annotations = []
        if any(v is not None for v in verdicts):
            chosen = [c.id for c, v in zip(cands, verdicts) if v]
            values: dict[str, Any]
            if len(cands) == 2 and len(chosen) == 1:
                values = {"preference": chosen[0]}
            else:
                values = {"correct": chosen}
                if len(chosen) == 1:
                    values["best"] = chosen[0]
            annotations.append(Annotation(annotator=self.name, kind="reference", values=values, origin=self.name))
        return [DataSample(id=str(uid), prompt=prompt, candidates=cands, annotations=annotations,
                           metadata=_sample_metadata(row))]

    # writing -------------------------------------------------------------------------
    def records(self, dataset: Dataset) -> list[dict[str, Any]]:
        return [self.record(s, dataset.schema) for s in dataset.samples]

    def record(self, sample: DataSample, schema: AnnotationSchema | None) -> dict[str, Any]:
        """One RM-Gallery DataSample (as plain JSON) for ``sample``."""
        tiers = self._tiers(sample, schema)
        rank = {cid: k for k, tier in enumerate(tiers or []) for cid in tier}
        outputs = []
        for i, cand in enumerate(sample.candidates):
            meta = dict(cand.metadata)
            label = dict(meta.pop("label", None) or {})
            if tiers:
                label["preference"] = "chosen" if rank.get(cand.id) == 0 else "rejected"
                if len(tiers) > 2:
                    label["rank"] = rank.get(cand.id, len(tiers) - 1) + 1
            if cand.model:
                label["model"] = cand.model
            answer: dict[str, Any] = {"role": meta.pop("role", "assistant"), "content": cand.content}
            for key in STEP_EXTRAS:
                if key in meta:
                    answer[key] = meta.pop(key)
            kwargs = dict(meta.pop("additional_kwargs", None) or {})
            reward = meta.pop("reward", None) or {"score": 0.0, "details": []}
            steps = meta.pop("steps", None)
            extra: dict[str, Any] = {}
            if cand.id != str(i):
                extra["id"] = cand.id
            if meta:
                extra["metadata"] = meta
            if extra:
                kwargs[EXTRA_KEY] = extra
            answer["additional_kwargs"] = kwargs
            answer["label"] = label
            answer["reward"] = reward
            outputs.append({"answer": answer, "steps": steps})
        meta = dict(sample.metadata)
        own = meta.pop("rm_gallery_metadata", None)
        rec: dict[str, Any] = {
            "unique_id": sample.id,
            "input": [{"role": _role(m.role, sample.id), "content": m.content} for m in sample.prompt],
            "output": outputs,
            "task_category": meta.pop("task_category", None),
            "source": meta.pop("source", None),
        }
        created = meta.pop("created_at", None)
        if created is not None:
            rec["created_at"] = created
        rec["metadata"] = own if own is not None else (meta or None)
        return rec

    def _tiers(self, sample: DataSample, schema: AnnotationSchema | None) -> list[list[str]] | None:
        if self.question:
            if schema is None:
                raise LabelloopError(f"Cannot use question {self.question!r}: the dataset has no schema.")
            q: Question | None = schema.question(self.question)
        else:
            seen = {k for a in sample.annotations if a.status == "submitted" for k, v in a.values.items()
                    if v is not None}
            q = preference_question(schema, seen) or preference_question(rm_gallery_schema(), seen)
        if q is None:
            return None
        picked = choose_label(sample, q, self.label_source,
                              include_accepted=bool(self.options.get("include_accepted")))
        if picked is None:
            return None
        return tiers_from_value(q, picked[0], [c.id for c in sample.candidates])

    def write(self, dataset: Dataset, path: Path) -> int:
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in (".jsonl", ".ndjson", ".json", ".parquet"):
            raise OutputError(f"Cannot write RM-Gallery data to {path}; use .jsonl (DataSample lines), "
                              ".json (BaseDataSet) or .parquet.")
        records = self.records(dataset)
        if suffix == ".json":
            doc = {"name": dataset.name, "metadata": dataset.metadata, "datasamples": records}
            with atomic_open(path) as fh:
                json.dump(doc, fh, ensure_ascii=False, indent=2, default=_json_default)
                fh.write("\n")
        elif suffix == ".parquet":
            rows = [{**r, "input": dumps(r["input"]), "output": dumps(r["output"]),
                     "created_at": r.get("created_at"),
                     "metadata": None if r["metadata"] is None else json.dumps(r["metadata"], ensure_ascii=False,
                                                                               default=_json_default)}
                    for r in records]
            write_rows(rows, path, "parquet")
        else:
            with atomic_open(path) as fh:
                for r in records:
                    fh.write(json.dumps(r, ensure_ascii=False, separators=(",", ":"), default=_json_default) + "\n")
        return len(records)


# ---------------------------------------------------------------------- helpers
def _candidate(out: Any, i: int) -> tuple[Candidate, bool | None]:
    """A candidate from one ``output`` item, and whether its label says chosen (None: no preference)."""
    if not isinstance(out, dict) or not isinstance(out.get("answer"), dict):
        raise RowError(f"output {i} has no 'answer' object")
    ans = dict(out["answer"])
    label = ans.pop("label", None) or {}
    if not isinstance(label, dict):
        raise RowError(f"output {i}: 'answer.label' is not an object")
    label = dict(label)
    verdict = _verdict(label, i)
    label.pop("preference", None)
    model = label.pop("model", None)
    content = ans.pop("content", "")
    if isinstance(content, list):  # OpenAI-style content parts
        content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
    meta: dict[str, Any] = {}
    if label:
        meta["label"] = label
    role = ans.pop("role", "assistant")
    if role not in (None, "assistant"):
        meta["role"] = role
    for key, default in STEP_EXTRAS.items():
        if key in ans and ans[key] != default:
            meta[key] = ans[key]
    kwargs = dict(ans.get("additional_kwargs") or {})
    extra = kwargs.pop(EXTRA_KEY, None) if isinstance(kwargs.get(EXTRA_KEY), dict) else None
    if kwargs:
        meta["additional_kwargs"] = kwargs
    reward = ans.get("reward")
    if reward not in (None, {"score": 0.0, "details": []}, {"score": 0, "details": []}):
        meta["reward"] = reward
    if out.get("steps") is not None:
        meta["steps"] = out["steps"]
    cid = str(i)
    if extra:
        cid = str(extra.get("id", cid))
        meta.update(extra.get("metadata") or {})
    return Candidate(id=cid, content="" if content is None else str(content),
                     model=None if model in (None, "") else str(model), metadata=meta), verdict


def _verdict(label: dict[str, Any], i: int) -> bool | None:
    pref = label.get("preference")
    if pref is None:
        flag = label.get("is_preferred")  # helpsteer3_preference's converter
        return flag if isinstance(flag, bool) else None
    if pref in ("chosen", "rejected"):
        return pref == "chosen"
    raise RowError(f"output {i}: label preference {pref!r} is neither 'chosen' nor 'rejected'")


def _sample_metadata(row: dict[str, Any]) -> dict[str, Any]:
    own = _loads_if_json(row.get("metadata"))
    if hasattr(own, "tolist"):
        own = own.tolist()
    meta: dict[str, Any] = {}
    if isinstance(own, dict) and not (set(own) & set(SAMPLE_KEYS) or "rm_gallery_metadata" in own):
        meta.update(own)
    elif own not in (None, {}):
        meta["rm_gallery_metadata"] = own
    for key in SAMPLE_KEYS:
        value = scalar(row.get(key))
        if isinstance(value, (datetime, date)):
            value = value.isoformat()
        if value is not None:
            meta[key] = value
    for key, value in row.items():  # anything a newer RM-Gallery adds is kept, not dropped
        if key not in ("unique_id", "input", "output", "metadata", *SAMPLE_KEYS):
            meta.setdefault(key, scalar(value))
    return meta


def _role(role: str, sample_id: str) -> str:
    r = ROLE_ALIASES.get(role, role)
    if r not in ROLES:
        raise OutputError(
            f"Sample {sample_id!r} has a prompt turn with role {role!r}; RM-Gallery accepts only {', '.join(ROLES)}.")
    return r


def _json_default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


__all__ = ["RMGalleryFormat", "rm_gallery_schema"]

"""RM-Gallery (``rm-gallery`` 0.1.7) ``DataSample`` JSON, read and written, so data moves both ways.

A DataSample is ``{unique_id, input: [ChatMessage], output: [{answer: Step, steps}], task_category,
source, created_at, metadata}``; labels live on each ``output[i].answer.label``, a free dict whose
RM-Gallery convention is ``{"preference": "chosen" | "rejected"}`` (plus ``model``, ``type``...).

Reading: ``input`` is the prompt, each output a candidate (ids ``"0"``..``"n-1"``, model from
``label.model``). The chosen/rejected labels become a ``reference`` annotation: ``preference``
(the chosen id) for two outputs with one chosen, otherwise ``correct`` (the chosen ids) and
``best`` when exactly one is chosen, as in ``rewardbench2``. Other label keys, rewards, steps and
message extras stay in the candidate's metadata; ``task_category``, ``source``, ``created_at`` and
RM-Gallery's own ``metadata`` stay in the sample's. A DataSample that went through RM-Gallery's annotation
module carries the task's labels on every answer's ``label.annotation_data`` (``ratings`` / ``choices`` /
``text_areas`` of the Label Studio results and the processor's ``processed`` view, rewardbench or
rewardbench2): that reads as one ``human`` annotation (``preference``, ``best``, ``ranking``, per-answer
``rating``, ``comment``; what has no question, such as ``all_equal``, in its ``metadata.rm_gallery.unmapped``),
by ``rm_gallery:<annotation_project_id>``. Files: JSONL of DataSamples, a JSON list, or
the ``BaseDataSet`` wrapper ``{"name", "metadata", "datasamples": [...]}``, and RM-Gallery's
Parquet export (``input``/``output``/``metadata`` as JSON text).

Writing: the label an export would use (``aggregate``, a unanimous human label, or the
``reference``; see ``labelloop.data.preference.choose_label``) becomes ``preference: chosen`` on
the top tier and ``rejected`` on the rest (with ``rank``, 1 = best, when a ranking has more than
two tiers). Ties and "both bad" carry no preference. People's own labels go out in the annotation module's
layout: ``label.annotation_data`` (the first person's, the Label Studio results its rewardbench template
(pairwise) or rewardbench2 template (best / ranking) would hold, with ``processed`` made by the same rules)
and, for several people, ``label.labelloop_annotations`` with each one's, which reading restores.
``.jsonl`` (default) writes one DataSample per line, ``.json`` the
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
from labelloop.data.schema import AnnotationSchema, Question, ranking_tiers
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
        annotations = _read_annotations(cands, _loads_if_json(row.get("metadata")))
        if any(v is not None for v in verdicts):
            chosen = [c.id for c, v in zip(cands, verdicts) if v]
            values: dict[str, Any]
            if len(cands) == 2 and len(chosen) == 1:
                values = {"preference": chosen[0]}
            else:
                values = {"correct": chosen}
                if len(chosen) == 1:
                    values["best"] = chosen[0]
            annotations.insert(0, Annotation(annotator=self.name, kind="reference", values=values, origin=self.name))
        return [DataSample(id=str(uid), prompt=prompt, candidates=cands, annotations=annotations,
                           metadata=_sample_metadata(row))]

    # writing -------------------------------------------------------------------------
    def records(self, dataset: Dataset) -> list[dict[str, Any]]:
        return [self.record(s, dataset.schema) for s in dataset.samples]

    def record(self, sample: DataSample, schema: AnnotationSchema | None) -> dict[str, Any]:
        """One RM-Gallery DataSample (as plain JSON) for ``sample``."""
        tiers = self._tiers(sample, schema)
        rank = {cid: k for k, tier in enumerate(tiers or []) for cid in tier}
        people = _annotation_labels(sample)
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
            label.update(people)
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


# ---------------------------------------------------------------------- annotation output (label.annotation_data)
#: what RM-Gallery's annotation module (rm_gallery/core/data/annotation/annotation.py) puts on every answer's
#: label: the task's Label Studio results by control type, and the export processor's ``processed`` view
ANNOTATION_KEYS = ("annotation_data", "annotation_status", "answer_index")
PEOPLE_KEY = "labelloop_annotations"  # every person's annotation_data, when there are several (RM-Gallery keeps one)


def _read_annotations(cands: list[Candidate], own_meta: Any) -> list[Annotation]:
    """The ``human`` annotations an annotated DataSample carries: ``label.annotation_data`` (the same on every
    answer) read through its ``processed`` view (RM-Gallery's rewardbench / rewardbench2 processors), or
    through the raw ``choices`` / ``ratings`` / ``text_areas`` when it has none."""
    found: dict[str, Any] = {}
    for c in cands:
        label = c.metadata.get("label")
        if not isinstance(label, dict):
            continue
        for key in (*ANNOTATION_KEYS, PEOPLE_KEY):
            if key in label:
                found.setdefault(key, label[key])
        rest = {k: v for k, v in label.items() if k not in (*ANNOTATION_KEYS, PEOPLE_KEY)}
        if rest:
            c.metadata["label"] = rest
        else:
            c.metadata.pop("label", None)
    ids = [c.id for c in cands]
    project = own_meta.get("annotation_project_id") if isinstance(own_meta, dict) else None
    entries = found.get(PEOPLE_KEY)
    if not isinstance(entries, list):
        data = found.get("annotation_data")
        if not isinstance(data, dict):
            return []
        entries = [{"annotator": f"rm_gallery:{project}" if project is not None else "rm_gallery",
                    "annotation_data": data, "annotation_status": found.get("annotation_status")}]
    out = []
    for e in entries:
        if not isinstance(e, dict) or not isinstance(e.get("annotation_data"), dict):
            raise RowError(f"label.{PEOPLE_KEY} holds {e!r}, not {{annotator, annotation_data}}")
        values, unmapped = values_from_annotation_data(e["annotation_data"], ids)
        meta: dict[str, Any] = {"rm_gallery": {"annotation_data": e["annotation_data"]}}
        if e.get("annotation_status") is not None:
            meta["rm_gallery"]["annotation_status"] = e["annotation_status"]
        if unmapped:
            meta["rm_gallery"]["unmapped"] = unmapped
        out.append(Annotation(annotator=str(e.get("annotator") or "rm_gallery"), kind="human", values=values,
                              origin="rm_gallery", metadata=meta))
    return out


def _answer_id(name: Any, ids: list[str]) -> str | None:
    """``answer_2`` (RM-Gallery's 1-based answer names) -> the second candidate's id."""
    if isinstance(name, str) and name.startswith("answer_") and name[7:].isdigit():
        k = int(name[7:]) - 1
        return ids[k] if 0 <= k < len(ids) else None
    return None


def _processed(data: dict[str, Any]) -> dict[str, Any]:
    """RM-Gallery's ``processed`` view, or the one its processors make of the raw results when the file has
    none: rewardbench's (``answer_ranking``: a pairwise preference) or rewardbench2's (``best_answer``,
    ``answerN_rank``), rule for rule as in rm_gallery/gallery/data/annotation/rewardbench*.py."""
    if isinstance(data.get("processed"), dict):
        return data["processed"]
    choices, ratings, texts = (data.get(k) if isinstance(data.get(k), dict) else {}
                               for k in ("choices", "ratings", "text_areas"))

    def picked(name: str) -> list[Any]:
        c = choices.get(name)
        return c.get("choices") or [] if isinstance(c, dict) else []

    def rating(name: str) -> Any:
        r = ratings.get(name)
        return r.get("rating") if isinstance(r, dict) else None

    comments = texts["additional_comments"].get("text") if isinstance(texts.get("additional_comments"), dict) else ""
    n = max([int(k[6:-7]) for k in ratings if k.startswith("answer") and k.endswith("_rating") and k[6:-7].isdigit()]
            + [int(k[6:-5]) for k in choices if k.startswith("answer") and k.endswith("_rank") and k[6:-5].isdigit()]
            + [0])
    answer_ratings = {f"answer_{i}": rating(f"answer{i}_rating") for i in range(1, max(n, 2) + 1)
                      if f"answer{i}_rating" in ratings}
    if "answer_ranking" in choices or not ("best_answer" in choices or any(k.endswith("_rank") for k in choices)):
        out: dict[str, Any] = {"ranking_result": None, "answer_ratings": answer_ratings, "quality_comparison": {},
                               "comments": comments or "", "preference": None}
        if picked("answer_ranking"):
            first = picked("answer_ranking")[0]
            out["ranking_result"] = first
            out["preference"] = ("answer_1" if "1>2" in first else "answer_2" if "2>1" in first
                                 else "neither" if "Neither" in first else "tie")
        if len(answer_ratings) == 2 and None not in answer_ratings.values():
            r1, r2 = answer_ratings["answer_1"], answer_ratings["answer_2"]
            # RM-Gallery compares the preference with the comparison before it is filled in: always False
            out["quality_comparison"] = {"rating_difference": r1 - r2,
                                         "better_answer": "answer_1" if r1 > r2 else "answer_2" if r2 > r1 else "tie",
                                         "rating_consistency": out["preference"] == "unknown"}
        return out
    out = {"best_answer": None, "answer_rankings": {}, "answer_ratings": answer_ratings, "ranking_order": [],
           "quality_comparison": {}, "comments": comments or "", "preference": None}
    if picked("best_answer"):
        out["best_answer"] = out["preference"] = picked("best_answer")[0]
    for i in range(1, max(n, 4) + 1):  # the template asks four; more answers carry on the same way
        if picked(f"answer{i}_rank"):
            out["answer_rankings"][f"answer_{i}"] = int(picked(f"answer{i}_rank")[0])
    if out["answer_rankings"]:
        out["ranking_order"] = [a for a, _ in sorted(out["answer_rankings"].items(), key=lambda t: t[1])]
    if answer_ratings and None not in answer_ratings.values():
        best = max(answer_ratings.items(), key=lambda t: t[1])
        out["quality_comparison"] = {
            "best_rated_answer": best[0], "best_rating": best[1],
            "average_rating": sum(answer_ratings.values()) / len(answer_ratings),
            "rating_spread": max(answer_ratings.values()) - min(answer_ratings.values()),
            "consistency_check": {
                "best_answer_matches_best_rating": out["best_answer"] == best[0],
                "best_answer_matches_rank_1": out["best_answer"] in [a for a, r in out["answer_rankings"].items()
                                                                      if r == 1] if out["answer_rankings"] else False}}
    return out


def values_from_annotation_data(data: dict[str, Any], ids: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """labelloop values (in candidate ids, questions of ``rm_gallery_schema``) from one ``annotation_data``, and
    what has no labelloop question (e.g. rewardbench2's ``all_equal``)."""
    proc = _processed(data)
    values: dict[str, Any] = {}
    unmapped: dict[str, Any] = {}
    pref = proc.get("preference")
    if "ranking_result" in proc and pref is not None:  # rewardbench: a pairwise preference
        cid = _answer_id(pref, ids)
        values["preference"] = cid if cid is not None else {"tie": "tie", "neither": "both_bad"}.get(pref, pref)
    all_equal = False
    if "best_answer" in proc and proc.get("best_answer") is not None:  # rewardbench2: best of N
        cid = _answer_id(proc["best_answer"], ids)
        if cid is not None:
            values["best"] = cid
        elif proc["best_answer"] == "all_equal":  # every answer equally good: one tier, a tie
            all_equal = True
        else:
            unmapped["best_answer"] = proc["best_answer"]
    order = [_answer_id(a, ids) for a in proc.get("ranking_order") or []]
    ranks = proc.get("answer_rankings") if isinstance(proc.get("answer_rankings"), dict) else {}
    if order and None not in order and len(set(order)) == len(ids):
        # answers given the same rank number share that place (a tier)
        by_id = {_answer_id(a, ids): r for a, r in ranks.items()}
        places = sorted({by_id[c] for c in order}) if all(c in by_id for c in order) else None
        if places is not None and len(places) < len(order):
            values["ranking"] = [t[0] if len(t) == 1 else t
                                 for t in ([c for c in order if by_id[c] == p] for p in places)]
        else:
            values["ranking"] = order
        if all_equal:  # ranked as well as "all equal": the ranks stand, the choice is said
            unmapped["best_answer"] = "all_equal"
    elif order:
        unmapped["ranking_order"] = proc.get("ranking_order")
        if all_equal:
            unmapped["best_answer"] = "all_equal"
    elif all_equal and len(ids) > 1:
        values["ranking"] = [list(ids)]
    ratings = {_answer_id(a, ids): r for a, r in (proc.get("answer_ratings") or {}).items()}
    ratings = {cid: r for cid, r in ratings.items() if cid is not None and isinstance(r, (int, float))
               and not isinstance(r, bool) and r > 0}  # Label Studio's Rating is 0 when not set
    if ratings:
        values["rating"] = ratings
    if isinstance(proc.get("comments"), str) and proc["comments"].strip():
        values["comment"] = proc["comments"]
    def known(name: str) -> bool:
        per_answer = name.startswith("answer") and name.endswith(("_rating", "_rank"))
        return name in ("answer_ranking", "best_answer", "additional_comments") or (
            per_answer and name[6:].split("_")[0].isdigit())

    other = sorted(name for k in ("choices", "ratings", "text_areas") if isinstance(data.get(k), dict)
                   for name in data[k] if not known(name))
    if other:  # controls of a template labelloop does not know: said, not dropped
        unmapped["controls"] = other
    return values, unmapped


def annotation_data_from_values(values: dict[str, Any], ids: list[str]) -> dict[str, Any]:
    """One person's values as RM-Gallery's ``annotation_data``: the Label Studio results of its rewardbench
    template (a pairwise ``preference``) or rewardbench2 template (``best`` / ``ranking``), and the
    ``processed`` view its processor makes of them."""
    name = {cid: f"answer_{i + 1}" for i, cid in enumerate(ids)}
    choices: dict[str, Any] = {}
    ratings: dict[str, Any] = {}
    texts: dict[str, Any] = {}
    raw: list[dict[str, Any]] = []

    def result(control: str, kind: str, value: dict[str, Any]) -> None:
        raw.append({"from_name": control, "to_name": "output_dialogue", "type": kind, "value": value})

    for cid, r in (values.get("rating") or {}).items():
        if cid in name and r is not None:
            control = f"answer{ids.index(cid) + 1}_rating"
            ratings[control] = {"rating": r, "type": "rating"}
            result(control, "rating", {"rating": r})
    comment = values.get("comment")
    if isinstance(comment, str) and comment:
        texts["additional_comments"] = {"text": comment, "type": "textarea"}
        result("additional_comments", "textarea", {"text": [comment]})
    pref = values.get("preference")
    if pref is not None and len(ids) == 2:
        picked = {ids[0]: "1>2", ids[1]: "2>1", "tie": "All answers are of equal quality",
                  "both_bad": "Neither"}.get(pref)
        if picked is not None:
            choices["answer_ranking"] = {"choices": [picked], "type": "choices"}
            result("answer_ranking", "choices", {"choices": [picked]})
    ranking = values.get("ranking")
    tiers = ranking_tiers(ranking)
    if values.get("best") in name:
        choices["best_answer"] = {"choices": [name[values["best"]]], "type": "choices"}
        result("best_answer", "choices", {"choices": [name[values["best"]]]})
    elif len(tiers) == 1 and len(tiers[0]) == len(ids) > 1:  # one tier of every answer: RM-Gallery's all_equal
        choices["best_answer"] = {"choices": ["all_equal"], "type": "choices"}
        result("best_answer", "choices", {"choices": ["all_equal"]})
        tiers = []
    if tiers and all(x in name for t in tiers for x in t):
        for k, tier in enumerate(tiers, 1):  # a tier's answers share its rank number
            for cid in tier:
                control = f"answer{ids.index(cid) + 1}_rank"
                choices[control] = {"choices": [str(k)], "type": "choices"}
                result(control, "choices", {"choices": [str(k)]})
    data: dict[str, Any] = {"ratings": ratings, "choices": choices, "text_areas": texts, "raw_results": raw}
    data["processed"] = _processed(data)
    return data


def _annotation_labels(sample: DataSample) -> dict[str, Any]:
    """What every answer's label carries of the people's annotations: RM-Gallery's ``annotation_data`` (the
    first person's; an annotation read from RM-Gallery keeps its own, unchanged, when its values are), and
    ``labelloop_annotations`` with everyone's when there are several."""
    ids = [c.id for c in sample.candidates]
    people = []
    for a in sample.annotations:
        if a.kind != "human" or a.status != "submitted":
            continue
        own = (a.metadata.get("rm_gallery") or {}) if isinstance(a.metadata.get("rm_gallery"), dict) else {}
        data = own.get("annotation_data")
        if not (isinstance(data, dict) and values_from_annotation_data(data, ids)[0] == a.values):
            data = annotation_data_from_values(a.values, ids)
        people.append({"annotator": a.annotator, "annotation_data": data,
                       "annotation_status": own.get("annotation_status") or "completed"})
    if not people:
        return {}
    out: dict[str, Any] = {"annotation_data": people[0]["annotation_data"],
                           "annotation_status": people[0]["annotation_status"]}
    if len(people) > 1 or not people[0]["annotator"].startswith("rm_gallery"):
        out[PEOPLE_KEY] = people
    return out


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

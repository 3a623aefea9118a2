"""Label Studio JSON files, read and written without a server.

This module is everything about Label Studio's task JSON: how a sample becomes a task (data plus
``predictions``), and how a task's ``annotations`` and ``predictions`` become labelloop
annotations. ``annotate/labelstudio/project.py`` (talking to a running Label Studio) imports the
same mapping, so a file and a server give the same values.

Reading (``--format labelstudio``): Label Studio's JSON export, a list of tasks
``{id, data, annotations: [{id, completed_by, result, was_cancelled, ground_truth, lead_time,
created_at, updated_at, ...}], predictions}`` from any project config. Annotations become ``human``
annotations (``ground_truth`` kept in metadata), whole predictions ``{model_version, score, result}``
(the tasks API's and import files' shape) ``prediction`` annotations. Label Studio's export (1.17 and
1.23) lists predictions by id only: a task labelloop wrote gets them back from its data, any other
keeps the ids in ``metadata["labelstudio"]["prediction_ids"]``. Two ways to map results:

- With a labelloop template (a project made by labelloop: task data carries ``labelloop_id`` and
  ``labelloop_order``; the template comes from the ``template`` option or a label config file
  beside the export, ``<stem>.label_config.xml`` or ``label_config.xml``), values are the
  template's, in candidate ids, exactly as a pull from the server gives them.
- Otherwise the questions are inferred from the results themselves (the whole file is read
  first): ``choices`` (single or multiple by what annotators picked), ``rating``, ``number``,
  ``textarea``, ``ranker``, ``pairwise`` (left/right as the first/second candidate) and
  ``labels`` / ``hypertextlabels`` (spans, JavaScript offsets turned into Python ones). A control
  named ``q_A`` on ``answer_A`` is the per-candidate question ``q``. The prompt is the first of
  ``prompt``, ``text``, ``question``, ``instruction``, ``input``, ``query`` in the data;
  candidates are ``answer_A``.., ``answer1``.., ``response1``.., ``text1``.. keys (ids from
  ``labelloop_order`` when present, else the key names); other data keys stay in metadata.

Writing: one JSON list of tasks for Label Studio's import, ``prediction`` annotations as
predictions, and a ``<stem>.label_config.xml`` to create the project with. Each task is split as a push
splits it (``hidden_payload``): its ``data`` (what annotators see, the Data Manager's columns) has the
sample's id, prompt turns, candidate ids and text and metadata in ``labelloop_sample``; its ``meta``
(which Label Studio stores on import and returns in its export, but shows nowhere) has the candidates'
models, the dataset's name, the labels not written as the task's own annotations, and who made the
predictions and annotations it has (``labelloop_annotations``: Label Studio credits imported annotations
to the importing user). Reading the file back, or Label Studio's export after import, joins the two and
rebuilds the dataset; files written before the split (all in ``data``) read as before. Human, reference and
aggregate labels are written as ``annotations`` only with ``annotations=True``; otherwise they travel in
the meta only.

Task files with any data keys read too: a task without ids (Label Studio's own pre-annotation files,
``{"data": {"review": ...}, "predictions": [...]}``) gets an id from its text (a repeated text ``-2``,
``-3``), and its first text value is the prompt when no usual prompt key is there.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from labelloop.data.io import atomic_open
from labelloop.data.model import Annotation, Candidate, DataSample, Dataset, Message, content_id
from labelloop.data.positions import candidate_order, position_index, position_label
from labelloop.data.schema import AnnotationSchema
from labelloop.errors import InputFileError, LabelloopError, RowError
from labelloop.formats.base import Format, register
from labelloop.formats.labelstudio.config import (
    HTML_PREFIX,
    ID_KEY,
    META_RE,
    ORDER_KEY,
    LabelStudioTemplate,
    get_template,
    template_for,
    template_from_config,
)
from labelloop.formats.labelstudio.results import InferredMapping, ResultValues, split_name

ORIGIN = "labelstudio"
REVIEW_KEYS = ("last_action", "reviews", "review_state", "review_status", "is_reviewed")
SAMPLE_KEY = "labelloop_sample"
AUTHORS_KEY = "labelloop_annotations"
ACCEPTED_KEY = "accepted_prediction"  # an annotation that is a model's prediction nobody changed
PROMPT_KEYS = ("prompt", "text", "question", "instruction", "input", "query")
CAND_RE = re.compile(r"^(?:answer_([A-Z]{1,3})|(?:answer|response|text|completion|output)_?(\d+))$")


# ---------------------------------------------------------------------- the shared mapping
def sample_payload(sample: DataSample, dataset: Dataset | None = None, *, annotations: bool = True) -> dict[str, Any]:
    """Everything needed to rebuild the sample exactly, whoever pulls and from wherever: prompt turns, candidates
    (text, model, metadata), metadata (a subset, a source) and (``annotations``) the annotations it was pushed with
    (reference labels, predictions); with ``dataset``, that dataset's name and metadata too."""
    out: dict[str, Any] = {"id": sample.id, "prompt": [m.model_dump(mode="json") for m in sample.prompt],
                           "candidates": [{"id": c.id, "content": c.content, "model": c.model,
                                           "metadata": c.metadata} for c in sample.candidates],
                           "metadata": sample.metadata}
    if annotations:
        out["annotations"] = [a.model_dump(mode="json") for a in sample.annotations]
    if dataset is not None:
        out["dataset"] = {"name": dataset.name, "metadata": dataset.metadata}
    return out


def hidden_payload(sample: DataSample, dataset: Dataset | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """``sample_payload`` split in two for a task on a server: what the task shows (prompt turns, candidate ids
    and text, metadata) for ``data``, and what annotators must not see (the annotations it was pushed with:
    reference labels, predictions; the candidates' models and metadata; the dataset) for the task's ``meta``,
    which Label Studio stores and returns in its export and tasks API but shows in no Data Manager column."""
    shown: dict[str, Any] = {"id": sample.id, "prompt": [m.model_dump(mode="json") for m in sample.prompt],
                             "candidates": [{"id": c.id, "content": c.content} for c in sample.candidates],
                             "metadata": sample.metadata}
    hidden: dict[str, Any] = {"candidates": [{"id": c.id, "model": c.model, "metadata": c.metadata}
                                             for c in sample.candidates],
                              "annotations": [a.model_dump(mode="json") for a in sample.annotations]}
    if dataset is not None:
        hidden["dataset"] = {"name": dataset.name, "metadata": dataset.metadata}
    return shown, hidden


def task_payload(task: dict[str, Any]) -> dict[str, Any] | None:
    """A task's whole ``labelloop_sample``: the part in its data joined with the part in its ``meta`` (see
    ``hidden_payload``; an older task has it all in its data), or None when the data carries none."""
    shown = (task.get("data") or {}).get(SAMPLE_KEY)
    if not isinstance(shown, dict):
        return None
    hidden = task.get("meta")
    hidden = hidden.get(SAMPLE_KEY) if isinstance(hidden, dict) else None
    if not isinstance(hidden, dict):
        return shown
    extra = {str(c.get("id")): c for c in hidden.get("candidates") or [] if isinstance(c, dict)}
    cands = [{**c, **{k: v for k, v in extra.get(str(c.get("id")), {}).items() if k != "id"}}
             for c in shown.get("candidates") or [] if isinstance(c, dict)]
    return {**shown, **{k: v for k, v in hidden.items() if k != "candidates"}, "candidates": cands}


def sample_from_payload(payload: dict[str, Any], data: dict[str, Any]) -> DataSample:
    """The sample a task's ``labelloop_sample`` describes (candidate text from the task data when an older
    payload has none)."""
    order = [str(c) for c in data.get(ORDER_KEY) or []]
    texts = {cid: str(data.get(f"answer_{position_label(i)}", "")) for i, cid in enumerate(order)}
    cands = [Candidate(id=str(c["id"]), content=str(c["content"]) if "content" in c else texts.get(str(c["id"]), ""),
                       model=c.get("model"), metadata=c.get("metadata") or {})
             for c in payload.get("candidates") or []]
    return DataSample(id=str(payload.get("id", data.get(ID_KEY))),
                      prompt=[Message(**m) for m in payload.get("prompt") or []], candidates=cands,
                      metadata=dict(payload.get("metadata") or {}),
                      annotations=[Annotation.model_validate(a) for a in payload.get("annotations") or []])


def sample_task(tpl: LabelStudioTemplate, sample: DataSample, order: Sequence[str], n: int, context: bool,
                *, dataset: Dataset | None = None, annotations: bool = True, meta: bool = False) -> tuple[
                    dict[str, Any], int]:
    """One Label Studio task (data and predictions) for a sample; returns the task and its prediction count. The
    task carries the whole sample in ``labelloop_sample`` (see ``sample_payload``): all in its data, or with
    ``meta`` (a task pushed to a server) what annotators must not see in the task's ``meta`` (``hidden_payload``)."""
    data = tpl.task_data(sample, order, n, context=context)
    hidden: dict[str, Any] | None = None
    if meta:
        data[SAMPLE_KEY], hidden = hidden_payload(sample, dataset)
    else:
        data[SAMPLE_KEY] = sample_payload(sample, dataset, annotations=annotations)
    preds = []
    for ann in sample.annotations:
        if ann.kind != "prediction":
            continue
        pred: dict[str, Any] = {"model_version": ann.model_version or ann.annotator,
                                "result": tpl.to_result(ann.values, data)}
        if ann.score is not None:
            pred["score"] = ann.score
        preds.append(pred)
    task: dict[str, Any] = {"data": data}
    if hidden is not None:
        task["meta"] = {SAMPLE_KEY: hidden}
    if preds:
        task["predictions"] = preds
    return task, len(preds)


def _who(raw: dict[str, Any], emails: dict[int, str]) -> str:
    who = raw.get("completed_by")
    if isinstance(who, dict):
        return who.get("email") or emails.get(int(who.get("id", -1))) or f"user:{who.get('id')}"
    email = emails.get(int(who)) if who is not None else None
    return email or f"user:{who}"


def to_annotation(raw: dict[str, Any], task: dict[str, Any], tpl: LabelStudioTemplate, url: str, project_id: int,
                  emails: dict[int, str], *, values: dict[str, Any] | None = None) -> Annotation:
    """One Label Studio annotation as a ``human`` Annotation in candidate ids."""
    cancelled = bool(raw.get("was_cancelled"))
    if values is None:
        values = {} if cancelled else tpl.process_annotations(raw.get("result") or [], task.get("data") or {})
    elif cancelled:
        values = {}
    unmapped = values.unmapped if isinstance(values, ResultValues) else None
    values = dict(values)
    meta: dict[str, Any] = {"url": url, "project_id": project_id, "task_id": int(task["id"]),
                            "annotation_id": int(raw["id"]), "updated_at": raw.get("updated_at")}
    if raw.get("ground_truth"):
        meta["ground_truth"] = True
    review = {k: raw[k] for k in REVIEW_KEYS if raw.get(k) not in (None, [], {})}
    if review:
        meta["review"] = review
    if unmapped:
        meta["unmapped_results"] = unmapped
    if cancelled and raw.get("result"):
        meta["result_when_skipped"] = raw["result"]
    lead = raw.get("lead_time")
    extra: dict[str, Any] = {}
    order = (task.get("data") or {}).get(ORDER_KEY)
    if isinstance(order, list):  # the screen order, where the offline annotator keeps it too (review reads it)
        extra["order"] = [str(c) for c in order]
    return Annotation(
        annotator=_who(raw, emails), kind="human", values=values, status="skipped" if cancelled else "submitted",
        created_at=raw.get("created_at"), updated_at=raw.get("updated_at"),
        lead_time_s=float(lead) if lead is not None else None, origin=ORIGIN,
        metadata={"labelstudio": meta, **extra},
    )


def prediction_to_annotation(raw: dict[str, Any], values: dict[str, Any]) -> Annotation:
    """One Label Studio prediction as a ``prediction`` Annotation."""
    unmapped = values.unmapped if isinstance(values, ResultValues) else None
    values = dict(values)
    version = raw.get("model_version") or "labelstudio-prediction"
    meta: dict[str, Any] = {k: raw[k] for k in ("id", "task", "project") if raw.get(k) is not None}
    if unmapped:
        meta["unmapped_results"] = unmapped
    score = raw.get("score")
    return Annotation(annotator=str(version), kind="prediction", values=values, model_version=str(version),
                      score=float(score) if score is not None else None, created_at=raw.get("created_at"),
                      updated_at=raw.get("updated_at"), origin=ORIGIN,
                      metadata={"labelstudio": meta} if meta else {})


def unmapped_question(item: Any) -> str:
    """The question a result item that fits no control was meant to answer: ``best``, ``rating`` for
    ``rating_E`` on ``answer_E``, the control's name otherwise."""
    if not isinstance(item, dict):
        return "?"
    name, _ = split_name(str(item.get("from_name", "")), str(item.get("to_name", "")))
    return re.sub(r"__prompt$", "", name) or "?"


def unmapped_text(item: Any) -> str:
    """A result item that fits no control, short: ``best = Answer F``."""
    if not isinstance(item, dict):
        return repr(item)[:80]
    value = item.get("value") or {}
    shown = next((value[k] for k in (str(item.get("type", "")).lower(), "choices", "rating", "number", "text",
                                     "labels", "ranker", "selected") if isinstance(value, dict) and k in value), value)
    if isinstance(shown, list) and len(shown) == 1:
        shown = shown[0]
    return f"{item.get('from_name', '?')} = {json.dumps(shown, ensure_ascii=False)[:80]}"


def accepted_prediction(values: dict[str, Any], prediction: dict[str, Any], prediction_values: dict[str, Any]) -> (
        dict[str, Any] | None):
    """``{"prediction_id", "model_version"}`` when an annotation's values are exactly those of the prediction
    Label Studio made it from (nobody changed anything), else None."""
    same = dict(values) == dict(prediction_values) and len(getattr(values, "unmapped", [])) == len(
        getattr(prediction_values, "unmapped", []))
    if not same:
        return None
    return {"prediction_id": int(prediction["id"]), "model_version": prediction.get("model_version")}


def _candidate_keys(data: dict[str, Any]) -> list[str]:
    """The data keys that hold candidates in a task another project made, in screen order."""
    keys = [k for k in data if CAND_RE.match(k) and isinstance(data[k], str)]

    def sort_key(k: str) -> tuple[int, int]:
        m = CAND_RE.match(k)
        assert m is not None
        return (0, position_index(m.group(1)) or 0) if m.group(1) else (1, int(m.group(2)))

    return sorted(keys, key=sort_key)


def task_sample(data: dict[str, Any], task_id: Any, text_keys: Sequence[str] = ()) -> tuple[
        DataSample, list[str], dict[str, str]]:
    """The sample a task of a project labelloop did not make shows, its screen order, and which data key is which
    labelloop field. ``text_keys``: the data keys the project's label config shows (``$text``, ``$review``), in
    its order; the first that is not a candidate is the prompt (else the first of ``prompt``, ``text``, …)."""
    order = [str(c) for c in data.get(ORDER_KEY) or []]
    shown = [k for k in text_keys if isinstance(data.get(k), str)]
    keys = _candidate_keys({k: data[k] for k in shown} if shown else data)
    if order and len(order) <= len(keys):
        ids = order
        keys = [f"answer_{position_label(i)}" for i in range(len(order))]
    else:
        ids = keys
        order = list(keys)
    cands = [Candidate(id=cid, content=str(data[k])) for cid, k in zip(ids, keys)]
    ours = {ID_KEY, ORDER_KEY, AUTHORS_KEY, SAMPLE_KEY}
    pkey = next((k for k in shown if k not in keys), None) or next(
        (k for k in PROMPT_KEYS if isinstance(data.get(k), str)), None) or next(
        (k for k, v in data.items() if isinstance(v, str) and k not in keys and k not in ours), None)
    prompt = [Message(role="user", content=str(data[pkey]))] if pkey else []
    used = set(keys) | {pkey} | ours
    if ORDER_KEY in data:  # a task labelloop made: what only renders the text (its HTML, the context) is no data
        used |= {k for k in data if k.startswith(HTML_PREFIX) and k[len(HTML_PREFIX):] in data}
        used |= {"context", "context_title"}
    meta = {k: v for k, v in data.items() if k not in used}
    sid = data.get(ID_KEY) or (f"labelstudio-task-{task_id}" if task_id is not None else None)
    if sid is None:
        sid = content_id(prompt, cands)
    fields = {k: f"candidates.{cid}" for k, cid in zip(keys, ids)}
    if pkey:
        fields[pkey] = "prompt"
    fields.update({k: f"metadata.{k}" for k, v in meta.items() if isinstance(v, str)})
    return DataSample(id=str(sid), prompt=prompt, candidates=cands, metadata=meta), order, fields


# ---------------------------------------------------------------------- the format
@register
class LabelStudioFormat(Format):
    name = "labelstudio"
    description = "Label Studio JSON export (tasks with annotations and predictions) and task files for import"
    required = ("data",)
    can_write = True
    priority = 30

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.template: LabelStudioTemplate | None = None
        tpl = options.get("template")
        if isinstance(tpl, LabelStudioTemplate):
            self.template = tpl
        elif tpl:
            self.template = get_template(tpl)
        if options.get("label_config"):
            self.template = self._config_template(Path(options["label_config"]))
        self.inferred = InferredMapping()
        self.seen: dict[str, int] = {}  # ids made from content: a second task with the same text gets "-2"
        self.emails: dict[int, str] = {int(k): v for k, v in (options.get("users") or {}).items()}

    # reading -------------------------------------------------------------------------
    def detect(self, columns: set[str], first: dict[str, Any] | None) -> bool:
        data = (first or {}).get("data")
        return isinstance(data, dict) and bool({"annotations", "predictions"} & columns
                                               or {SAMPLE_KEY, ORDER_KEY} & set(data))

    @staticmethod
    def _config_template(path: Path) -> LabelStudioTemplate:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise InputFileError(f"Cannot read the label config {path}: {exc}.") from None
        tpl = template_from_config(text)
        if tpl is None:
            raise InputFileError(f"Label config {path} was not made by labelloop (it has no labelloop comment).")
        return tpl

    def begin(self, source: Any) -> None:
        if self.template is None and source.description and not source.description.startswith("hf:"):
            p = Path(source.description)
            for cand in (p.with_name(p.stem + ".label_config.xml"), p.with_name("label_config.xml")):
                if cand.is_file() and META_RE.search(cand.read_text(encoding="utf-8")):
                    self.template = self._config_template(cand)
                    break
        doc = source.extra.get("document") or _whole_file(source.description)
        tasks = doc if isinstance(doc, list) else None
        if tasks is None and isinstance(doc, dict):
            tasks = next((doc[k] for k in ("tasks", "data") if isinstance(doc.get(k), list)), None)
        for task in tasks or []:
            if isinstance(task, dict):
                for group in ("annotations", "predictions"):
                    for ann in task.get(group) or []:
                        for item in (ann.get("result") or []) if isinstance(ann, dict) else []:
                            if isinstance(item, dict):
                                self.inferred.observe(item)

    def schema(self) -> AnnotationSchema | None:
        if self.template is not None:
            return self.template.schema
        return self.inferred.schema() if self.inferred.seen else None

    def to_samples(self, row: dict[str, Any]) -> Iterable[DataSample]:
        data = row.get("data")
        if not isinstance(data, dict):
            raise RowError("field 'data' is not an object")
        task_id = row.get("id")
        meta = row.get("meta") if isinstance(row.get("meta"), dict) else {}
        sample, order, fields = self._sample(data, task_id, meta)
        if ORDER_KEY not in data and ID_KEY not in data and task_id is None:
            k = self.seen[sample.id] = self.seen.get(sample.id, 0) + 1
            if k > 1:
                sample.id = f"{sample.id}-{k}"
        stored = list(sample.annotations)  # carried in the payload (its meta): not in the task's own lists
        project = int(row["project"]) if isinstance(row.get("project"), int) else -1
        use_tpl = self.template is not None and ORDER_KEY in data
        got: list[Annotation] = []
        for raw in sorted((p for p in row.get("predictions") or [] if isinstance(p, dict)),
                          key=lambda p: (p.get("id") is None, p.get("id") or 0)):
            values = self._values(raw.get("result") or [], data, order, fields, use_tpl)
            got.append(prediction_to_annotation(raw, values))
        authors = meta.get(AUTHORS_KEY) if isinstance(meta.get(AUTHORS_KEY), dict) else data.get(AUTHORS_KEY)
        authors = authors if isinstance(authors, dict) else {}
        preds = authors.get("predictions") or []
        if len(preds) == len(got):
            got = [_with_author(a, p, through_server=False) for a, p in zip(got, preds)]
        elif not got and preds and all(isinstance(p, dict) and "values" in p for p in preds):
            # Label Studio's export lists predictions by id only; the task keeps what labelloop wrote
            got = [Annotation.model_validate(p) for p in preds]
        pushed = {(a.model_version, json.dumps(a.values, sort_keys=True)) for a in stored if a.kind == "prediction"}
        sample.annotations = stored + [a for a in got if (a.model_version, json.dumps(
            a.values, sort_keys=True)) not in pushed]  # a pushed task's pre-labels are its payload's predictions
        ids = [p for p in row.get("predictions") or [] if not isinstance(p, dict)]
        if ids and not sample.annotations:
            sample.metadata.setdefault("labelstudio", {})["prediction_ids"] = ids
        authors = authors.get("annotations") or []
        anns = [a for a in row.get("annotations") or [] if isinstance(a, dict)]
        for k, raw in enumerate(sorted(anns, key=lambda a: (a.get("id") is None, a.get("id") or 0))):
            values = self._values(raw.get("result") or [], data, order, fields, use_tpl)
            raw = raw if raw.get("id") is not None else {**raw, "id": -(k + 1)}
            task = {"id": task_id if task_id is not None else -1, "data": data}
            ann = to_annotation(raw, task, self.template or _NO_TEMPLATE, "", project, self.emails, values=values)
            if k < len(authors) and isinstance(authors[k], dict) and len(authors) == len(anns):
                ann = _with_author(ann, authors[k], through_server=raw["id"] > 0)
            sample.annotations.append(ann)
        return [sample]

    def _values(self, result: list[dict[str, Any]], data: dict[str, Any], order: list[str], fields: dict[str, str],
                use_tpl: bool) -> dict[str, Any]:
        if use_tpl:
            assert self.template is not None
            return self.template.process_annotations(result, data)
        return self.inferred.values(result, data, order, fields)

    def _sample(self, data: dict[str, Any], task_id: Any, meta: Any = None) -> tuple[
            DataSample, list[str], dict[str, str]]:
        """The sample a task shows, its screen order, and which data key is which labelloop field."""
        stored = task_payload({"data": data, "meta": meta})
        order = [str(c) for c in data.get(ORDER_KEY) or []]
        if isinstance(stored, dict):
            # the payload's annotations are those the task's own lists do not carry: a task file's reference and
            # human labels written without annotations=True, a pushed task's labels from push time
            sample = sample_from_payload(stored, data)
            fields = {"prompt": "prompt", **{f"answer_{position_label(i)}": f"candidates.{cid}"
                                             for i, cid in enumerate(order)}}
            return sample, order, fields
        return task_sample(data, task_id)

    # writing -------------------------------------------------------------------------
    def write(self, dataset: Dataset, path: Path) -> int:
        """Tasks for Label Studio's import, and beside them the label config to create the project with."""
        if not dataset.samples:
            raise LabelloopError(f"Dataset {dataset.name!r} has no samples to write as Label Studio tasks.")
        dataset.check_unique_ids()
        tpl = self.template or template_for(dataset)
        seed = int(self.options.get("seed") or 0)
        shuffle = bool(self.options.get("shuffle", True))
        with_annotations = bool(self.options.get("annotations", False))
        n = max(max(len(s.candidates) for s in dataset.samples), 1)
        context = any(len(s.prompt) > 1 for s in dataset.samples)
        uniform = len({len(s.candidates) for s in dataset.samples}) == 1
        tasks = []
        for s in dataset.samples:
            task, _ = sample_task(tpl, s, candidate_order(s, seed, shuffle), n, context, dataset=dataset, meta=True)
            done = [a for a in s.annotations if a.kind != "prediction"] if with_annotations else []
            if done:
                task["annotations"] = [_annotation_out(tpl, a, task["data"]) for a in done]
            # what annotators must not see goes to the task's meta, as a push puts it: the models, the dataset,
            # the labels not written as the task's own annotations or predictions, and who made those that are
            hidden = task["meta"][SAMPLE_KEY]
            hidden["annotations"] = [] if with_annotations else [
                a.model_dump(mode="json") for a in s.annotations if a.kind != "prediction"]
            authors = {"predictions": [a.model_dump(mode="json") for a in s.annotations if a.kind == "prediction"],
                       "annotations": [_author(a) for a in done]}
            if authors["predictions"] or authors["annotations"]:
                task["meta"][AUTHORS_KEY] = authors
            tasks.append(task)
        path = Path(path)
        with atomic_open(path) as fh:
            json.dump(tasks, fh, ensure_ascii=False, indent=1)
        with atomic_open(path.with_name(path.stem + ".label_config.xml")) as fh:
            fh.write(tpl.label_config(n, context=context, uniform=uniform))
        return len(tasks)


def _whole_file(desc: str | None) -> Any:
    """The tasks of a JSON / JSONL export, read once more in full to infer its questions from every result."""
    p = Path(desc or "")
    if not p.is_file() or p.suffix.lower() not in (".json", ".jsonl", ".ndjson"):
        return None
    try:
        text = p.read_text(encoding="utf-8")
        if p.suffix.lower() == ".json":
            return json.loads(text)
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None  # the row reader reports the problem with its line


class _NoTemplate(LabelStudioTemplate):
    name = "none"

    def default_schema(self) -> AnnotationSchema:
        return AnnotationSchema(name="none")


_NO_TEMPLATE = _NoTemplate()


def _author(a: Annotation) -> dict[str, Any]:
    return a.model_dump(mode="json", exclude={"values"})


def _with_author(ann: Annotation, author: dict[str, Any], through_server: bool) -> Annotation:
    """An annotation read from our own task file gets back its author, kind and metadata."""
    fields = {k: v for k, v in author.items() if k in Annotation.model_fields and k not in ("values", "metadata")}
    # values come from the result Label Studio holds (a person may have edited the pre-label there)
    meta = dict(author.get("metadata") or {})
    if through_server:
        meta["labelstudio"] = ann.metadata.get("labelstudio", {})
    return Annotation.model_validate({**ann.model_dump(), **fields, "metadata": meta})


def _annotation_out(tpl: LabelStudioTemplate, a: Annotation, data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"result": tpl.to_result(a.values, data), "was_cancelled": a.status == "skipped",
                           "ground_truth": a.kind in ("reference", "aggregate")}
    if a.lead_time_s is not None:
        out["lead_time"] = a.lead_time_s
    return out


def read_export(path: str | Path, **options: Any) -> Dataset:
    """A Label Studio JSON export as a dataset (``template=``, ``label_config=``, ``users={id: email}``)."""
    from labelloop.formats import load

    return load(path, format="labelstudio", options=options)


__all__ = ["LabelStudioFormat", "sample_task", "hidden_payload", "task_payload", "to_annotation",
           "prediction_to_annotation", "read_export", "ORIGIN", "REVIEW_KEYS", "SAMPLE_KEY"]

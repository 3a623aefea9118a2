"""The ``labelbox`` format: data rows (conversational JSON) read and written, with the annotation files, ontology
and sidecar beside them."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from labelloop.data.io import atomic_open
from labelloop.data.model import Annotation, Candidate, DataSample, Dataset, Message, content_id
from labelloop.data.schema import AnnotationSchema
from labelloop.errors import FormatError, InputFileError, OutputError, RowError
from labelloop.formats.base import Format, _loads_if_json, register, scalar
from labelloop.formats.labelbox.ndjson import NDJSONReader, NDJSONWriter, export_lines, read_ndjson
from labelloop.formats.labelbox.ontology import (
    DEFAULT_TITLE,
    candidate_titles,
    default_title,
    last_user,
    message_ids,
    ontology_from_lines,
    schema_from_ontology,
    write_ontology,
)

CONVERSATIONAL = "application/vnd.labelbox.conversational"
UUID_NS = uuid.UUID("6f0f3c1e-5a8e-4a36-9d2c-1f0a9b3c7d10")
GT_KINDS = ("human", "aggregate", "reference")
ROLE_NAMES = {"user": "User", "assistant": "Assistant", "system": "System"}


# ---------------------------------------------------------------------- data rows
def row_data(sample: DataSample) -> dict[str, Any]:
    """A sample as Labelbox conversational JSON: the prompt as messages, the candidates as model outputs."""
    ids = message_ids(sample)
    labelled = last_user(sample)
    stored = (sample.metadata.get("labelbox") or {}).get("messages")
    kept = stored if isinstance(stored, list) and len(stored) == len(sample.prompt) else None
    messages = []
    for i, m in enumerate(sample.prompt):
        extra = kept[i] if kept is not None and isinstance(kept[i], dict) else _message_defaults(m.role, i == labelled)
        messages.append({"messageId": ids[i], **({"timestampUsec": extra["timestampUsec"]}
                                                  if "timestampUsec" in extra else {}),
                         "content": m.content, **{k: v for k, v in extra.items() if k != "timestampUsec"}})
    titles = candidate_titles(sample)
    outputs = [{"title": titles[c.id], "content": c.content, "modelConfigName": c.model or ""}
               for c in sample.candidates]
    return {"type": CONVERSATIONAL, "version": 1, "messages": messages, "modelOutputs": outputs}


def _message_defaults(role: str, labelled: bool) -> dict[str, Any]:
    """What labelloop writes beside a message's id and content when the source said nothing else."""
    return {"user": {"userId": role, "name": ROLE_NAMES.get(role, role)},
            "align": "right" if role == "user" else "left", "canLabel": labelled}


def _role(user: Any) -> str:
    text = ""
    if isinstance(user, dict):
        text = str(user.get("userId") or user.get("name") or "")
    elif user is not None:
        text = str(user)
    low = text.strip().lower()
    if low in ("user", "human") or low.startswith(("user", "human", "customer")):
        return "user"
    if low.startswith("system"):
        return "system"
    return "assistant"


def sample_from_row(data: dict[str, Any], global_key: str | None) -> DataSample:
    messages = data.get("messages") or []
    if not isinstance(messages, list):
        raise RowError("'messages' is not a list")
    prompt, ids = [], []
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or "content" not in m:
            raise RowError(f"message {i} has no 'content'")
        prompt.append(Message(role=_role(m.get("user")), content=str(m["content"])))
        ids.append(str(m.get("messageId", f"message-{i}")))
    cands = []
    for i, o in enumerate(data.get("modelOutputs") or []):
        if not isinstance(o, dict) or "content" not in o:
            raise RowError(f"model output {i} has no 'content'")
        title = str(o.get("title") or default_title(i))
        meta = {} if title == default_title(i) else {"labelbox_title": title}
        cands.append(Candidate(id=str(i), content=str(o["content"]), model=o.get("modelConfigName") or None,
                               metadata=meta))
    meta: dict[str, Any] = {}
    lb: dict[str, Any] = {}
    if ids != [f"message-{i}" for i in range(len(ids))]:
        lb["message_ids"] = ids
    labelled = max((i for i, m in enumerate(prompt) if m.role == "user"), default=len(prompt) - 1)
    extras = [{k: v for k, v in m.items() if k not in ("messageId", "content")} for m in messages]
    if extras != [_message_defaults(m.role, i == labelled) for i, m in enumerate(prompt)]:
        lb["messages"] = extras  # timestampUsec, the user's id and name, align, canLabel: written back as they were
    if lb:
        meta["labelbox"] = lb
    sid = global_key if global_key else content_id(prompt, cands)
    return DataSample(id=str(sid), prompt=prompt, candidates=cands, metadata=meta)


# ---------------------------------------------------------------------- the format
def _siblings(path: Path) -> dict[str, Any]:
    stem = path.stem
    def order(p: Path) -> tuple[str, int]:  # lb.labels, lb.labels-2, … lb.labels-10 in round order
        m = re.match(r"^(.*?)(?:-(\d+))?\.ndjson$", p.name)
        return (m.group(1), int(m.group(2) or 1)) if m else (p.name, 0)

    found: dict[str, Any] = {"ndjson": sorted((p for p in path.parent.glob(f"{stem}.*.ndjson") if p != path),
                                              key=order)}
    for key, name in (("ontology", f"{stem}.ontology.json"), ("sidecar", f"{stem}.labelloop.json")):
        p = path.with_name(name)
        found[key] = p if p.is_file() else None
    return found


def _scopes(lines: list[dict[str, Any]], titles: set[str]) -> dict[str, str]:
    """Where each message-scoped feature's answers point: ``candidate`` when any names a model output, else
    ``prompt`` (a question about the conversation's labelled message, not about each answer)."""
    out: dict[str, str] = {}
    for line in lines:
        mid, name = line.get("messageId"), line.get("name")
        if mid is None or name is None or "location" in line:
            continue
        kind = "candidate" if str(mid) in titles or DEFAULT_TITLE.match(str(mid)) else "prompt"
        if out.get(str(name)) != "candidate":
            out[str(name)] = kind
    return out


def _scan_rows(path: Path) -> tuple[set[str], list[dict[str, Any]]]:
    """The titles and ``modelConfigName`` of every model output in a data rows file (JSONL, or a JSON list):
    the names a radio option or a ``messageId`` may give a candidate by; and the labels of a project export's
    rows as NDJSON lines. Unreadable rows are left to the reader to report."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return set(), []
    rows: list[Any] = []
    if text.lstrip().startswith("["):
        try:
            rows = json.loads(text)
        except json.JSONDecodeError:
            rows = []
    else:
        for line in text.splitlines():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    names: set[str] = set()
    lines: list[dict[str, Any]] = []
    for row in rows if isinstance(rows, list) else []:
        if not isinstance(row, dict):
            continue
        for project in (row.get("projects") or {}).values() if isinstance(row.get("projects"), dict) else []:
            for label in (project.get("labels") or []) if isinstance(project, dict) else []:
                try:
                    lines += export_lines((label or {}).get("annotations") or {}, str(path))
                except (FormatError, AttributeError):
                    continue
        row = row.get("data_row") if isinstance(row.get("data_row"), dict) else row
        data = _loads_if_json(row.get("row_data")) if "row_data" in row else row
        for o in (data.get("modelOutputs") or []) if isinstance(data, dict) else []:
            if isinstance(o, dict):
                names |= {str(o[k]) for k in ("title", "modelConfigName") if o.get(k)}
    return names, lines


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"Cannot read {path}: {exc}.") from None
    except json.JSONDecodeError as exc:
        raise FormatError(f"{path}:{exc.lineno}: malformed JSON ({exc.msg}).") from None


@register
class LabelboxFormat(Format):
    name = "labelbox"
    description = ("Labelbox conversational data rows (messages, modelOutputs) with NDJSON pre-labels (MAL) and "
                   "ground truth, and the ontology")
    can_write = True
    priority = 35

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._schema: AnnotationSchema | None = options.get("schema")
        self._files: list[tuple[Path, dict[str, list[tuple[dict[str, Any], str]]]]] = []
        self._sidecar: dict[str, Any] = {}

    # reading -------------------------------------------------------------------------
    def detect(self, columns: set[str], first: dict[str, Any] | None) -> bool:
        if {"row_data", "global_key"} <= columns or "data_row" in columns or "modelOutputs" in columns:
            return True
        msgs = (first or {}).get("messages")
        return isinstance(msgs, list) and bool(msgs) and isinstance(msgs[0], dict) and "messageId" in msgs[0]

    def required_columns(self) -> tuple[str, ...]:
        return ()

    def begin(self, source: Any) -> None:
        desc = str(source.description or "")
        path = Path(desc)
        if desc.startswith("hf:") or not path.is_file():
            return
        found = _siblings(path)
        if found["sidecar"] is not None:
            self._sidecar = _read_json(found["sidecar"]) or {}
            if self._schema is None and self._sidecar.get("schema"):
                self._schema = AnnotationSchema.model_validate(self._sidecar["schema"])
            if source.header is None:
                source.header = {"name": self._sidecar.get("name"), "metadata": self._sidecar.get("metadata") or {}}
        self._files = [(p, read_ndjson(p)) for p in found["ndjson"]]
        if self._schema is None:
            names, exported = _scan_rows(path)
            lines = [ln for _, groups in self._files for group in groups.values() for ln, _ in group] + exported
            if found["ontology"] is not None:
                ontology, where = _read_json(found["ontology"]), str(found["ontology"])
            elif lines:  # no ontology beside the files: the one their answers imply
                ontology, where = ontology_from_lines(lines), f"{path} (the ontology its labels imply)"
            else:
                return
            self._schema = schema_from_ontology(ontology, where, candidate_names=frozenset(names),
                                                scopes=_scopes(lines, names))

    def schema(self) -> AnnotationSchema | None:
        return self._schema


    def to_samples(self, row: dict[str, Any]) -> Iterable[DataSample]:
        projects = row.get("projects") if isinstance(row.get("data_row"), dict) else None
        if isinstance(row.get("data_row"), dict):  # Labelbox export shape
            row = row["data_row"]
        gk = scalar(row.get("global_key") or row.get("globalKey") or row.get("id"))
        data = _loads_if_json(row.get("row_data")) if "row_data" in row else row
        if isinstance(data, str):
            raise RowError(f"row_data of {gk!r} is {data[:80]!r}, a link labelloop cannot fetch; download the "
                           "conversational JSON and give it inline")
        if not isinstance(data, dict):
            raise RowError("row_data is not conversational JSON")
        sample = sample_from_row(data, str(gk) if gk is not None else None)
        stored = (self._sidecar.get("samples") or {}).get(sample.id)
        if isinstance(stored, dict):
            sample = _restore(sample, stored)
        sample.annotations = self.annotations_for(sample, str(gk) if gk is not None else sample.id)
        if isinstance(projects, dict):
            sample.annotations += self.exported_labels(sample, projects)
        return [sample]

    def exported_labels(self, sample: DataSample, projects: dict[str, Any]) -> list[Annotation]:
        """The labels of a project export row (``projects -> {id: {labels: [...]}}``): one ``human`` annotation
        per label, by its ``created_by``, with its times and the seconds it took."""
        reader = NDJSONReader(self._schema, sample)
        out = []
        for pid, project in projects.items():
            labels = project.get("labels") if isinstance(project, dict) else None
            for n, label in enumerate(labels or []):
                if not isinstance(label, dict):
                    raise RowError(f"projects.{pid}.labels[{n}] is not an object")
                where = f"data row {sample.id!r}, project {pid}, label {label.get('id', n)}"
                values = reader.values(export_lines(label.get("annotations") or {}, where), where)
                details = label.get("label_details") or {}
                perf = label.get("performance_details") or {}
                seconds = perf.get("seconds_to_create")
                meta = {"labelbox": {"project_id": str(pid), "label_id": label.get("id"),
                                     **({"project_name": project["name"]} if project.get("name") else {})}}
                ann = Annotation(annotator=str(details.get("created_by") or f"labelbox:{pid}"), kind="human",
                                 values=values, created_at=details.get("created_at"),
                                 updated_at=details.get("updated_at"),
                                 lead_time_s=float(seconds) if isinstance(seconds, (int, float)) else None,
                                 origin="labelbox", metadata=meta)
                out.append(_keep_other_lines(ann, reader.other_lines))
        return out

    def annotations_for(self, sample: DataSample, key: str) -> list[Annotation]:
        reader = NDJSONReader(self._schema, sample)
        authors = self._sidecar.get("annotations") or {}
        out: list[tuple[int, Annotation]] = []
        seen: set[str] = set()
        for path, groups in self._files:
            ref = f"{path.name}#{key}"
            seen.add(ref)
            lines = groups.get(key)
            author = authors.get(ref)
            if not lines and author is None:
                continue
            values = reader.values([ln for ln, _ in lines or []], lines[0][1] if lines else str(path))
            ann = _annotation(path, values, author, reader.other_lines)
            out.append((int(author.get("index", len(out))) if author else 10**6 + len(out), ann))
        for ref, author in authors.items():  # annotations with no lines (skipped, empty) whose file is gone
            if ref.endswith(f"#{key}") and ref not in seen:
                out.append((int(author.get("index", 0)), _annotation(Path(ref.split("#")[0]), {}, author)))
        return [a for _, a in sorted(out, key=lambda t: t[0])]

    # writing -------------------------------------------------------------------------
    def write(self, dataset: Dataset, path: Path) -> int:
        """The data rows at ``path``; pre-labels, ground truth, ontology and sidecar beside it."""
        path = Path(path)
        if not dataset.samples:
            raise OutputError(f"Dataset {dataset.name!r} has no samples to write for Labelbox.")
        dataset.check_unique_ids()
        schema = self._schema or dataset.schema
        if schema is None and any(s.annotations for s in dataset.samples):
            raise OutputError(f"Dataset {dataset.name!r} carries no schema, so its labels have no Labelbox features; "
                              "convert it with a template first.")
        files: dict[str, list[str]] = {}
        sidecar: dict[str, Any] = {"name": dataset.name, "metadata": dataset.metadata,
                                   "schema": schema.model_dump(mode="json") if schema else None,
                                   "samples": {}, "annotations": {}}
        rows = []
        for s in dataset.samples:
            rows.append(json.dumps({"global_key": s.id, "row_data": row_data(s), "media_type": "CONVERSATIONAL"},
                                   ensure_ascii=False))
            sidecar["samples"][s.id] = {"candidates": [{"id": c.id, "metadata": c.metadata} for c in s.candidates],
                                        "metadata": s.metadata}
            rounds = {"mal": 0, "labels": 0}
            writer = NDJSONWriter(schema, s) if s.annotations else None  # type: ignore[arg-type]
            for index, ann in enumerate(s.annotations):
                kind = "mal" if ann.kind == "prediction" else "labels"
                rounds[kind] += 1
                fname = f"{path.stem}.{kind}{'' if rounds[kind] == 1 else f'-{rounds[kind]}'}.ndjson"
                other = [x for x in (ann.metadata.get("labelbox") or {}).get("other_lines") or []
                         if isinstance(x, dict)]
                for k, line in enumerate(writer.lines(ann.values) + other):  # type: ignore[union-attr]
                    line = {"uuid": str(uuid.uuid5(UUID_NS, f"{s.id}\x00{index}\x00{k}")), **line,
                            "dataRow": {"globalKey": s.id}}
                    files.setdefault(fname, []).append(json.dumps(line, ensure_ascii=False))
                files.setdefault(fname, [])
                sidecar["annotations"][f"{fname}#{s.id}"] = {
                    "index": index, **ann.model_dump(mode="json", exclude={"values"})}
        with atomic_open(path) as fh:
            fh.write("\n".join(rows) + "\n")
        for fname, lines in sorted(files.items()):
            with atomic_open(path.with_name(fname)) as fh:
                fh.write("".join(x + "\n" for x in lines))
        if schema is not None:
            write_ontology(schema, path.with_name(f"{path.stem}.ontology.json"),
                           max(len(s.candidates) for s in dataset.samples))
        with atomic_open(path.with_name(f"{path.stem}.labelloop.json")) as fh:
            json.dump(sidecar, fh, ensure_ascii=False, indent=1)
        return len(rows)


def _restore(sample: DataSample, stored: dict[str, Any]) -> DataSample:
    cands = stored.get("candidates") or []
    if len(cands) == len(sample.candidates):
        sample.candidates = [c.model_copy(update={"id": str(x["id"]), "metadata": x.get("metadata") or {}})
                             for c, x in zip(sample.candidates, cands)]
    sample.metadata = dict(stored.get("metadata") or {})
    return sample


def _annotation(path: Path, values: dict[str, Any], author: dict[str, Any] | None,
                other_lines: list[dict[str, Any]] | None = None) -> Annotation:
    if author:
        data = {k: v for k, v in author.items() if k != "index"}
        ann = Annotation.model_validate({**data, "values": values})
    else:
        mal = re.search(r"(^|[._-])mal([._-]|$)", path.name.lower()) is not None
        ann = Annotation(annotator=f"labelbox:{path.stem}", kind="prediction" if mal else "human", values=values,
                         model_version=path.stem if mal else None, origin="labelbox")
    return _keep_other_lines(ann, other_lines)


def _keep_other_lines(ann: Annotation, other_lines: list[dict[str, Any]] | None) -> Annotation:
    """Answers on prompt messages other than the labelled one have no labelloop question value: the lines stay in
    ``metadata.labelbox.other_lines`` and go back into the files as they came."""
    lb = dict(ann.metadata.get("labelbox") or {})
    lb.pop("other_lines", None)
    if other_lines:
        lb["other_lines"] = other_lines
    meta = {k: v for k, v in ann.metadata.items() if k != "labelbox"}
    if lb:
        meta["labelbox"] = lb
    ann.metadata = meta
    return ann

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
from labelloop.formats.labelbox.ndjson import NDJSONReader, NDJSONWriter, read_ndjson
from labelloop.formats.labelbox.ontology import (
    candidate_titles,
    default_title,
    last_user,
    message_ids,
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
    messages = [{"messageId": ids[i], "content": m.content,
                 "user": {"userId": m.role, "name": ROLE_NAMES.get(m.role, m.role)},
                 "align": "right" if m.role == "user" else "left", "canLabel": i == labelled}
                for i, m in enumerate(sample.prompt)]
    titles = candidate_titles(sample)
    outputs = [{"title": titles[c.id], "content": c.content, "modelConfigName": c.model or ""}
               for c in sample.candidates]
    return {"type": CONVERSATIONAL, "version": 1, "messages": messages, "modelOutputs": outputs}


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
    if ids != [f"message-{i}" for i in range(len(ids))]:
        meta["labelbox"] = {"message_ids": ids}
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
        if self._schema is None and found["ontology"] is not None:
            self._schema = schema_from_ontology(_read_json(found["ontology"]), str(found["ontology"]))
        self._files = [(p, read_ndjson(p)) for p in found["ndjson"]]

    def schema(self) -> AnnotationSchema | None:
        return self._schema

    def to_samples(self, row: dict[str, Any]) -> Iterable[DataSample]:
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
        return [sample]

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
            ann = _annotation(path, values, author)
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
                for k, line in enumerate(writer.lines(ann.values)):  # type: ignore[union-attr]
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


def _annotation(path: Path, values: dict[str, Any], author: dict[str, Any] | None) -> Annotation:
    if author:
        data = {k: v for k, v in author.items() if k != "index"}
        return Annotation.model_validate({**data, "values": values})
    mal = re.search(r"(^|[._-])mal([._-]|$)", path.name.lower()) is not None
    return Annotation(annotator=f"labelbox:{path.stem}", kind="prediction" if mal else "human", values=values,
                      model_version=path.stem if mal else None, origin="labelbox")

"""Writes the offline annotator: one HTML file with the page, the schema and every task inline.

Why it is built this way:
- Task data is hostile. It is embedded as JSON inside ``<script type="application/json">`` with
  ``<``, ``>``, ``&`` and U+2028/U+2029 escaped (``labelloop.page``), so no string can close the script or
  become markup; the page renders it with ``textContent`` or its own DOM-building Markdown renderer. The
  guidelines are written into the page here, by ``labelloop.markdown.to_html`` (every character escaped), the
  one renderer the dashboard and Label Studio's instructions share.
- The page shell (``labelloop.page``): a Content-Security-Policy allows only the page's own scripts and style
  (by SHA-256), no network of any kind, and Trusted Types with no policy, so even a bug cannot turn a string
  into HTML. The script is kept in ordered source files (``static/annotator/``) and is one script on the page.
- Large files are split into chunks that follow the app script, so the first task is on screen while
  the browser is still parsing the rest (100,000 tasks stay quick to open).
- The file id is a hash of the tasks' content, the schema and the seed: it keys the browser's autosave
  (two files never mix) and lets ``import-results`` prove that results belong to a dataset.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from labelloop.annotate import join_guidelines
from labelloop.data.io import atomic_open
from labelloop.data.model import DataSample, Dataset
from labelloop.data.positions import candidate_order
from labelloop.data.schema import AnnotationSchema
from labelloop.errors import LabelloopError, SchemaError
from labelloop.markdown import to_html
from labelloop.page import escape_json, head, own, policy, script_json, static_text

PAYLOAD_VERSION = 1
FIRST_CHUNK_TASKS = 20
FIRST_CHUNK_BYTES = 256 * 1024
CHUNK_BYTES = 2 * 1024 * 1024
MORE = "LL.more()"
DONE = "LL.done()"


@dataclass(frozen=True)
class AnnotatorFile:
    """What ``build_annotator`` wrote."""

    path: Path
    file_id: str
    schema_hash: str
    n_tasks: int
    n_bytes: int
    chunks: int


NO_GUIDELINES = '<p class="muted">No guidelines were given for this file.</p>'


def _static(name: str) -> str:
    return static_text("labelloop.annotate.html", name)


def guidelines_html(guidelines: str) -> str:
    """What the page's guidelines panel shows: the Markdown as inert HTML, or a line saying there is none."""
    rendered = to_html(guidelines)
    return rendered if rendered else NO_GUIDELINES


_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _core(sample: DataSample) -> str:
    """The part of a task the file id covers, as compact JSON: ``[id, [[role, content]...], [[cid, content]...]]``."""
    return _COMPACT.encode([sample.id, [[m.role, m.content] for m in sample.prompt],
                            [[c.id, c.content] for c in sample.candidates]])


def _file_hash(schema: AnnotationSchema, seed: int):
    h = hashlib.sha256()
    h.update(json.dumps(["labelloop-annotator", PAYLOAD_VERSION, int(seed), schema.schema_hash()]).encode())
    return h


def file_id_of(samples: Iterable[DataSample], schema: AnnotationSchema, seed: int) -> str:
    """A hash of what the annotator is asked about: task ids, prompts, candidates, schema and seed.

    Pre-labels, guidelines and annotator lists are left out on purpose: regenerating the file with new
    suggestions keeps the same id, so an annotator's autosaved work and results still match.
    """
    h = _file_hash(schema, seed)
    for s in samples:
        h.update(b"\n" + _core(s).encode("utf-8"))
    return h.hexdigest()[:16]


def _extras(sample: DataSample, schema: AnnotationSchema, show_predictions: bool, names: set[str],
            seed: int = 0) -> str:
    """Suggestions, metadata fields and screen order of one task. Candidate models and reference labels are left
    out: the page is blind. The order is ``labelloop.data.positions.candidate_order`` (sent only when it is not
    the source's): one seeded shuffle per task, the same for every annotator and for the pre-label prompt, so
    "Answer B" names the same answer for everyone."""
    order = candidate_order(sample, seed)
    shuffled = order != [c.id for c in sample.candidates]
    if not sample.annotations and not shuffled and not any(f.source.startswith("metadata.") for f in schema.fields):
        return ""
    extra = {}
    for f in schema.fields:
        if f.source.startswith("metadata."):
            value = sample.metadata.get(f.source.split(".", 1)[1])
            if value is not None:
                extra[f.name] = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    sug = []
    if show_predictions:
        preds = [a for a in sample.annotations if a.kind == "prediction"]
        preds.sort(key=lambda a: (a.score is None, -(a.score or 0.0)))
        for a in preds:
            values = {k: v for k, v in a.values.items() if k in names and v is not None}
            if values:
                sug.append({"by": a.annotator, "score": a.score, "v": values})
    if not sug and not extra and not shuffled:
        return ""
    tail: list = [sug, extra or None] + ([order] if shuffled else [])
    return "," + json.dumps(tail, ensure_ascii=False, separators=(",", ":"))[1:-1]


def _check(dataset: Dataset, schema: AnnotationSchema) -> None:
    if not schema.questions:
        raise SchemaError(f"Schema {schema.name!r} has no questions; there is nothing to annotate.")
    dataset.check_unique_ids()
    needs_cands = [q.name for q in schema.questions if q.options_from_candidates and not q.options]
    for s in dataset.samples:
        if needs_cands and not s.candidates:
            raise LabelloopError(
                f"Sample {s.id!r} has no candidates, but question {needs_cands[0]!r} chooses among them."
            )


def _chunks(tasks: Iterable[str], chunk_bytes: int) -> Iterable[list[str]]:
    """Encoded tasks grouped so that the first group is small (quick first paint) and later ones ~2 MB."""
    group: list[str] = []
    size = 0
    first = True
    for enc in tasks:
        group.append(enc)
        size += len(enc)
        limit_hit = (len(group) >= FIRST_CHUNK_TASKS or size >= FIRST_CHUNK_BYTES) if first else size >= chunk_bytes
        if limit_hit:
            yield group
            group, size, first = [], 0, False
    if group or first:
        yield group


def build_annotator(
    dataset: Dataset,
    schema: AnnotationSchema,
    output: str | Path,
    *,
    guidelines: str | None = None,
    annotators: list[str] | None = None,
    seed: int = 0,
    show_predictions: bool = True,
    title: str | None = None,
    chunk_bytes: int = CHUNK_BYTES,
) -> AnnotatorFile:
    """Write the annotator for ``dataset`` under ``schema`` to ``output`` (atomically).

    ``chunk_bytes`` sizes the data blocks after the first: the page shows the first task before it has
    parsed the rest.
    """
    _check(dataset, schema)
    annotators = [a.strip() for a in (annotators or []) if a and a.strip()]
    # one encoding per task serves both the file id and the page: [id, prompt, candidates(, suggestions, fields)]
    names = {q.name for q in schema.questions}
    hasher = _file_hash(schema, seed)
    encoded: list[str] = []
    for s in dataset.samples:
        core = _core(s)
        hasher.update(b"\n" + core.encode("utf-8"))
        extra = _extras(s, schema, show_predictions, names, seed)
        encoded.append(core[:-1] + extra + "]" if extra else core)
    file_id = hasher.hexdigest()[:16]
    schema_hash = schema.schema_hash()
    all_guidelines = join_guidelines(schema.guidelines, guidelines)
    page_title = title or f"{dataset.name} · {schema.name}"
    css = own("annotator.css", _static("annotator.css"), "style")
    app = own("annotator/", _static("annotator"), "script")
    body = _static("body.html")
    before, _, rest = body.partition("<!--LL:GUIDELINES-->")
    middle, _, tail = rest.partition("<!--LL:DATA-->")
    top = (head(title=page_title, css=css, csp=policy([app, MORE, DONE], [css])) + before
           + guidelines_html(all_guidelines) + middle)
    groups = list(_chunks(encoded, chunk_bytes))
    meta = {
        "version": PAYLOAD_VERSION,
        "file_id": file_id,
        "schema_hash": schema_hash,
        "seed": int(seed),
        "dataset": dataset.name,
        "title": page_title,
        "schema": schema.model_dump(mode="json"),
        "guidelines": all_guidelines,
        "annotators": annotators,
        "show_predictions": bool(show_predictions),
        "n_tasks": len(dataset.samples),
        "chunks": len(groups),
    }
    with atomic_open(output) as fh:
        w = fh.write
        w(top)
        w(f'<script type="application/json" id="ll-meta">{script_json(meta)}</script>\n')
        for i, group in enumerate(groups):
            w(f'<script type="application/json" id="ll-d{i}">[' + escape_json(",".join(group)) + "]</script>\n")
            w(f"<script>{app}</script>\n" if i == 0 else f"<script>{MORE}</script>\n")
        w(f"<script>{DONE}</script>\n")
        w(tail)
    return AnnotatorFile(path=Path(output), file_id=file_id, schema_hash=schema_hash, n_tasks=len(dataset.samples),
                         n_bytes=Path(output).stat().st_size, chunks=len(groups))

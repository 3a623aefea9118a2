"""Push a dataset to a Label Studio project and pull every annotator's work back.

Push: one project per dataset, tasks imported in batches, ``prediction`` annotations as Label
Studio predictions, candidates in a seeded per-task order kept in the task data. The pushed dataset
is copied to ``<data dir>/projects/<id>/`` so a pull needs only the project id (and with no copy,
samples are rebuilt from the task data).

Pull: every annotation of every annotator, keyed by Label Studio's annotation id and
``updated_at``, so pulling again adds only what is new or changed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from labelloop.annotate import join_guidelines
from labelloop.annotate.labelstudio.client import LabelStudioClient
from labelloop.annotate.labelstudio.server import DEFAULT_DATA_DIR, Credentials, data_dirs_hint
from labelloop.data.io import atomic_open
from labelloop.data.model import Annotation, DataSample, Dataset
from labelloop.data.positions import candidate_order
from labelloop.data.schema import Option, Question
from labelloop.errors import NotFoundError, ParameterError, ProjectError, SchemaError
from labelloop.formats.labelstudio.config import (
    ID_KEY,
    ORDER_KEY,
    LabelConfig,
    LabelStudioTemplate,
    SchemaTemplate,
    get_template,
    read_label_config,
    template_for,
    template_from_config,
)
from labelloop.formats.labelstudio.instructions import guidelines_html
from labelloop.formats.labelstudio.results import Control, InferredMapping, ResultValues, parse_result
from labelloop.formats.labelstudio.tasks import (
    _NO_TEMPLATE,
    ACCEPTED_KEY,
    ORIGIN,
    SAMPLE_KEY,
    accepted_prediction,
    sample_from_payload,
    sample_task,
    task_payload,
    task_sample,
    to_annotation,
    unmapped_question,
    unmapped_text,
)
from labelloop.urls import same_url

Progress = Callable[[int, int], None]


def connect(server_url: str | None = None, api_token: str | None = None,
             data_dir: str | Path | None = None) -> LabelStudioClient:
    """A client from explicit values, else ``LABEL_STUDIO_URL`` / ``LABEL_STUDIO_API_KEY``, else the data dir.

    A token goes only to the server it belongs to: ``$LABEL_STUDIO_API_KEY`` to ``$LABEL_STUDIO_URL``, the
    credentials file's token to the server it was written for; a URL given alone gets neither."""
    env_url = os.environ.get("LABEL_STUDIO_URL") or None
    url = server_url or env_url
    token = api_token
    env_token = os.environ.get("LABEL_STUDIO_API_KEY") or None
    if token is None and env_token and url and env_url and same_url(url, env_url):
        token = env_token
    creds = Credentials.load(data_dir or DEFAULT_DATA_DIR)
    if creds is not None and (url is None or same_url(url, creds.url)):
        url = url or creds.url
        token = token or creds.token
    if not url:
        where = ParameterError.literal(str(Path(data_dir or DEFAULT_DATA_DIR)))
        raise ParameterError("url", "No Label Studio to talk to: pass {param} and {token}, set LABEL_STUDIO_URL and "
                                    "LABEL_STUDIO_API_KEY, or start one with labelloop labelstudio start "
                                    f"(no credentials in {where}). "
                                    f"{ParameterError.literal(data_dirs_hint(data_dir or DEFAULT_DATA_DIR))}",
                                    token="token")
    if not token:
        hint = (f"; $LABEL_STUDIO_API_KEY goes only to $LABEL_STUDIO_URL ({env_url or 'not set'})" if env_token
                else " or set LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY")
        raise ParameterError("token", f"No API token for {ParameterError.literal(url)}: pass {{param}}"
                                      f"{ParameterError.literal(hint)}.")
    return LabelStudioClient(url, token)


def project_dir(data_dir: str | Path | None, project_id: int) -> Path:
    return Path(data_dir or DEFAULT_DATA_DIR) / "projects" / str(project_id)


def _title(text: str, suffix: str = "") -> str:
    """A project title Label Studio takes (3 to 50 characters), ``suffix`` kept whole."""
    text = " ".join(text.split()) or "labelloop"
    if len(text) < 3:
        text = f"labelloop {text}"
    return text[:50 - len(suffix)] + suffix


# ---------------------------------------------------------------------- push
@dataclass
class PushResult:
    """A push: one project per layout (answer count); the top-level project fields are the first project's,
    the counts are over all of them, ``projects`` lists each (id, URL, title, answers, tasks, pre-labels,
    skipped)."""

    project_id: int
    url: str
    project_url: str
    tasks: int
    predictions: int
    positions: int
    template: str
    skipped: int = 0
    projects: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def layouts(dataset: Dataset) -> dict[int, list[DataSample]]:
    """The samples by answer count, fewest first: each count is one layout (one project)."""
    groups: dict[int, list[DataSample]] = {}
    for s in dataset.samples:
        groups.setdefault(len(s.candidates), []).append(s)
    return dict(sorted(groups.items()))


def config_positions(label_config: str) -> int:
    """How many answers a label config made by labelloop shows (0: none)."""
    return sum(1 for key in read_label_config(label_config).objects if key.startswith("answer_"))


@dataclass
class LabelStudioAnnotator:
    """Puts a dataset in front of people in Label Studio. ``run(dataset)`` creates and fills a project per
    layout: each task shows exactly its own answers."""

    name: str = "labelstudio"
    server_url: str | None = None
    api_token: str | None = None
    project_title: str | None = None
    template_name: str | None = None
    project_description: str = ""
    data_dir: str | Path | None = None
    batch_size: int = 500
    seed: int = 0
    shuffle: bool = True
    overlap: int = 1
    progress: Progress | None = None
    client: LabelStudioClient | None = field(default=None, repr=False)
    guidelines: str | None = None  # Markdown shown as the project's instructions, after the schema's own

    def template(self, dataset: Dataset) -> LabelStudioTemplate:
        return get_template(self.template_name) if self.template_name else template_for(dataset)

    def run(self, dataset: Dataset, create_new_project: bool = True, project_id: int | None = None) -> PushResult:
        """Samples with different answer counts go to one project each ("NAME (4 answers)"); into an existing
        project (``create_new_project=False``) only samples of its layout go. A sample whose id the project
        already has is skipped, so pushing again adds only new samples."""
        if not dataset.samples:
            raise ProjectError(f"Dataset {dataset.name!r} has no samples to push.")
        dataset.check_unique_ids()
        if not create_new_project and project_id is None:
            raise ProjectError("Pass a project id to push into an existing project, or create a new one.")
        client = self.client or connect(self.server_url, self.api_token, self.data_dir)
        tpl = self.template(dataset)
        groups = layouts(dataset)
        base = self.project_title or dataset.name or self.name
        done: list[dict[str, Any]] = []
        counted = 0
        total = len(dataset.samples)

        def progress(k: int) -> None:
            if self.progress:
                self.progress(counted + k, total)

        if not create_new_project:
            assert project_id is not None
            project = client.get_project(int(project_id))
            own = template_from_config(project.get("label_config", ""))
            if own is not None and not self.template_name and project.get("task_number"):
                tpl = own  # the project's tasks are the template's it was made with
            shown = config_positions(project.get("label_config", "")) if project.get("task_number") else 0
            if len(groups) > 1 or (shown and shown not in groups):
                counts = ", ".join(str(n) for n in groups)
                raise ProjectError(f"Project {project_id} on {client.url} shows "
                                   + (f"{shown} answers" if shown else "one layout") +
                                   f"; these samples have {counts} answers. Push them without a project id: "
                                   "labelloop makes one project per answer count.")
            [(n, samples)] = groups.items()
            done.append(self._fill(client, tpl, int(project_id), dataset, n, samples, project, progress))
        else:
            for n, samples in groups.items():
                title = _title(base) if len(groups) == 1 else _title(base, f" ({n} answer{'s' * (n != 1)})")
                pid, project = self._create(client, tpl, title, n, samples)
                done.append(self._fill(client, tpl, pid, dataset, n, samples, project, progress))
                counted += len(samples)
        first = done[0]
        return PushResult(project_id=first["project_id"], url=client.url, project_url=first["project_url"],
                          tasks=sum(d["tasks"] for d in done), predictions=sum(d["predictions"] for d in done),
                          positions=first["positions"], template=tpl.name, skipped=sum(d["skipped"] for d in done),
                          projects=done)

    def _instructions(self, tpl: LabelStudioTemplate, n: int) -> tuple[str, bool]:
        """The instructions' HTML (guidelines, then the keys) and whether to show them before labelling."""
        text = join_guidelines(tpl.schema.guidelines, self.guidelines)
        keys = tpl.hotkeys(n) if isinstance(tpl, SchemaTemplate) else ""
        return guidelines_html("\n\n".join(x for x in (text, keys) if x)), bool(text)

    def _create(self, client: LabelStudioClient, tpl: LabelStudioTemplate, title: str, n: int,
                samples: list[DataSample]) -> tuple[int, dict[str, Any]]:
        html, show = self._instructions(tpl, n)
        project = client.create_project(
            title=title, description=self.project_description or "",
            label_config=tpl.label_config(n, context=any(len(s.prompt) > 1 for s in samples)),
            expert_instruction=html, show_instruction=show, show_skip_button=True,
            maximum_annotations=max(1, self.overlap))
        return int(project["id"]), project

    def _fill(self, client: LabelStudioClient, tpl: LabelStudioTemplate, project_id: int, dataset: Dataset, n: int,
              samples: list[DataSample], project: dict[str, Any], progress: Callable[[int], None]) -> dict[str, Any]:
        """Import the samples the project does not have yet (by sample id) as tasks."""
        have: set[str] = set()
        if project.get("task_number"):
            have = {str(t["data"][ID_KEY]) for t in client.iter_tasks(project_id)
                    if isinstance(t.get("data"), dict) and ID_KEY in t["data"]}
        config = project.get("label_config") or ""
        ours = template_from_config(config) is not None
        if not have or not ours:  # an empty project (or one we did not make) gets this layout's config
            context = any(len(s.prompt) > 1 for s in samples)
            if not ours or config_positions(config) != n or (context and "$context" not in config):
                if not ours and project.get("task_number"):
                    raise ProjectError(f"Project {project_id} on {client.url} already has tasks and was not made "
                                       "by labelloop; push into a new project instead.")
                config = tpl.label_config(n, context=context)
                client.update_project(project_id, label_config=config)
        if self.guidelines:
            html, _ = self._instructions(tpl, n)
            client.update_project(project_id, expert_instruction=html, show_instruction=True)
        context = "$context" in config
        new = [s for s in samples if s.id not in have]
        tasks = predictions = 0
        batch: list[dict[str, Any]] = []
        for k, sample in enumerate(new, 1):
            task, n_pred = self.task(tpl, sample, n, context, dataset)
            batch.append(task)
            predictions += n_pred
            if len(batch) >= self.batch_size or k == len(new):
                if tasks == 0:
                    _hide_columns(client, project_id, batch[0]["data"])
                client.import_tasks(project_id, batch)
                tasks += len(batch)
                batch = []
                progress(tasks)
        self._remember(client.url, project_id, dataset.model_copy(update={"samples": samples}), tpl)
        return {"project_id": project_id, "project_url": f"{client.url}/projects/{project_id}",
                "title": project.get("title", ""), "positions": n, "tasks": tasks, "predictions": predictions,
                "skipped": len(samples) - len(new)}

    def task(self, tpl: LabelStudioTemplate, sample: DataSample, n: int, context: bool,
             dataset: Dataset | None = None) -> tuple[dict[str, Any], int]:
        """One Label Studio task (data, meta and predictions) for a sample; it carries the whole sample (and the
        name and metadata of ``dataset``), so a pull from any machine rebuilds it: what the task shows in its data,
        what annotators must not see (reference labels, predictions, models) in its ``meta``."""
        return sample_task(tpl, sample, candidate_order(sample, self.seed, self.shuffle), n, context, dataset=dataset,
                           meta=True)

    def _remember(self, url: str, project_id: int, dataset: Dataset, tpl: LabelStudioTemplate) -> None:
        """Keep the pushed samples beside the server's data, merged with earlier pushes to the project."""
        from labelloop.data.io import write_dataset

        pdir = project_dir(self.data_dir, project_id)
        info_path = pdir / "project.json"
        stored = _stored_dataset(self.data_dir, project_id, url)
        if stored is not None:
            have = stored.by_id()
            stored.samples += [s for s in dataset.samples if s.id not in have]
            dataset = stored
        pdir.mkdir(parents=True, exist_ok=True)
        write_dataset(dataset, pdir / "dataset.jsonl", "jsonl")
        info = {"project_id": project_id, "url": url, "template": tpl.name, "samples": len(dataset.samples),
                "seed": self.seed, "shuffled": self.shuffle,
                "pushed_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        with atomic_open(info_path) as fh:
            json.dump(info, fh, indent=2)


def create_annotator(name: str = "labelstudio", server_url: str | None = None, api_token: str | None = None,
                     project_title: str | None = None, template_name: str | None = None,
                     project_description: str = "", **options: Any) -> LabelStudioAnnotator:
    """``create_annotator(...).run(dataset)`` pushes a dataset to a new Label Studio project."""
    return LabelStudioAnnotator(name=name, server_url=server_url, api_token=api_token, project_title=project_title,
                                template_name=template_name, project_description=project_description, **options)


def _stored_dataset(data_dir: str | Path | None, project_id: int, url: str) -> Dataset | None:
    from labelloop.formats import load

    pdir = project_dir(data_dir, project_id)
    try:
        info = json.loads((pdir / "project.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    if info.get("url", "").rstrip("/") != url.rstrip("/") or not (pdir / "dataset.jsonl").exists():
        return None
    return load(pdir / "dataset.jsonl", format="labelloop")


# ---------------------------------------------------------------------- pull
@dataclass
class PullStats:
    """What a pull brought back, and what it could not: ``unmapped`` counts per question the answers that fit no
    question or option (``unmapped_tasks`` lists them by task), ``missing_required`` the required answers
    submitted annotations lack (``missing_tasks`` by task), ``accepted_predictions`` the annotations that are a
    model's prediction nobody changed; ``notes`` say what could not be restored."""

    project_id: int
    url: str
    tasks: int = 0
    annotations: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    rebuilt_samples: int = 0
    annotators: list[str] = field(default_factory=list)
    unmapped: dict[str, int] = field(default_factory=dict)
    unmapped_tasks: list[dict[str, Any]] = field(default_factory=list)
    missing_required: dict[str, int] = field(default_factory=dict)
    missing_tasks: list[dict[str, Any]] = field(default_factory=list)
    accepted_predictions: int = 0
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _ls_key(ann: Annotation) -> tuple[str, int, int] | None:
    meta = ann.metadata.get("labelstudio") if ann.origin == ORIGIN else None
    if not isinstance(meta, dict) or "annotation_id" not in meta:
        return None
    return str(meta.get("url", "")).rstrip("/"), int(meta.get("project_id", -1)), int(meta["annotation_id"])


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _rebuild(tpl: LabelStudioTemplate | None, config: LabelConfig | None, task: dict[str, Any], sid: str,
             lost: dict[str, int]) -> DataSample:
    """A sample from its task: the ``labelloop_sample`` payload (everything), else what the task shows (``lost``
    counts why)."""
    data = task.get("data") or {}
    payload = task_payload(task)
    if isinstance(payload, dict):
        sample = sample_from_payload(payload, data)
        if "annotations" not in payload or "content" not in next(iter(payload.get("candidates") or []), {"content": 1}):
            lost["old"] = lost.get("old", 0) + 1
        return sample
    if tpl is not None:
        lost["none"] = lost.get("none", 0) + 1
        return tpl.sample_from_task({**data, ID_KEY: sid})
    assert config is not None
    return task_sample(data, task.get("id"), list(config.objects.values()))[0]


def _hide_columns(client: LabelStudioClient, project_id: int, data: dict[str, Any]) -> None:
    """A project's first Data Manager tab hides the task data only the labeling screen and labelloop read (the
    HTML renderings, the screen order, the sample payload, ranking items), so its columns show the id, the prompt
    and the answers. A project that has tabs already keeps them."""
    hidden = [f"tasks:data.{k}" for k in data if k.startswith("html_") or k.endswith("_items")
              or k in (ORDER_KEY, SAMPLE_KEY, "context_title")]
    if not hidden or client.get(f"/api/dm/views?project={project_id}", what="Data Manager tabs"):
        return
    client.post("/api/dm/views", json={"project": project_id, "data": {
        "title": "Tasks", "hiddenColumns": {"explore": hidden, "labeling": hidden}}}, what="a Data Manager tab")


def pull_project(project_id: int, server_url: str | None = None, api_token: str | None = None,
                 dataset: Dataset | None = None, data_dir: str | Path | None = None,
                 template: str | LabelStudioTemplate | None = None, page_size: int = 500,
                 progress: Progress | None = None, client: LabelStudioClient | None = None,
                 method: str = "export", strict: bool = False) -> tuple[Dataset, PullStats]:
    """Every annotation of every annotator of a project, merged into ``dataset`` as ``human`` annotations.

    With no ``dataset``, the copy kept at push time in ``data_dir``, else the samples the tasks carry (each
    task's ``labelloop_sample``: the same dataset from any machine). A project labelloop did not make is read
    through its own label config (the prompt from the data keys it shows, its single-choice questions).
    Answers that fit no question or option are kept in ``metadata.labelstudio.unmapped_results`` and counted in
    the stats; ``strict``: they are an error instead (``ProjectError``, the dataset is not returned). An
    annotation Label Studio made from a prediction that nobody changed gets ``metadata["accepted_prediction"]``.

    ``method="export"`` reads Label Studio's JSON export in one request (about twice as fast on the
    server); ``"pages"`` reads ``/api/tasks`` a page at a time, for projects too large to export at once.
    """
    if method not in ("export", "pages"):
        raise ProjectError(f"Unknown pull method {method!r}; use 'export' or 'pages'.")
    client = client or connect(server_url, api_token, data_dir)
    project = client.get_project(project_id)
    tpl = template if isinstance(template, LabelStudioTemplate) else (
        get_template(template) if template else template_from_config(project.get("label_config", "")))
    config: LabelConfig | None = None
    if tpl is None:
        try:
            config = read_label_config(project.get("label_config", ""))
        except SchemaError as exc:
            raise ParameterError("template", f"Project {project_id} on {ParameterError.literal(client.url)} was not "
                                             f"made by labelloop and its {ParameterError.literal(str(exc))}; name a "
                                             "template with {param}.") from None
    schema = tpl.schema if tpl is not None else config.schema  # type: ignore[union-attr]
    url = client.url.rstrip("/")
    named = dataset is not None  # a dataset to add to keeps its name; else the name the tasks carry
    if dataset is None:
        dataset = _stored_dataset(data_dir, project_id, url) or Dataset(
            name=_title(project.get("title") or f"project {project_id}"), schema=schema)
    else:
        dataset = dataset.model_copy(deep=True)
    if dataset.schema is None:
        dataset.schema = schema
    by_id = dataset.by_id()
    where: dict[tuple[str, int, int], tuple[DataSample, int]] = {}

    def index(s: DataSample) -> None:
        for i, a in enumerate(s.annotations):
            key = _ls_key(a)
            if key is not None:
                where[key] = (s, i)

    for s in dataset.samples:
        index(s)
    emails = {int(u["id"]): u.get("email") or u.get("username") or f"user:{u['id']}" for u in client.users()}
    stats = PullStats(project_id=project_id, url=url)
    annotators: set[str] = set()
    lost: dict[str, int] = {}
    predictions: dict[int, dict[str, Any] | None] = {}
    total = int(project.get("task_number") or 0)
    tasks = client.export(project_id) if method == "export" else client.iter_tasks(project_id, page_size=page_size)
    for task in tasks:
        stats.tasks += 1
        data = task.get("data") or {}
        sid = str(data.get(ID_KEY, f"labelstudio-task-{task['id']}"))
        about = (task_payload(task) or {}).get("dataset")
        if isinstance(about, dict) and not named:
            dataset.name = str(about.get("name") or dataset.name)
            dataset.metadata = dict(about.get("metadata") or {})
            named = True
        sample = by_id.get(sid)
        if sample is None:
            sample = _rebuild(tpl, config, task, sid, lost)
            dataset.samples.append(sample)
            by_id[sid] = sample
            stats.rebuilt_samples += 1
            index(sample)
        for p in task.get("predictions") or []:
            if isinstance(p, dict) and p.get("id") is not None:
                predictions[int(p["id"])] = p

        def read(result: list[dict[str, Any]], data: dict[str, Any] = data) -> dict[str, Any]:
            return tpl.process_annotations(result, data) if tpl is not None else _foreign_values(
                config, result, data)  # type: ignore[arg-type]

        for raw in sorted(task.get("annotations") or [], key=lambda a: int(a["id"])):
            stats.annotations += 1
            values = None if tpl is not None or raw.get("was_cancelled") else read(raw.get("result") or [])
            ann = to_annotation(raw, task, tpl or _NO_TEMPLATE, url, project_id, emails, values=values)
            annotators.add(ann.annotator)
            if ann.status == "skipped":
                stats.skipped += 1
            else:
                _check(ann, raw, task, sid, schema, sample, stats)
                accepted = _accepted(client, raw, read, predictions)
                if accepted is not None:
                    ann.metadata[ACCEPTED_KEY] = accepted
                    stats.accepted_predictions += 1
            key = (url, project_id, int(raw["id"]))
            if key in where:
                s, i = where[key]
                old = s.annotations[i]
                if old.metadata["labelstudio"].get("updated_at") == raw.get("updated_at") and (
                        old.metadata.get(ACCEPTED_KEY) == ann.metadata.get(ACCEPTED_KEY)):
                    stats.unchanged += 1
                    continue
                s.annotations[i] = ann
                stats.updated += 1
            else:
                sample.annotations.append(ann)
                where[key] = (sample, len(sample.annotations) - 1)
                stats.new += 1
        if progress and stats.tasks % page_size == 0:
            progress(stats.tasks, total)
    if progress:
        progress(stats.tasks, total)
    stats.annotators = sorted(annotators)
    if lost.get("none"):
        stats.notes.append(f"{_plural(lost['none'], 'task')} carry no labelloop sample (pushed by an older "
                           "labelloop, or made by hand): rebuilt from what they show, without the prompt's earlier "
                           "turns, models, metadata (subset) and reference labels.")
    if lost.get("old"):
        stats.notes.append(f"{_plural(lost['old'], 'task')} carry an older labelloop sample: rebuilt without the "
                           "reference labels and predictions they were pushed with.")
    if config is not None:
        keys = ", ".join("$" + k for k in dict.fromkeys(config.objects.values())) or "no data key"
        stats.notes.append(f"Project {project_id} was not made by labelloop: samples read through its label config "
                           f"(text from {keys}).")
    if strict and stats.unmapped:
        first = stats.unmapped_tasks[0]
        n = sum(stats.unmapped.values())
        counts = ", ".join(f"{q}: {k}" for q, k in stats.unmapped.items())
        raise ParameterError("strict", ParameterError.literal(
            f"Project {project_id} has {_plural(n, 'answer')} that fit no question or option ({counts}; the first "
            f"in task {first['task_id']}, {first['values'][0]}), ") + "so nothing was written: fix them in Label "
            "Studio, or pull without {param} to keep them in metadata.labelstudio.unmapped_results.")
    return dataset, stats


def _foreign_values(config: LabelConfig, result: list[dict[str, Any]], data: dict[str, Any]) -> ResultValues:
    """A result of a project labelloop did not make: a ``Choices`` answer must be one of the choices its config
    lists (anything else, e.g. an option renamed since, is unmapped); other controls are read as they are."""
    inferred = InferredMapping()
    schema = {q.name: q for q in config.schema.questions}

    def control_of(item: dict[str, Any]) -> Control | None:
        name = str(item.get("from_name", ""))
        if name in config.choices:
            q = schema.get(name) or Question(name=name, type="multi_choice" if name in config.multiple
                                             else "single_choice", options=[Option(value=v) for v in
                                                                            dict.fromkeys(config.choices[name])])
            return Control(name, q, "choices", config.controls[name][1], choices={v: v for v in config.choices[name]},
                           multi=name in config.multiple)
        inferred.observe(item)
        return inferred.control(item, {})

    return parse_result(result, control_of, data, [])


def _check(ann: Annotation, raw: dict[str, Any], task: dict[str, Any], sid: str, schema: Any, sample: DataSample,
           stats: PullStats) -> None:
    """Count and list by task the answers that fit no question or option, and the required answers missing."""
    where = {"task_id": int(task["id"]), "sample_id": sid, "annotation_id": int(raw["id"]),
             "annotator": ann.annotator}
    unmapped = ann.metadata["labelstudio"].get("unmapped_results") or []
    if unmapped:
        qs = [unmapped_question(item) for item in unmapped]
        for q in qs:
            stats.unmapped[q] = stats.unmapped.get(q, 0) + 1
        stats.unmapped_tasks.append({**where, "questions": list(dict.fromkeys(qs)),
                                     "values": [unmapped_text(item) for item in unmapped]})
    if schema is None:
        return
    missing = [q.name for q in schema.all_questions()
               if q.required and schema.parent_of(q.name) is None and ann.values.get(q.name) is None]
    if missing:
        for q in missing:
            stats.missing_required[q] = stats.missing_required.get(q, 0) + 1
        stats.missing_tasks.append({**where, "questions": missing})


def _accepted(client: LabelStudioClient, raw: dict[str, Any], read: Callable[[list[dict[str, Any]]], dict[str, Any]],
              predictions: dict[int, dict[str, Any] | None]) -> dict[str, Any] | None:
    """The prediction an annotation was made from, when nobody changed it (its values are the prediction's)."""
    parent = raw.get("parent_prediction")
    if isinstance(parent, dict):
        parent = parent.get("id")
    if parent is None:
        return None
    pid = int(parent)
    if pid not in predictions:  # the export lists predictions by id only
        try:
            predictions[pid] = client.get(f"/api/predictions/{pid}/", what=f"prediction {pid}")
        except NotFoundError:
            predictions[pid] = None
    pred = predictions[pid]
    if pred is None:
        return None
    return accepted_prediction(read(raw.get("result") or []), pred, read(pred.get("result") or []))


def export_annotations_to_dataset(project_id: int, server_url: str | None = None, api_token: str | None = None,
                                  dataset: Dataset | None = None, data_dir: str | Path | None = None,
                                  **options: Any) -> Dataset:
    """The project's samples with every person's annotations added (see ``pull_project`` for counts)."""
    return pull_project(project_id, server_url, api_token, dataset=dataset, data_dir=data_dir, **options)[0]


def reference_as_prelabels(dataset: Dataset, version: str = "reference-as-prelabel") -> Dataset:
    """A copy where each ``reference`` annotation is also a ``prediction`` (for demos with no model at hand)."""
    out = dataset.model_copy(deep=True)
    for s in out.samples:
        for ref in [a for a in s.annotations if a.kind == "reference"]:
            s.annotations.append(Annotation(annotator=version, kind="prediction", values=dict(ref.values),
                                            model_version=version, origin=ref.origin))
    return out


def only_samples(dataset: Dataset, ids: list[str], source: str = "the selection") -> Dataset:
    """The samples named by ``ids``, in that order (``push --only``); an id not in the dataset is an error."""
    by_id = dataset.by_id()
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise ProjectError(f"{source} names {len(missing)} sample(s) that dataset {dataset.name!r} does not have, "
                           f"e.g. {missing[0]!r}.")
    if not ids:
        raise ProjectError(f"{source} names no samples to push.")
    return dataset.model_copy(update={"samples": [by_id[i] for i in dict.fromkeys(ids)]})


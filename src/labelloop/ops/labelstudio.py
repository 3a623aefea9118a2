"""Label Studio: start a local one (and push a first dataset), stop it, ask its status, push datasets as
projects, pull every annotator's work back, add webhooks and annotator accounts."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_type_hints

from pydantic import BaseModel, create_model

from labelloop.annotate.labelstudio import (
    LabelStudioServer,
    ServerInfo,
    connect,
    create_annotator,
    pull_project,
    reference_as_prelabels,
)
from labelloop.annotate.labelstudio.project import PushResult, only_samples
from labelloop.annotate.labelstudio.session import add_user
from labelloop.assist.active import selection_ids
from labelloop.data.model import Dataset
from labelloop.formats import save
from labelloop.ops._common import (
    CheckPath,
    Note,
    Progress,
    any_path,
    comma_list,
    load_dataset,
    no_note,
    no_progress,
    read_guidelines,
)

DEFAULT_DATA_DIR = Path(".labelloop/label-studio")
DEMO_DATASET = "examples/rewardbench2_example.jsonl"

# the library's PushResult as a model, so its fields are declared once
PushOutput = create_model("PushOutput", **{k: (t, ...) for k, t in get_type_hints(PushResult).items()})


def server(data_dir: Path = DEFAULT_DATA_DIR, note: Note = no_note, **options: Any) -> LabelStudioServer:
    """The Label Studio of ``data_dir`` (``options`` as :class:`LabelStudioServer`'s), its log lines as notes."""
    return LabelStudioServer(data_dir, log=note, **options)


# ---------------------------------------------------------------------- push
def wanted(dataset: Dataset, only: Path | None = None, ids: str | list[str] | None = None) -> Dataset:
    """The samples a selection file (``only``, from ``labelloop select``) and ``ids`` name, in that order; the
    whole dataset when neither is given."""
    if only is None and ids is None:
        return dataset
    names = (selection_ids(only) if only is not None else []) + comma_list(ids)
    return only_samples(dataset, names, source=str(only) if only is not None else "--ids")


def push_dataset(ds: Dataset, *, template: str | None = None, project_title: str | None = None,
                 project_description: str = "", project: int | None = None, url: str | None = None,
                 token: str | None = None, data_dir: Path = DEFAULT_DATA_DIR, batch_size: int = 500, seed: int = 0,
                 shuffle: bool = True, overlap: int = 1, guidelines: Path | None = None,
                 progress: Progress = no_progress) -> PushResult:
    """Push a dataset already read: a new project (or tasks added to ``project``), predictions as pre-labels."""
    annotator = create_annotator(server_url=url, api_token=token, project_title=project_title,
                                 template_name=template, project_description=project_description, data_dir=data_dir,
                                 batch_size=batch_size, seed=seed, shuffle=shuffle, overlap=overlap,
                                 progress=progress, guidelines=read_guidelines(guidelines))
    return annotator.run(ds, create_new_project=project is None, project_id=project)


def push(dataset: str | Path, *, template: str | None = None, project_title: str | None = None,
         project_description: str = "", project: int | None = None, url: str | None = None,
         token: str | None = None, data_dir: Path = DEFAULT_DATA_DIR, batch_size: int = 500, seed: int = 0,
         shuffle: bool = True, overlap: int = 1, reference_prelabels: bool = False, guidelines: Path | None = None,
         only: Path | None = None, ids: str | list[str] | None = None, fmt: str = "auto", note: Note = no_note,
         reading: Progress = no_progress, progress: Progress = no_progress) -> BaseModel:
    """Create a project and import the samples (those ``only`` / ``ids`` name, when given) as tasks, with
    prediction annotations (and, with ``reference_prelabels``, the reference labels) as pre-labels. A
    :data:`PushOutput`."""
    ds, _ = load_dataset(dataset, fmt, note=note, progress=reading)
    ds = wanted(ds, only, ids)
    if reference_prelabels:
        ds = reference_as_prelabels(ds)
    res = push_dataset(ds, template=template, project_title=project_title, project_description=project_description,
                       project=project, url=url, token=token, data_dir=data_dir, batch_size=batch_size, seed=seed,
                       shuffle=shuffle, overlap=overlap, guidelines=guidelines, progress=progress)
    return PushOutput(**res.as_dict())


# ---------------------------------------------------------------------- start, demo, stop, status
@dataclass
class Started:
    """The server started (or found running) and the project pushed with ``push``."""

    info: ServerInfo
    project: PushResult | None = None

    def as_dict(self) -> dict[str, Any]:
        return {**self.info.as_dict(), "project": self.project.as_dict() if self.project else None}


def start(*, data_dir: Path = DEFAULT_DATA_DIR, port: int | None = None, host: str | None = None,
          bind: str = "127.0.0.1", docker: bool = False, image: str = "heartexlabs/label-studio:latest",
          database: str | None = None, username: str | None = None, password: str | None = None,
          label_studio_bin: str | None = None, timeout: float = 240.0, push: str | Path | None = None,
          template: str | None = None, reference_prelabels: bool = False, guidelines: Path | None = None,
          allow_loopback_hooks: bool | None = None, postgres: bool = False, note: Note = no_note,
          reading: Progress = no_progress, progress: Progress = no_progress) -> Started:
    """Start Label Studio with an admin account and a working API token (reusing a running one); ``push``: also
    push this dataset as a new project (read before starting, so a bad file fails fast)."""
    srv = server(data_dir, note, port=port, host=host, bind=bind, docker=docker, image=image, database=database,
                 username=username, password=password, label_studio_bin=label_studio_bin, timeout=timeout,
                 allow_loopback_hooks=allow_loopback_hooks, postgres=postgres)
    ds = None
    if push:
        ds, _ = load_dataset(push, note=note, progress=reading)
        if reference_prelabels:
            ds = reference_as_prelabels(ds)
    info = srv.start()
    result = None
    if ds is not None:
        result = push_dataset(ds, template=template, url=info.url, data_dir=data_dir, guidelines=guidelines,
                              progress=progress)
    return Started(info=info, project=result)


def demo(dataset: str | Path = DEMO_DATASET, *, template: str = "rewardbench2", port: int | None = None,
         data_dir: Path = DEFAULT_DATA_DIR, docker: bool = False, label_studio_bin: str | None = None,
         note: Note = no_note, reading: Progress = no_progress, progress: Progress = no_progress) -> Started:
    """Start Label Studio with ``dataset`` pushed as a ready project, pre-labelled from its reference labels."""
    return start(data_dir=data_dir, port=port, docker=docker, label_studio_bin=label_studio_bin, push=dataset,
                 template=template, reference_prelabels=True, note=note, reading=reading, progress=progress)


def stop(data_dir: Path = DEFAULT_DATA_DIR) -> str | None:
    """Stop the Label Studio started from ``data_dir`` (its own process group only) and the data dir's own
    PostgreSQL if it runs one: what was stopped ("Label Studio", "Label Studio and its PostgreSQL"), None: nothing
    was running."""
    srv = server(data_dir)
    stopped = srv.stop()
    if not stopped and not srv.stopped_postgres:
        return None
    return "Label Studio and its PostgreSQL" if srv.stopped_postgres else "Label Studio"


def status(data_dir: Path = DEFAULT_DATA_DIR) -> dict[str, Any]:
    """URL, version, PIDs, data dir, credentials file and whether the API answers."""
    return server(data_dir).status()


# ---------------------------------------------------------------------- pull
class Pulled(BaseModel):
    """The dataset written and the pull's figures (new, changed, unchanged, skipped, annotators)."""

    output: str
    stats: dict[str, Any]


def pull(project: int, *, output: Path | None = None, dataset: str | Path | None = None,
         template: str | None = None, url: str | None = None, token: str | None = None,
         data_dir: Path = DEFAULT_DATA_DIR, pages: bool = False, strict: bool = False,
         progress: Progress = no_progress, check_path: CheckPath = any_path) -> Pulled:
    """Every annotation of every annotator of ``project``, as human annotations next to the originals, written
    to ``output`` (default ``labelstudio-project-ID.jsonl``, checked with ``check_path``); added to ``dataset``
    (default: the output if it exists, else the copy kept at push time, else the samples the tasks carry).
    ``strict``: an answer that fits no question or option is an error and nothing is written."""
    out = output if output is not None else check_path(Path(f"labelstudio-project-{project}.jsonl"), "output")
    base = None
    if dataset:
        base, _ = load_dataset(dataset)
    elif out.exists():
        base, _ = load_dataset(out)
    ds, stats = pull_project(project, url, token, dataset=base, data_dir=data_dir, template=template,
                             progress=progress, method="pages" if pages else "export", strict=strict)
    save(ds, out)
    return Pulled(output=str(out), stats=stats.as_dict())


# ---------------------------------------------------------------------- webhooks, users
def webhook_add(project: int, hook_url: str, events: list[str] | None = None, *, server_url: str | None = None,
                token: str | None = None, data_dir: Path = DEFAULT_DATA_DIR) -> tuple[dict[str, Any], list[str]]:
    """Ask Label Studio to call ``hook_url`` on ``events`` (repeated or comma-separated; none: every event);
    the webhook made and the events, upper-cased."""
    actions = [e.upper() for e in comma_list(events or [])]
    with connect(server_url, token, data_dir) as client:
        client.get_project(project)
        hook = client.create_webhook(project, hook_url, actions)
    return hook, actions


def user_add(email: str, password: str | None = None, *, server_url: str | None = None, token: str | None = None,
             data_dir: Path = DEFAULT_DATA_DIR) -> dict[str, Any]:
    """An annotator account made through the organisation's invite link, with its password (generated when
    not given) and API token."""
    password = password or secrets.token_urlsafe(12)
    with connect(server_url, token, data_dir) as client:
        user = add_user(client, email, password)
    return {**user, "password": password}

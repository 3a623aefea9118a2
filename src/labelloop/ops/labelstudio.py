"""Label Studio: start a local one (and push a first dataset), stop it, ask its status, push datasets as
projects, pull every annotator's work back, add webhooks and annotator accounts."""

from __future__ import annotations

import hashlib
import json
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
from labelloop.data.io import atomic_open
from labelloop.data.model import Dataset
from labelloop.data.provenance import GOLD_CHECK
from labelloop.errors import InputFileError, ParameterError
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
from labelloop.ops.assign import load_plan, plan_datasets

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


# ---------------------------------------------------------------------- a plan: one project per person
PLANS_FILE = "plans.json"  # in the data dir: which projects each pushed plan made, per server
ACCOUNTS_FILE = "annotators.json"  # in the data dir, 0600: the passwords of the accounts a plan push made


class PlanPushed(BaseModel):
    """A plan pushed: per person their email, whether the account was made now, their projects and task counts."""

    plan: str
    url: str
    annotators: dict[str, dict[str, Any]]
    tasks: int
    gold: int
    accounts_file: str | None


def _plan_key(plan: Path, doc: dict[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps(doc["assignments"], sort_keys=True).encode()).hexdigest()[:16]
    return f"{plan.resolve()}#{digest}"


def annotator_email(name: str) -> str:
    """A person's Label Studio login: their name when it is an email, else ``name@labelloop.local``."""
    if "@" in name:
        return name
    return "".join(c if c.isalnum() or c in "._-" else "-" for c in name.lower()).strip(".-") + "@labelloop.local"


def _read_json(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise InputFileError(f"Cannot read {path}: {exc}.") from None
    return doc if isinstance(doc, dict) else {}


def _write_private(path: Path, doc: dict[str, Any]) -> None:
    with atomic_open(path, perm=0o600) as fh:
        json.dump(doc, fh, indent=2, ensure_ascii=False)


def push_plan(dataset: str | Path, plan: str | Path, *, template: str | None = None, project_title: str | None = None,
              url: str | None = None, token: str | None = None, data_dir: Path = DEFAULT_DATA_DIR,
              batch_size: int = 500, seed: int = 0, shuffle: bool = True, guidelines: Path | None = None,
              fmt: str = "auto", note: Note = no_note, reading: Progress = no_progress,
              progress: Progress = no_progress) -> PlanPushed:
    """A plan from ``labelloop assign`` in Label Studio Community Edition, which cannot hand tasks to people: one
    project per person (``TITLE · NAME``, split by answer count as any push) holding only their tasks, gold
    mixed in as the plan orders them and looking like any other task; an account per person made as needed
    (``name@labelloop.local`` unless the name is an email; passwords in the data dir's ``annotators.json``,
    readable only by you). The projects are recorded in the data dir so ``pull --plan`` brings them back as one
    dataset."""
    plan = Path(plan)
    doc = load_plan(plan)
    ds, _ = load_dataset(dataset, fmt, note=note, progress=reading)
    per = plan_datasets(ds, doc, plan_path=plan)
    gold = set((doc.get("gold") or {}).get("ids", []))
    title = project_title or ds.name
    accounts_path = Path(data_dir) / ACCOUNTS_FILE
    with connect(url, token, data_dir) as client:
        server = client.url.rstrip("/")
        known = {str(u.get("email") or "").lower() for u in client.users()}
        accounts = _read_json(accounts_path)
        made = False
        people: dict[str, dict[str, Any]] = {}
        for name in per:
            email = annotator_email(name)
            created = email.lower() not in known
            if created:
                password = secrets.token_urlsafe(12)
                add_user(client, email, password)
                accounts.setdefault(server, {})[email] = password
                made = True
            people[name] = {"email": email, "account_created": created}
        if made:
            _write_private(accounts_path, accounts)
    record = _read_json(Path(data_dir) / PLANS_FILE)
    key = _plan_key(plan, doc)
    mine: dict[str, list[int]] = {}
    total = 0
    for name, sub in per.items():
        if not sub.samples:
            people[name].update({"projects": [], "tasks": 0, "gold": 0})
            continue
        note(f"Pushing {name}'s {len(sub.samples)} task(s)…")
        res = push_dataset(sub, template=template, project_title=f"{title} · {name}", url=url, token=token,
                           data_dir=data_dir, batch_size=batch_size, seed=seed, shuffle=shuffle, guidelines=guidelines,
                           progress=progress)
        mine[name] = [int(p["project_id"]) for p in res.projects]
        people[name].update({"projects": res.projects, "tasks": res.tasks,
                             "gold": sum(1 for s in sub.samples if s.id in gold)})
        total += res.tasks
    record.setdefault(server, {})[key] = {"plan": str(plan), "annotators": mine,
                                          "emails": {n: people[n]["email"] for n in per}, "gold": sorted(gold)}
    _write_private(Path(data_dir) / PLANS_FILE, record)
    return PlanPushed(plan=str(plan), url=server, annotators=people, tasks=total, gold=len(gold),
                      accounts_file=str(accounts_path) if accounts_path.exists() else None)


class PlanPulled(BaseModel):
    """Every project of a pushed plan pulled into one dataset: the summed pull stats, per person their projects'
    figures, the gold checks marked, and the annotations made in a person's project by someone else."""

    output: str
    stats: dict[str, Any]
    annotators: dict[str, dict[str, Any]]
    gold_checks: int
    by_others: int


def pull_plan(plan: str | Path, *, output: Path | None = None, dataset: str | Path | None = None,
              template: str | None = None, url: str | None = None, token: str | None = None,
              data_dir: Path = DEFAULT_DATA_DIR, pages: bool = False, strict: bool = False,
              progress: Progress = no_progress, check_path: CheckPath = any_path) -> PlanPulled:
    """The projects ``push --plan`` made for ``plan`` on this server, pulled into one dataset (``output``,
    default ``labelstudio-plan.jsonl``). Answers on the plan's gold samples are marked
    ``metadata['gold_check']`` (checks of the person, not labels); an answer in a person's project by someone
    else is kept and counted (Community Edition lets anyone open any project)."""
    plan = Path(plan)
    doc = load_plan(plan)
    out = output if output is not None else check_path(Path("labelstudio-plan.jsonl"), "output")
    base = None
    if dataset:
        base, _ = load_dataset(dataset)
    elif out.exists():
        base, _ = load_dataset(out)
    with connect(url, token, data_dir) as client:
        server = client.url.rstrip("/")
        entry = _read_json(Path(data_dir) / PLANS_FILE).get(server, {}).get(_plan_key(plan, doc))
        if not entry:
            raise ParameterError("plan", f"{{param}} {ParameterError.literal(str(plan))} was not pushed to "
                                         f"{ParameterError.literal(server)} from this data dir; push it first with "
                                         "labelloop labelstudio push DATASET --plan PLAN.")
        gold = set(entry.get("gold") or [])
        before = {s.id for s in base.samples} if base is not None else None
        acc = base
        summed: dict[str, Any] = {}
        people: dict[str, dict[str, Any]] = {}
        for name, pids in entry["annotators"].items():
            people[name] = {"email": entry["emails"].get(name), "projects": pids, "annotations": 0}
            for pid in pids:
                acc, stats = pull_project(pid, dataset=acc, data_dir=data_dir, template=template, progress=progress,
                                          method="pages" if pages else "export", strict=strict, client=client)
                st = stats.as_dict()
                people[name]["annotations"] += st["annotations"]
                for k, v in st.items():
                    if isinstance(v, int) and k != "project_id":
                        summed[k] = summed.get(k, 0) + v
                    elif isinstance(v, list) and k in ("unmapped_tasks", "missing_tasks", "notes"):
                        summed.setdefault(k, []).extend(v)
                    elif isinstance(v, dict) and k in ("unmapped", "missing_required"):
                        d = summed.setdefault(k, {})
                        for q, n in v.items():
                            d[q] = d.get(q, 0) + n
                    elif k == "annotators":
                        summed["annotators"] = sorted(set(summed.get("annotators", [])) | set(v))
    assert acc is not None
    owner = {pid: entry["emails"].get(name) for name, pids in entry["annotators"].items() for pid in pids}
    from_file = bool((doc.get("gold") or {}).get("file"))
    checks = others = 0
    for s in acc.samples:
        if from_file and s.id in gold and (before is None or s.id not in before):
            s.metadata["gold"] = True  # a sample of the plan's gold file, not of the dataset
        for i, a in enumerate(s.annotations):
            meta = a.metadata.get("labelstudio") if isinstance(a.metadata.get("labelstudio"), dict) else None
            if a.kind != "human" or meta is None or int(meta.get("project_id", -1)) not in owner:
                continue
            if str(a.annotator).lower() != str(owner[int(meta["project_id"])]).lower():
                others += 1
            if s.id in gold:
                checks += 1
                if not a.metadata.get(GOLD_CHECK):
                    s.annotations[i] = a.model_copy(update={"metadata": {**a.metadata, GOLD_CHECK: True}})
    save(acc, out)
    return PlanPulled(output=str(out), stats=summed, annotators=people, gold_checks=checks, by_others=others)

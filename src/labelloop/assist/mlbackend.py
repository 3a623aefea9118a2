"""A Label Studio ML backend that serves a predictor and retrains it from new annotations.

It speaks the protocol Label Studio 1.17–1.23 uses (``ml/api_connector.py`` there):

- ``GET /health`` → ``{"status": "UP", ...}``;
- ``POST /setup`` with ``project`` (``"<id>.<created timestamp>"``) and ``schema`` (the label config)
  → ``{"model_version": ...}``; Label Studio calls it before every prediction round, so a new
  version is noticed without anyone restarting anything;
- ``POST /predict`` with ``tasks``, ``project``, ``label_config``, ``params`` → ``{"results": [...]}``,
  one ``{"model_version", "score", "result"}`` per task, the result items' ``from_name`` / ``to_name``
  / ``type`` taken from the project's label config;
- ``POST /webhook``: Label Studio creates this webhook itself when the backend is added, and sends
  every event there; ``ANNOTATION_CREATED`` / ``ANNOTATION_UPDATED`` / ``ANNOTATIONS_CREATED`` are
  learned from, ``ANNOTATIONS_DELETED`` forgotten, ``START_TRAINING`` (the "Start training" button)
  retrains; other events get 200 and are ignored;
- ``POST /train`` (the older training call with every annotated task), ``GET /versions``, ``GET /metrics``.

Retraining never runs inside a request: it runs in a background thread, one per project at a time;
events that arrive meanwhile coalesce into one more run. A new model is saved under a new version
directory (written beside, then renamed) and swapped in under a lock, so a prediction uses either
the old or the new model, never half of one; only the last ``keep_versions`` are kept. Restarting
loads the latest saved version and the annotations received so far, and removes what a killed
process left half-written.

Every request is untrusted, so the HTTP side is bounded (``Limits``): a request is authenticated and
its ``Content-Length`` checked before a byte of its body is read; connections have an idle timeout,
a deadline for reading a whole request, and a cap on how many are served at once. Without
authentication the server listens only on loopback and answers only requests addressed to a
loopback name that no web page sent (no foreign ``Origin``), so a page the user opens can neither
inject labels nor read ``/metrics`` after DNS rebinding; POST bodies must be ``application/json``,
which a page cannot send cross-site without a preflight the server never grants. A 500 reply says
only an error id; the details go to the log.
"""

from __future__ import annotations

import base64
import contextlib
import hmac
import io
import json
import logging
import os
import re
import secrets
import shutil
import socket
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from labelloop.assist.predictors import LocalPredictor, Predictor, make_predictor
from labelloop.data.io import (
    HOST_TAG,  # the writer's host tag in temp names: leftovers are judged by one rule, the one io uses
    STALE_AFTER_S,
    JSONTextError,
    atomic_open,
    parse_json,
    pid_alive,
    remove_stale_temps,
)
from labelloop.data.model import Annotation, DataSample, Dataset, Message
from labelloop.data.schema import AnnotationSchema, Option, Question
from labelloop.errors import LabelloopError
from labelloop.templates.labelstudio import ID_KEY, ORDER_KEY, LabelStudioTemplate, template_from_config
from labelloop.urls import LOOPBACK, is_loopback

log = logging.getLogger("labelloop.mlbackend")

LEARN_EVENTS = ("ANNOTATION_CREATED", "ANNOTATION_UPDATED", "ANNOTATIONS_CREATED")
TRAIN_EVENTS = ("START_TRAINING",)
FORGET_EVENTS = ("ANNOTATIONS_DELETED",)
MAX_BODY = 32 * 1024 * 1024
MAX_ID_CHARS = 128
MAX_ANNOTATOR_CHARS = 256
CONTROL_TAGS = {"choices", "rating", "number", "textarea", "ranker", "labels", "taxonomy"}
class BadRequest(Exception):
    """A payload the backend cannot use; answered with ``status`` (400) and this reason."""

    status = 400


class TooManyProjects(BadRequest):
    """A new project past ``max_projects``: refused, so that made-up project ids cannot grow memory and disk."""

    status = 403


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true or false"
    return {dict: "an object", list: "a list", float: "a decimal number", type(None): "null"}.get(
        type(value), type(value).__name__)


def ident(value: Any, what: str) -> str:
    """An id from a payload (a number or a short string) as text; a list, object, boolean or null is refused."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise BadRequest(f"{what} must be a number or a string, not {_json_kind(value)}")
    text = str(value)
    if not text or len(text) > MAX_ID_CHARS:
        raise BadRequest(f"{what} must be 1 to {MAX_ID_CHARS} characters long")
    return text


def _annotator(ann: dict[str, Any], where: str) -> str:
    """Who annotated: Label Studio sends a user id (``user:12``, as Label Studio result files are read), some
    exports a user object (its email, else its id). What names nobody usable is refused, never mapped to a
    shared name or shortened: either would merge different people into one annotator."""
    if "completed_by" not in ann:
        return "labelstudio"
    value = ann["completed_by"]
    what = f"{where}: the 'completed_by' of annotation {ann.get('id')}"
    if isinstance(value, dict):
        email, uid = value.get("email"), value.get("id")
        if isinstance(email, str) and email.strip():
            value = email
        elif (isinstance(uid, int) and not isinstance(uid, bool)) or (isinstance(uid, str) and uid.strip()):
            value = f"user:{uid}"
        else:
            raise BadRequest(f"{what} is a user object with neither an 'email' nor an 'id'")
    elif isinstance(value, int) and not isinstance(value, bool):
        value = f"user:{value}"
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"{what} must be a user id (a number), an email or a user object, not "
                         f"{'an empty string' if isinstance(value, str) else _json_kind(value)}")
    if len(value) > MAX_ANNOTATOR_CHARS:
        raise BadRequest(f"{what} is {len(value)} characters long, over the limit of {MAX_ANNOTATOR_CHARS} "
                         "(a shortened name could merge two people)")
    return value


# ---------------------------------------------------------------------- label config
@dataclass
class LabelConfig:
    """A project's label config: its controls as parsed from the XML, and how results map to values."""

    xml: str
    controls: dict[str, tuple[str, str]]  # from_name -> (type, to_name)
    objects: dict[str, str]  # object tag name -> task data key it shows
    choices: dict[str, list[str]]
    multiple: set[str]
    template: LabelStudioTemplate | None
    schema: AnnotationSchema

    def data(self, task: dict[str, Any]) -> dict[str, Any]:
        """A task's ``data``, checked as far as the backend reads it."""
        data = task.get("data")
        if not isinstance(data, dict):
            raise BadRequest(f"task {task.get('id')!r} has no 'data' object")
        if task.get("id") is not None:
            ident(task["id"], "task id")
        if data.get(ID_KEY) is not None:
            ident(data[ID_KEY], f"task {task.get('id')!r}: '{ID_KEY}'")
        order = data.get(ORDER_KEY)
        if order is not None and not (isinstance(order, list) and all(isinstance(c, str) for c in order)):
            raise BadRequest(f"task {task.get('id')!r}: '{ORDER_KEY}' must be a list of candidate ids (strings)")
        return data

    def _fit(self, call: Callable[[], Any], task: dict[str, Any]) -> Any:
        """A template reading a payload: what it cannot read is the payload's fault (400), not a crash."""
        try:
            return call()
        except (TypeError, ValueError, AttributeError, KeyError, IndexError) as exc:
            log.info("task %r does not fit the label config: %r", task.get("id"), exc)
            raise BadRequest(f"task {task.get('id')!r}: its data or annotation result does not fit the project's "
                             "label config") from None

    def sample(self, task: dict[str, Any]) -> DataSample:
        """The labelloop sample a task shows (candidate ids from the task's ``labelloop_order``)."""
        data = self.data(task)
        if self.template is not None:
            tpl = self.template
            return self._fit(lambda: tpl.sample_from_task(
                {**data, ID_KEY: data.get(ID_KEY, f"task-{task.get('id')}")}), task)
        texts = [str(data.get(key, "")) for key in self.objects.values() if key in data]
        return DataSample(id=str(data.get(ID_KEY, f"task-{task.get('id')}")),
                          prompt=[Message(role="user", content="\n\n".join(texts))])

    def values(self, result: list[Any], task: dict[str, Any]) -> dict[str, Any]:
        """An annotation's ``result`` as values, in candidate ids."""
        if not isinstance(result, list):
            raise BadRequest("annotation 'result' is not a list")
        for item in result:
            if not isinstance(item, dict):
                raise BadRequest("an annotation result item is not an object")
            for key, kind in (("from_name", str), ("to_name", str), ("type", str), ("value", dict)):
                if item.get(key) is not None and not isinstance(item[key], kind):
                    raise BadRequest(f"an annotation result item's {key!r} is not "
                                     f"{'a string' if kind is str else 'an object'}")
        if self.template is not None:
            data, tpl = self.data(task), self.template
            values = self._fit(lambda: tpl.process_annotations(result, data), task)
            values.pop("_unmapped", None)
            return values
        out: dict[str, Any] = {}
        for item in result:
            name = item.get("from_name")
            picked = (item.get("value") or {}).get("choices")
            if (name in self.choices and name not in self.multiple and isinstance(picked, list) and len(picked) == 1
                    and isinstance(picked[0], str)):
                out[name] = picked[0]
        return out

    def result(self, values: dict[str, Any], task: dict[str, Any]) -> list[dict[str, Any]]:
        """Values as Label Studio result items, only for controls the config has."""
        data = task.get("data") or {}
        if self.template is not None:
            tpl = self.template
            items = self._fit(lambda: tpl.to_result(values, data), task)
        else:
            items = [{"from_name": q, "to_name": self.controls[q][1], "type": "choices", "value": {"choices": [v]}}
                     for q, v in values.items() if q in self.controls]
        out = []
        for item in items:
            ctl = self.controls.get(item.get("from_name", ""))
            if ctl is None:
                continue
            out.append({**item, "type": ctl[0], "to_name": ctl[1]})
        return out


def parse_label_config(xml: str) -> LabelConfig:
    """Controls (``from_name`` → type and ``to_name``) from the XML; the schema from labelloop's comment, else
    one single-choice question per ``<Choices>``."""
    if not isinstance(xml, str) or not xml.strip():
        raise BadRequest("label config is empty")
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise BadRequest(f"label config is not valid XML ({exc})") from None
    controls: dict[str, tuple[str, str]] = {}
    objects: dict[str, str] = {}
    choices: dict[str, list[str]] = {}
    multiple: set[str] = set()
    for el in root.iter():
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        name = el.get("name")
        if not name:
            continue
        if tag in CONTROL_TAGS and el.get("toName"):
            controls[name] = (tag, el.get("toName", "").split(",")[0])
            if tag == "choices":
                choices[name] = [c.get("value", "") for c in el if isinstance(c.tag, str) and c.tag.lower() == "choice"]
                if (el.get("choice") or "single") == "multiple":
                    multiple.add(name)
        elif el.get("value", "").startswith("$"):
            objects[name] = el.get("value", "")[1:]
    try:
        template = template_from_config(xml)
    except (LabelloopError, ValueError, KeyError):
        template = None
    if template is not None:
        schema = template.schema
    else:
        questions = [Question(name=n, type="single_choice", options=[Option(value=v) for v in dict.fromkeys(opts)])
                     for n, opts in choices.items() if n not in multiple and opts]
        schema = AnnotationSchema(name="labelstudio", fields=[], questions=questions)
    if not controls:
        raise BadRequest("label config has no control tags (Choices, Rating, …) to predict")
    return LabelConfig(xml, controls, objects, choices, multiple, template, schema)


def project_key(value: Any) -> str:
    """``"12.1700000000"`` (setup / predict), ``12`` or ``{"id": 12}`` (webhooks) → ``"12"``."""
    if isinstance(value, dict):
        value = value.get("id")
    if value is None or value == "":
        return "default"
    text = ident(value, "project").split(".")[0].strip()
    if not text.isascii() or not text.replace("-", "").replace("_", "").isalnum():
        raise BadRequest(f"project {value!r} is not a project id")
    return text


def _is_project_dir(name: str) -> bool:
    try:
        return project_key(name) == name
    except BadRequest:
        return False


def _saved_versions(vroot: Path) -> list[Path]:
    """A project's saved version directories, oldest first (temporary and half-deleted ones start with a dot)."""
    if not vroot.is_dir():
        return []
    return sorted((p for p in vroot.iterdir() if p.name.isdigit() and p.is_dir()), key=lambda p: int(p.name))


# Version directories being written (``.000007.PID-HOST.RANDOM``) or deleted (``.deleting-000002.PID-HOST``) name
# their writer like the temporary files of atomic writes do, and are judged by the same rule: another backend
# process on the same model dir may be writing one right now.
_OWNER = re.compile(r"\.(?P<pid>\d+)-(?P<host>[0-9a-f]{6})(?=\.|\Z)")
_TEMP_NAME = re.compile(r"\.(?P<name>.+?)\.(?:\d+-[0-9a-f]{6}\.)?[0-9a-f]{12}\.tmp\Z", re.S)
_LIVE_DIRS: set[str] = set()  # this process's version directories being written or deleted (absolute paths)


def _owner_tag() -> str:
    return f"{os.getpid()}-{HOST_TAG}"


def _newest_mtime(path: Path) -> float:
    """A directory's age is that of its newest entry: a model being saved into it keeps it young."""
    newest = path.lstat().st_mtime
    if path.is_dir() and not path.is_symlink():
        with os.scandir(path) as entries:
            for entry in entries:
                with contextlib.suppress(OSError):
                    newest = max(newest, entry.stat(follow_symlinks=False).st_mtime)
    return newest


def _leftover(path: Path, now: float) -> bool:
    """Whether a dot entry of ``versions/`` was left by a writer that is gone: on this host, its process ended
    (or, for this process, it is not one being written now); where that cannot be told, it is over
    ``STALE_AFTER_S`` old (``remove_stale_temps``' rule for temporary files)."""
    try:
        age = now - _newest_mtime(path)
    except OSError:
        return False
    m = _OWNER.search(path.name)
    if m is not None and m["host"] == HOST_TAG:
        pid = int(m["pid"])
        if pid == os.getpid():
            return os.path.abspath(path) not in _LIVE_DIRS
        if not pid_alive(pid):
            return True
        return age > 24 * STALE_AFTER_S  # the pid was reused since
    return age > STALE_AFTER_S


def _remove_leftovers(pdir: Path) -> None:
    """What a process killed mid-write left in a project's directory: version directories being written or
    deleted (``versions/.*``) and the temporary files of atomic writes (``.*.tmp``); never what a backend still
    running on the same model dir is writing."""
    vroot, now = pdir / "versions", time.time()
    for tmp in sorted(vroot.glob(".*")) if vroot.is_dir() else []:
        if not _leftover(tmp, now):
            log.info("keeping %s: its writer may still be running", tmp)
            continue
        log.info("removing leftover %s", tmp)
        if tmp.is_dir() and not tmp.is_symlink():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                tmp.unlink()
    names = {m["name"] for tmp in (pdir.glob(".*.tmp") if pdir.is_dir() else []) if (m := _TEMP_NAME.match(tmp.name))}
    for name in sorted(names):
        for tmp in remove_stale_temps(pdir / name):
            log.info("removed leftover %s", tmp)


# ---------------------------------------------------------------------- per-project state
@dataclass
class ProjectState:
    key: str
    dir: Path
    lock: threading.RLock = field(default_factory=threading.RLock)
    config: LabelConfig | None = None
    model: Predictor | None = None
    version: str | None = None
    seq: int = 0
    records: dict[str, dict[str, Any]] = field(default_factory=dict)  # annotation id -> record
    new_since_training: int = 0
    training: bool = False
    pending: bool = False
    trainings: int = 0
    training_started: float | None = None
    last_training_s: float | None = None
    last_error: str | None = None
    thread: threading.Thread | None = None
    users: int = 0  # requests holding this state now (a new, empty project is dropped when the last one ends)

    def empty(self) -> bool:
        return (self.config is None and self.model is None and not self.records and not self.training
                and not self.dir.exists())


class MLBackend:
    """The protocol, independent of HTTP: ``handle(method, path, body)`` → ``(status, json)``."""

    def __init__(self, predictor: str = "tfidf", *, model_dir: str | Path = ".labelloop/mlbackend",
                 retrain_every: int = 10, dataset: Dataset | None = None, seed: int = 0,
                 predictor_options: dict[str, Any] | None = None,
                 factory: Callable[[], Predictor] | None = None, keep_versions: int = 5,
                 max_projects: int = 100) -> None:
        if isinstance(keep_versions, bool) or not isinstance(keep_versions, int) or keep_versions < 1:
            raise LabelloopError(f"keep_versions must be a whole number of at least 1, not {keep_versions!r}.")
        if isinstance(max_projects, bool) or not isinstance(max_projects, int) or max_projects < 1:
            raise LabelloopError(f"max_projects must be a whole number of at least 1, not {max_projects!r}.")
        self.keep_versions = keep_versions
        self.max_projects = max_projects
        self.predictor_name = predictor
        self.options = dict(predictor_options or {})
        self.seed = seed
        self.kinds = ("human", "reference")
        self.factory = factory or (lambda: make_predictor(predictor, kinds=self.kinds, seed=seed, **self.options))
        self.factory()  # fail now (unknown name, missing extra), not inside a request
        self.model_dir = Path(model_dir)
        self.retrain_every = max(0, int(retrain_every))
        self.base = dataset
        self.projects: dict[str, ProjectState] = {}
        self.lock = threading.Lock()
        self._local = threading.local()  # the project states the current request holds
        self.stats = {"predict_requests": 0, "tasks_predicted": 0, "predict_seconds": 0.0, "webhooks": 0,
                      "ignored_events": 0, "bad_requests": 0}
        self.started = time.time()
        self._base_model: tuple[Predictor, str] | None = None
        if dataset is not None:
            self.fit_base()
        self.model_dir.mkdir(parents=True, exist_ok=True)
        for pdir in sorted((self.model_dir / "projects").glob("*")):
            if pdir.is_dir() and _is_project_dir(pdir.name):
                self._state(pdir.name, restoring=True)

    # ------------------------------------------------------------------ state and storage
    def _state(self, key: str, *, restoring: bool = False) -> ProjectState:
        held = getattr(self._local, "held", None)
        with self.lock:
            st = self.projects.get(key)
            if st is None:
                if not restoring and len(self.projects) >= self.max_projects:
                    raise TooManyProjects(f"project {key} is new and this backend already tracks "
                                          f"{self.max_projects} projects, its limit (--max-projects); raise the "
                                          "limit or remove a project's directory from the model dir")
                st = ProjectState(key, self.model_dir / "projects" / key)
                self._restore(st)
                self.projects[key] = st
            if held is not None:
                st.users += 1
                held.append(st)
            return st

    def _release(self, held: list[ProjectState]) -> None:
        """End of a request: a project it named but stored nothing for (bad payload, ``/setup`` without a
        config) is forgotten, so made-up ids count against ``max_projects`` only while in use."""
        with self.lock:
            for st in held:
                st.users -= 1
                if st.users == 0 and self.projects.get(st.key) is st and st.empty():
                    del self.projects[st.key]

    def _restore(self, st: ProjectState) -> None:
        """Label config, annotations, counters and the latest saved model of a project, after a restart."""
        _remove_leftovers(st.dir)
        cfg = st.dir / "label_config.xml"
        if cfg.exists():
            try:
                st.config = parse_label_config(cfg.read_text(encoding="utf-8"))
            except BadRequest:
                st.config = None
        events = st.dir / "events.jsonl"
        if events.exists():
            with open(events, encoding="utf-8") as fh:
                for line in fh:
                    try:
                        ev = json.loads(line)
                    except json.JSONDecodeError:
                        continue  # a line torn by a crash mid-write
                    if ev.get("op") == "put":
                        st.records[str(ev["annotation_id"])] = ev
                    elif ev.get("op") == "delete":
                        st.records.pop(str(ev["annotation_id"]), None)
        state = st.dir / "state.json"
        if state.exists():
            try:
                st.new_since_training = int(json.loads(state.read_text(encoding="utf-8")).get("new_since_training", 0))
            except (json.JSONDecodeError, ValueError, AttributeError):
                st.new_since_training = 0
        for vdir in reversed(_saved_versions(st.dir / "versions")):
            meta = vdir / "meta.json"
            if not meta.exists():
                continue
            try:
                info = json.loads(meta.read_text(encoding="utf-8"))
                model = self.factory()
                model.load(vdir / "model.bin")
            except (LabelloopError, json.JSONDecodeError, OSError) as exc:
                log.warning("cannot load %s: %s", vdir, exc)
                continue
            st.model, st.version, st.seq = model, info["version"], int(info["seq"])
            break
        self._prune_versions(st)

    def _append(self, st: ProjectState, events: list[dict[str, Any]]) -> None:
        st.dir.mkdir(parents=True, exist_ok=True)
        with open(st.dir / "events.jsonl", "a", encoding="utf-8") as fh:
            for ev in events:
                fh.write(json.dumps(ev, ensure_ascii=False, separators=(",", ":")) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        with atomic_open(st.dir / "state.json") as fh:
            json.dump({"new_since_training": st.new_since_training}, fh)

    def _set_config(self, st: ProjectState, xml: Any) -> LabelConfig:
        if xml is None or xml == "":
            if st.config is None:
                raise BadRequest(f"no label config known for project {st.key}: send 'label_config' (or set the "
                                 "project up with /setup first)")
            return st.config
        if not isinstance(xml, str):
            raise BadRequest("label config is not a string")
        if st.config is None or st.config.xml != xml:
            cfg = parse_label_config(xml)
            with st.lock:
                st.config = cfg
            st.dir.mkdir(parents=True, exist_ok=True)
            with atomic_open(st.dir / "label_config.xml") as fh:
                fh.write(xml)
        return st.config  # type: ignore[return-value]

    def _current(self, st: ProjectState) -> tuple[Predictor | None, str]:
        with st.lock:
            if st.model is not None:
                return st.model, st.version or "unknown"
        if self._base_model is not None:
            return self._base_model
        return None, f"{self.predictor_name}-untrained"

    def fit_base(self) -> str | None:
        """Fit the starting model on ``dataset`` (used by projects that have no model of their own yet)."""
        if self.base is None or self.base.schema is None:
            return None
        model = self.factory()
        labelled = [s for s in self.base.samples if any(a.kind in self.kinds for a in s.annotations)]
        if not labelled:
            return None
        version = model.fit(labelled, self.base.schema)
        self._base_model = (model, version)
        return version

    # ------------------------------------------------------------------ training
    def schedule_training(self, st: ProjectState, reason: str) -> str:
        """Start a background training, or mark one pending if one is running (bursts coalesce)."""
        with st.lock:
            st.new_since_training = 0
            if st.training:
                st.pending = True
                return "queued"
            st.training = True
            st.pending = False
            st.thread = threading.Thread(target=self._train_loop, args=(st, reason), daemon=True,
                                         name=f"labelloop-train-{st.key}")
            st.thread.start()
            return "started"

    def training_samples(self, st: ProjectState) -> tuple[list[DataSample], AnnotationSchema | None]:
        with st.lock:
            records = list(st.records.values())
            cfg = st.config
        by_task: dict[str, DataSample] = {}
        for rec in records:
            s = by_task.get(str(rec["task_id"]))
            if s is None:
                s = DataSample.model_validate(rec["sample"])
                by_task[str(rec["task_id"])] = s
            s.annotations.append(Annotation(annotator=str(rec.get("annotator", "labelstudio")), kind="human",
                                            values=rec["values"]))
        samples = list(by_task.values())
        if self.base is not None:
            samples = [s for s in self.base.samples if any(a.kind in self.kinds for a in s.annotations)] + samples
        schema = cfg.schema if cfg is not None else (self.base.schema if self.base is not None else None)
        return samples, schema

    def _train_loop(self, st: ProjectState, reason: str) -> None:
        while True:
            t0 = time.perf_counter()
            with st.lock:
                st.training_started = time.time()
            try:
                samples, schema = self.training_samples(st)
                if schema is None:
                    raise LabelloopError("no label config known yet")
                model = self.factory()
                version = model.fit(samples, schema)
                self._save_version(st, model, version, len(samples), reason)
                with st.lock:
                    st.last_error = None
            except Exception as exc:  # a failed training keeps the old model serving
                eid = secrets.token_hex(6)
                log.exception("training of project %s failed (error id %s)", st.key, eid)
                with st.lock:  # /metrics shows it: our own sentences, else only an id to find in the log
                    st.last_error = (str(exc) if isinstance(exc, LabelloopError) else
                                     f"{type(exc).__name__} (error id {eid}); the details are in the backend's log")
            with st.lock:
                st.last_training_s = time.perf_counter() - t0
                st.trainings += 1
                if not st.pending:
                    st.training = False
                    st.training_started = None
                    return
                st.pending = False
                reason = "coalesced events"

    def _save_version(self, st: ProjectState, model: Predictor, version: str, n: int, reason: str) -> None:
        with st.lock:
            seq = st.seq + 1
        vroot = st.dir / "versions"
        vroot.mkdir(parents=True, exist_ok=True)
        final = vroot / f"{seq:06d}"
        tmp = vroot / f".{seq:06d}.{_owner_tag()}.{secrets.token_hex(6)}"
        _LIVE_DIRS.add(os.path.abspath(tmp))  # before it exists: another backend in this process keeps it
        try:
            tmp.mkdir(mode=0o700)
            model.save(tmp / "model.bin")
            meta = {"seq": seq, "version": version, "predictor": self.predictor_name, "samples": n, "reason": reason,
                    "saved_at": time.time()}
            (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
            if final.exists():
                shutil.rmtree(final)
            os.replace(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        finally:
            _LIVE_DIRS.discard(os.path.abspath(tmp))
        with st.lock:  # the swap: one assignment under the lock predictions read through
            st.model, st.version, st.seq = model, version, seq
        self._prune_versions(st)

    def _prune_versions(self, st: ProjectState) -> None:
        """Keep the last ``keep_versions`` saved versions; an older one is renamed out of the listing first, so
        a crash mid-delete leaves only a leftover that the next start removes."""
        for old in _saved_versions(st.dir / "versions")[:-self.keep_versions]:
            trash = old.with_name(f".deleting-{old.name}.{_owner_tag()}")
            _LIVE_DIRS.add(os.path.abspath(trash))
            try:
                os.replace(old, trash)
            except OSError as exc:
                log.warning("cannot remove old version %s: %s", old, exc)
                continue
            else:
                shutil.rmtree(trash, ignore_errors=True)
            finally:
                _LIVE_DIRS.discard(os.path.abspath(trash))

    def wait_idle(self, timeout: float = 60.0) -> bool:
        """Block until no training runs (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                busy = [st for st in self.projects.values() if st.training]
            if not busy:
                return True
            time.sleep(0.02)
        return False

    # ------------------------------------------------------------------ endpoints
    def handle(self, method: str, path: str, body: Any) -> tuple[int, dict[str, Any]]:
        route = path.split("?", 1)[0].rstrip("/") or "/"
        self._local.held = []
        try:
            if method == "GET" and route in ("/health", "/"):
                return 200, self.health()
            if method == "GET" and route == "/metrics":
                return 200, self.metrics()
            if method == "GET" and route == "/versions":
                return 200, self.versions()
            if method != "POST" or route not in ("/setup", "/predict", "/webhook", "/train"):
                return 404, {"error": f"no endpoint {method} {route}"}
            if not isinstance(body, dict):
                raise BadRequest("the body must be a JSON object")
            if route == "/setup":
                return 200, self.setup(body)
            if route == "/predict":
                return 200, self.predict(body)
            if route == "/train":
                return 200, self.train(body)
            return 200, self.webhook(body)
        except BadRequest as exc:
            self.stats["bad_requests"] += 1
            return exc.status, {"error": str(exc)}
        finally:
            held, self._local.held = self._local.held, None
            self._release(held)

    def health(self) -> dict[str, Any]:
        return {"status": "UP", "model_class": f"labelloop.{self.predictor_name}", "predictor": self.predictor_name,
                "projects": len(self.projects)}

    def setup(self, body: dict[str, Any]) -> dict[str, Any]:
        st = self._state(project_key(body.get("project")))
        if body.get("schema") is not None:
            self._set_config(st, body.get("schema"))
        _, version = self._current(st)
        return {"model_version": version}

    def predict(self, body: dict[str, Any]) -> dict[str, Any]:
        tasks = body.get("tasks")
        if not isinstance(tasks, list) or not all(isinstance(t, dict) for t in tasks):
            raise BadRequest("'tasks' must be a list of task objects")
        st = self._state(project_key(body.get("project")))
        cfg = self._set_config(st, body.get("label_config"))
        samples = [cfg.sample(t) for t in tasks]
        t0 = time.perf_counter()
        model, version = self._current(st)  # one read: every task of a request gets the same model
        preds = model.predict(samples, cfg.schema) if model is not None and samples else [None] * len(samples)
        results = []
        for task, pred in zip(tasks, preds):
            if pred is None:
                results.append({"model_version": version, "score": 0.0, "result": []})
                continue
            results.append({"model_version": version, "score": float(pred.score or 0.0),
                            "result": cfg.result(pred.values, task)})
        self.stats["predict_requests"] += 1
        self.stats["tasks_predicted"] += len(tasks)
        self.stats["predict_seconds"] += time.perf_counter() - t0
        return {"results": results}

    def webhook(self, body: dict[str, Any]) -> dict[str, Any]:
        action = body.get("action")
        if not isinstance(action, str):
            raise BadRequest("webhook payload has no 'action'")
        self.stats["webhooks"] += 1
        if action not in LEARN_EVENTS + TRAIN_EVENTS + FORGET_EVENTS:
            self.stats["ignored_events"] += 1
            return {"status": "ignored", "action": action}
        project = body.get("project")
        if project is None:
            raise BadRequest(f"{action} payload has no 'project'")
        st = self._state(project_key(project))
        if isinstance(project, dict) and project.get("label_config"):
            self._set_config(st, project["label_config"])
        if action in TRAIN_EVENTS:
            if st.config is None and (self.base is None or self.base.schema is None):
                raise BadRequest(f"no label config known for project {st.key}: send the project's 'label_config' "
                                 "(or set the project up with /setup first)")
            return {"status": self.schedule_training(st, action), "action": action, "project": st.key}
        if action in FORGET_EVENTS:
            gone = body.get("annotations")
            if not isinstance(gone, list):
                raise BadRequest(f"{action} payload has no 'annotations' list")
            events = []
            with st.lock:
                ids = [ident(a.get("id") if isinstance(a, dict) else a, f"{action}: an annotation id") for a in gone]
                for aid in ids:
                    if st.records.pop(aid, None) is not None:
                        events.append({"op": "delete", "annotation_id": aid})
            if events:
                self._append(st, events)
            return {"status": "ok", "action": action, "forgotten": len(events)}
        cfg = self._set_config(st, None)
        pairs = _annotation_task_pairs(action, body)
        events = []
        learned = 0
        for ann, task in pairs:
            aid = ident(ann["id"], f"{action}: the annotation id")
            values = {} if ann.get("was_cancelled") else cfg.values(ann.get("result") or [], task)
            if not values:
                events.append({"op": "delete", "annotation_id": aid})
                continue
            sample = cfg.sample(task)
            events.append({"op": "put", "annotation_id": aid, "task_id": task["id"],
                           "annotator": _annotator(ann, action),
                           "sample": sample.model_dump(mode="json"), "values": values})
            learned += 1
        with st.lock:
            for ev in events:
                if ev["op"] == "put":
                    st.records[ev["annotation_id"]] = ev
                else:
                    st.records.pop(ev["annotation_id"], None)
            st.new_since_training += learned
            due = self.retrain_every > 0 and st.new_since_training >= self.retrain_every
        self._append(st, events)
        status = self.schedule_training(st, f"{self.retrain_every} new annotations") if due else "counted"
        return {"status": status, "action": action, "learned": learned, "project": st.key,
                "new_since_training": st.new_since_training}

    def train(self, body: dict[str, Any]) -> dict[str, Any]:
        """The older ``/train`` call: every annotated task in one request."""
        tasks = body.get("annotations")
        if not isinstance(tasks, list):
            raise BadRequest("'annotations' must be a list of tasks with their annotations")
        st = self._state(project_key(body.get("project")))
        cfg = self._set_config(st, body.get("label_config"))
        events = []
        for task in tasks:
            if not isinstance(task, dict):
                raise BadRequest("an item of 'annotations' is not a task object")
            anns = task.get("annotations") or []
            if not isinstance(anns, list):
                raise BadRequest(f"the 'annotations' of task {task.get('id')!r} are not a list")
            tid = ident(task.get("id"), "/train: a task id") if anns else None
            for ann in anns:
                if not isinstance(ann, dict) or "id" not in ann:
                    raise BadRequest(f"an annotation of task {tid} has no id")
                aid = ident(ann["id"], f"/train: an annotation id of task {tid}")
                values = {} if ann.get("was_cancelled") else cfg.values(ann.get("result") or [], task)
                if values:
                    events.append({"op": "put", "annotation_id": aid, "task_id": task["id"],
                                   "annotator": _annotator(ann, f"/train: task {tid}"),
                                   "sample": cfg.sample(task).model_dump(mode="json"), "values": values})
        with st.lock:
            for ev in events:
                st.records[ev["annotation_id"]] = ev
        self._append(st, events)
        return {"status": self.schedule_training(st, "/train"), "job": f"{st.key}-{st.seq + 1}"}

    def versions(self) -> dict[str, Any]:
        out = []
        for st in list(self.projects.values()):
            for vdir in _saved_versions(st.dir / "versions"):
                try:
                    out.append(json.loads((vdir / "meta.json").read_text(encoding="utf-8"))["version"])
                except (OSError, json.JSONDecodeError, KeyError):
                    continue
        return {"versions": out}

    def metrics(self) -> dict[str, Any]:
        projects = {}
        for key, st in sorted(self.projects.items()):
            with st.lock:
                projects[key] = {"model_version": self._current(st)[1], "saved_versions": st.seq,
                                 "annotations": len(st.records), "new_since_training": st.new_since_training,
                                 "training": st.training, "pending": st.pending, "trainings": st.trainings,
                                 "last_training_s": st.last_training_s, "last_error": st.last_error}
        n = self.stats["tasks_predicted"]
        return {"predictor": self.predictor_name, "retrain_every": self.retrain_every,
                "uptime_s": round(time.time() - self.started, 3), **self.stats,
                "mean_predict_ms_per_task": round(1000 * self.stats["predict_seconds"] / n, 4) if n else None,
                "projects": projects}


def _annotation_task_pairs(action: str, body: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    ann, task = body.get("annotation"), body.get("task")
    if action == "ANNOTATIONS_CREATED":
        anns = ann if isinstance(ann, list) else body.get("annotations")
        tasks = task if isinstance(task, list) else body.get("tasks")
        if not isinstance(anns, list) or not isinstance(tasks, list):
            raise BadRequest(f"{action} payload needs 'annotation' and 'task' lists")
        by_id: dict[str, dict[str, Any]] = {}
        for t in tasks:
            if not isinstance(t, dict):
                raise BadRequest(f"{action}: an item of 'task' is not a task object")
            by_id[ident(t.get("id"), f"{action}: a task id")] = t
        out = []
        for a in anns:
            if not isinstance(a, dict) or "id" not in a:
                raise BadRequest(f"{action}: an annotation has no id")
            aid = ident(a["id"], f"{action}: an annotation id")
            t = by_id.get(ident(a.get("task"), f"{action}: the task of annotation {aid}"))
            if t is None:
                raise BadRequest(f"{action}: annotation {aid} names task {a.get('task')!r}, which is not in the "
                                 "payload")
            out.append((a, t))
        return out
    if not isinstance(ann, dict) or "id" not in ann:
        raise BadRequest(f"{action} payload has no 'annotation' object with an id")
    if not isinstance(task, dict):
        raise BadRequest(f"{action} payload has no 'task' object")
    ident(task.get("id"), f"{action}: the task id")
    return [(ann, task)]


# ---------------------------------------------------------------------- HTTP
@dataclass(frozen=True)
class Limits:
    """Bounds of the HTTP server. Every request is untrusted: its size, how long it may take to arrive and how
    many connections are served at once are capped, so slow or hostile clients cannot hold memory or threads."""

    max_body: int = MAX_BODY  # bytes of one request body; more gets 413 before a byte of it is read
    max_connections: int = 64  # connections served at once; one more gets 503 and is closed
    timeout: float = 30.0  # seconds a connection may stay silent (between requests or within one)
    request_timeout: float = 120.0  # seconds from a request's first byte until its headers and body are in
    backlog: int = 128  # the listen queue; socketserver's default of 5 resets bursts of new connections

    def __post_init__(self) -> None:
        for name in ("max_body", "max_connections", "backlog"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise LabelloopError(f"{name} must be a whole number of at least 1, not {value!r}.")
        for name in ("timeout", "request_timeout"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise LabelloopError(f"{name} must be a number of seconds above 0, not {value!r}.")


class Auth:
    """Basic auth (``user:pass``) and/or a shared secret (``X-Labelloop-Secret`` or ``Authorization: Bearer``)."""

    def __init__(self, basic: str | None = None, secret: str | None = None) -> None:
        if basic is not None and ":" not in basic:
            raise LabelloopError("--basic-auth must be user:password.")
        self.basic = basic
        self.secret = secret

    @property
    def required(self) -> bool:
        return bool(self.basic or self.secret)

    def ok(self, headers: Any) -> bool:
        if not self.required:
            return True
        auth = headers.get("Authorization") or ""
        if self.basic and auth.startswith("Basic "):
            try:
                given = base64.b64decode(auth[6:].strip()).decode("utf-8")
            except (ValueError, UnicodeDecodeError):
                given = ""
            if hmac.compare_digest(given.encode(), self.basic.encode()):
                return True
        if self.secret:
            given = headers.get("X-Labelloop-Secret") or (auth[7:].strip() if auth.startswith("Bearer ") else "")
            if given and hmac.compare_digest(given.encode(), self.secret.encode()):
                return True
        return False


def _loopback_authority(value: str | None) -> bool:
    """A ``Host`` header naming a loopback host, with or without a port."""
    if not value:
        return False
    value = value.strip()
    if value.startswith("["):
        host, _, rest = value.partition("]")
        host, port = host + "]", rest[1:] if rest.startswith(":") else None
        if rest and port is None:
            return False
    elif value.count(":") == 1:
        host, port = value.split(":")
    else:
        host, port = value, None
    return is_loopback(host) and (port is None or (port.isdigit() and len(port) <= 5))


def _loopback_origin(value: str) -> bool:
    try:
        parts = urlsplit(value.strip())
        return parts.scheme in ("http", "https") and parts.hostname is not None and is_loopback(parts.hostname)
    except ValueError:
        return False


def check_host(host: str, auth: Auth | None = None) -> None:
    """Without authentication the backend listens only on loopback: anyone who can reach it could feed it labels."""
    if not (auth and auth.required) and not is_loopback(host):
        raise LabelloopError(f"--host {host or repr(host)} is not a loopback address; without --basic-auth or "
                             f"--secret the ML backend listens only on {', '.join(LOOPBACK[:-1])} or {LOOPBACK[-1]}.")


class _Reader(io.RawIOBase):
    """The connection's reads: silent at most ``idle`` seconds at a time, and once a request's first byte is in,
    the whole request (headers and body) within ``limit`` seconds, however slowly it trickles."""

    def __init__(self, sock: socket.socket, idle: float, limit: float) -> None:
        self.sock, self.idle, self.limit = sock, idle, limit
        self.deadline: float | None = None
        self.armed = False

    def readable(self) -> bool:
        return True

    def begin(self) -> None:
        """Waiting for a request: its first byte starts the clock."""
        self.armed, self.deadline = True, None
        self.sock.settimeout(self.idle)

    def end(self) -> None:
        """The request is read: handling and replying are bounded by the idle timeout only."""
        self.armed, self.deadline = False, None
        self.sock.settimeout(self.idle)

    def readinto(self, buf: Any) -> int:
        if self.deadline is not None:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"the request did not arrive within {self.limit:g} s")
            self.sock.settimeout(min(self.idle, left))
        n = self.sock.recv_into(buf)
        if self.armed and n:
            self.armed, self.deadline = False, time.monotonic() + self.limit
        return n


def _linger(sock: socket.socket, limit: int = 1 << 20, seconds: float = 2.0) -> None:
    """After a reply to a request whose body was not read: half-close and discard (never keep) what the client
    still sends, a bounded amount, so that it reads the reply rather than a connection reset."""
    try:
        sock.shutdown(socket.SHUT_WR)
        deadline, got = time.monotonic() + seconds, 0
        while got < limit:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            sock.settimeout(left)
            chunk = sock.recv(65536)
            if not chunk:
                break
            got += len(chunk)
    except OSError:
        pass


def _raw_reply(status: str, obj: dict[str, Any], extra: str = "") -> bytes:
    data = json.dumps(obj, ensure_ascii=False).encode("utf-8")
    return (f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n{extra}"
            "Connection: close\r\n\r\n").encode("ascii") + data


def _refuse_busy(sock: socket.socket, reply: bytes) -> None:
    """Over the connection cap, in the accepting thread: never block on the client."""
    try:
        sock.setblocking(False)
        with contextlib.suppress(BlockingIOError, InterruptedError):
            sock.recv(65536)  # what already arrived, so that closing sends a FIN rather than a reset
        sock.settimeout(1.0)
        sock.sendall(reply)
    except OSError:
        pass


def make_server(backend: MLBackend, host: str = "127.0.0.1", port: int = 9090, auth: Auth | None = None,
                limits: Limits | None = None) -> ThreadingHTTPServer:
    auth = auth or Auth()
    limits = limits or Limits()
    check_host(host, auth)
    slots = threading.BoundedSemaphore(limits.max_connections)
    busy = _raw_reply("503 Service Unavailable", {
        "error": f"the ML backend is busy: {limits.max_connections} connections are open, its limit; retry shortly"},
        "Retry-After: 1\r\n")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "labelloop-mlbackend"
        timeout = limits.timeout

        def setup(self) -> None:  # no Nagle: headers and body must not wait for a delayed ACK (~40 ms)
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.reader = _Reader(self.connection, limits.timeout, limits.request_timeout)
            self.rfile.close()
            self.rfile = io.BufferedReader(self.reader)

        def handle_one_request(self) -> None:
            self.reader.begin()
            super().handle_one_request()

        def handle_expect_100(self) -> bool:  # "100 Continue" only once the request passed the checks (_serve)
            return True

        def log_message(self, fmt: str, *args: Any) -> None:
            log.info("%s %s", self.address_string(), fmt % args)

        def _reply(self, status: int, obj: dict[str, Any], extra: dict[str, str] | None = None) -> None:
            data = json.dumps(obj, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def _check(self, method: str) -> tuple[int, str, dict[str, str]] | int:
            """Everything decided from the headers alone: a refusal, or the body's length."""
            h = self.headers
            if auth.required:
                if not auth.ok(h):
                    return (401, "authentication required: give the --basic-auth user and password or the --secret "
                            "this backend was started with",
                            {"WWW-Authenticate": 'Basic realm="labelloop"'} if auth.basic else {})
            else:  # no credentials: only local clients that are not web pages (CSRF, DNS rebinding)
                if not _loopback_authority(h.get("Host")):
                    shown = repr((h.get("Host") or "")[:100])
                    return (403, f"Host {shown} is not a loopback name; without authentication the backend answers "
                            "only requests addressed to 127.0.0.1, localhost or [::1]", {})
                origin = h.get("Origin")
                if origin is not None and not _loopback_origin(origin):
                    return (403, f"Origin {origin[:100]!r} is not a loopback origin; without authentication the "
                            "backend refuses requests sent by web pages", {})
            if method == "POST":
                ctype = (h.get("Content-Type") or "").split(";", 1)[0].strip().lower()
                if ctype != "application/json":
                    return 415, "a POST body must be JSON, sent with Content-Type: application/json", {}
            if h.get("Transfer-Encoding"):
                return 411, "send the body with a Content-Length header; chunked bodies are not accepted", {}
            lengths = h.get_all("Content-Length") or []
            if len(lengths) > 1:
                return 400, "the request has more than one Content-Length header", {}
            if not lengths:
                return 0
            text = lengths[0].strip()
            if not text.isdigit() or len(text) > 18:
                return 400, "the Content-Length header is not a whole number of bytes", {}
            n = int(text)
            if n > limits.max_body:
                return (413, f"the body is {n} bytes, over this backend's limit of {limits.max_body} bytes "
                        "(--max-body-mb)", {})
            return n

        def _serve(self, method: str) -> None:
            checked = self._check(method)
            if not isinstance(checked, int):  # refused from the headers: the body is never read
                status, message, extra = checked
                if status != 401:
                    backend.stats["bad_requests"] += 1
                self.close_connection = True
                self._reply(status, {"error": message}, {**extra, "Connection": "close"})
                _linger(self.connection)
                return
            n = checked
            if n and (self.headers.get("Expect") or "").strip().lower() == "100-continue":
                self.send_response_only(100)
                self.end_headers()
            raw = self.rfile.read(n) if n else b""
            self.reader.end()
            if len(raw) < n:
                self.close_connection = True
                return  # the client went away mid-body
            body: Any = None
            if raw.strip():
                try:
                    body = parse_json(raw)  # bounded: deep nesting or a huge number is a 400, not a dead connection
                except JSONTextError as exc:
                    backend.stats["bad_requests"] += 1
                    return self._reply(400, {"error": f"the body cannot be used: {exc}"})
                except ValueError as exc:  # malformed JSON, or bytes that are not UTF-8
                    backend.stats["bad_requests"] += 1
                    return self._reply(400, {"error": f"the body is not valid JSON: {exc}"})
            route = self.path.split("?", 1)[0]
            try:
                status, obj = backend.handle(method, self.path, body)
            except Exception:  # never crash the server on one request, and never tell the client why
                eid = secrets.token_hex(6)
                log.exception("request %s %s failed (error id %s)", method, route[:200], eid)
                status, obj = 500, {"error": f"internal error {eid}; the details are in the backend's log",
                                    "error_id": eid}
            self._reply(status, obj)

        def do_GET(self) -> None:  # noqa: N802
            self._serve("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._serve("POST")

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        block_on_close = False  # closing does not wait for slow clients: their threads are daemons
        allow_reuse_address = True
        request_queue_size = limits.backlog
        address_family = socket.AF_INET6 if ":" in host else socket.AF_INET

        def process_request(self, request: Any, client_address: Any) -> None:
            if not slots.acquire(blocking=False):
                log.warning("refused a connection from %s: %d connections open", client_address[0],
                            limits.max_connections)
                _refuse_busy(request, busy)
                self.shutdown_request(request)
                return
            try:
                super().process_request(request, client_address)
            except BaseException:
                slots.release()
                raise

        def process_request_thread(self, request: Any, client_address: Any) -> None:
            try:
                super().process_request_thread(request, client_address)
            finally:
                slots.release()

        def handle_error(self, request: Any, client_address: Any) -> None:  # to the log, not to stderr
            if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
                log.info("connection from %s ended: %r", client_address[0], sys.exc_info()[1])
            else:
                log.exception("error on the connection from %s", client_address[0])

    try:
        return Server((host, port), Handler)
    except OSError as exc:
        raise LabelloopError(f"Cannot listen on {host}:{port}: {exc.strerror or exc}.") from None


def _url(httpd: ThreadingHTTPServer, host: str) -> str:
    port = httpd.server_address[1]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class BackgroundServer:
    """The backend's HTTP server in a thread (tests, benchmarks, notebooks)."""

    def __init__(self, backend: MLBackend, host: str = "127.0.0.1", port: int = 0, auth: Auth | None = None,
                 limits: Limits | None = None) -> None:
        self.backend = backend
        self.host = host
        self.httpd = make_server(backend, host, port, auth, limits)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True, name="labelloop-mlbackend")

    @property
    def url(self) -> str:
        return _url(self.httpd, self.host)

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    def __enter__(self) -> BackgroundServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> BackgroundServer:
        self.thread.start()
        return self

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.backend.wait_idle(30)


def serve(backend: MLBackend, host: str = "127.0.0.1", port: int = 9090, auth: Auth | None = None,
          ready: Callable[[str], None] | None = None, limits: Limits | None = None) -> None:
    """Serve until interrupted (``labelloop mlbackend serve``)."""
    httpd = make_server(backend, host, port, auth, limits)
    if ready:
        ready(_url(httpd, host))
    try:
        httpd.serve_forever()
    finally:
        httpd.server_close()
        backend.wait_idle(30)


__all__ = ["Auth", "BackgroundServer", "BadRequest", "LabelConfig", "Limits", "LocalPredictor", "MLBackend",
           "TooManyProjects", "check_host", "is_loopback", "make_server", "parse_label_config", "project_key",
           "serve"]

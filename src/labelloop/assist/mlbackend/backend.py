"""The ML backend's protocol, independent of HTTP: ``MLBackend.handle(method, path, body)`` -> ``(status, json)``.

Retraining never runs inside a request: it runs in a background thread, one per project at a time; events
that arrive meanwhile coalesce into one more run. A new model is saved under a new version directory and
swapped in under a lock, so a prediction uses either the old or the new model, never half of one; only the
last ``keep_versions`` are kept. Restarting loads the latest saved version and the annotations received so far.
"""

from __future__ import annotations

import importlib
import inspect
import json
import logging
import os
import secrets
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from labelloop.assist.mlbackend.protocol import (
    FORGET_EVENTS,
    LEARN_EVENTS,
    TRAIN_EVENTS,
    BadRequest,
    ProjectConfig,
    TooManyProjects,
    annotation_task_pairs,
    annotator,
    ident,
    parse_label_config,
    project_key,
)
from labelloop.assist.mlbackend.store import (
    LIVE_DIRS,
    ProjectState,
    is_project_dir,
    owner_tag,
    remove_leftovers,
    saved_versions,
)
from labelloop.assist.predictors import Predictor, make_predictor
from labelloop.data.io import atomic_open
from labelloop.data.model import Annotation, DataSample, Dataset
from labelloop.data.schema import AnnotationSchema
from labelloop.errors import LabelloopError
from labelloop.urls import is_loopback, same_url

log = logging.getLogger("labelloop.mlbackend")

SYNC_TIMEOUT = 120.0  # seconds for reading a project's annotations from Label Studio after /setup


def predictor_factory(predictor: str, *, kinds: tuple[str, ...] = ("human", "reference"), seed: int = 0,
                      **options: Any) -> Callable[[], Predictor]:
    """How to make the predictor ``predictor`` names: a registered name (``tfidf``, ``embedding``, ``llm``, your
    own ``register_predictor``) or ``package.module:Class``, a class (or function) importable from here, called
    with the options it accepts (``kinds``, ``seed`` and the rest)."""
    if ":" not in predictor:
        return lambda: make_predictor(predictor, kinds=kinds, seed=seed, **options)
    module_name, _, attr = predictor.partition(":")
    if not module_name or not attr:
        raise LabelloopError(f"The predictor {predictor!r} is not package.module:Class.")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise LabelloopError(f"Cannot import the predictor's module {module_name!r} ({exc}); is it on the "
                             "Python path (PYTHONPATH, or installed)?") from None
    target: Any = module
    for part in attr.split("."):
        target = getattr(target, part, None)
        if target is None:
            raise LabelloopError(f"The module {module_name!r} has no {attr!r} (the predictor {predictor!r}).")
    if not callable(target):
        raise LabelloopError(f"The predictor {predictor!r} is not a class or function.")
    given = {"kinds": kinds, "seed": seed, **options}
    try:
        params = inspect.signature(target).parameters
    except (TypeError, ValueError):
        params = {}
    takes_all = any(p.kind is p.VAR_KEYWORD for p in params.values())
    chosen = given if takes_all else {k: v for k, v in given.items() if k in params}
    return lambda: target(**chosen)


def ready_to_predict(model: Predictor) -> bool:
    """Whether a freshly made predictor predicts before it is fit: it says so with ``fitted`` (a property or
    attribute, as ``tfidf`` and ``embedding`` have); one that does not say (an LLM judge, a model loaded by its own
    constructor) is taken as ready."""
    return bool(getattr(model, "fitted", True))


class MLBackend:
    """The protocol, independent of HTTP: ``handle(method, path, body)`` → ``(status, json)``."""

    def __init__(self, predictor: str = "tfidf", *, model_dir: str | Path = ".labelloop/mlbackend",
                 retrain_every: int = 10, dataset: Dataset | None = None, seed: int = 0,
                 predictor_options: dict[str, Any] | None = None,
                 factory: Callable[[], Predictor] | None = None, keep_versions: int = 5,
                 max_projects: int = 100, label_studio_url: str | None = None) -> None:
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
        self.factory = factory or predictor_factory(predictor, kinds=self.kinds, seed=seed, **self.options)
        first = self.factory()  # fail now (unknown name, missing extra), not inside a request
        # where annotations made before the backend was connected may be read with the token /setup sends:
        # this Label Studio, else one on loopback (the token never goes to a host a payload names elsewhere)
        self.label_studio_url = label_studio_url
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
        if self._base_model is None and ready_to_predict(first):  # already trained: predicts from the start
            self._base_model = (first, str(getattr(first, "version", "") or f"{predictor}-ready"))
        self.model_dir.mkdir(parents=True, exist_ok=True)
        for pdir in sorted((self.model_dir / "projects").glob("*")):
            if pdir.is_dir() and is_project_dir(pdir.name):
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
        remove_leftovers(st.dir)
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
        for vdir in reversed(saved_versions(st.dir / "versions")):
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

    def _set_config(self, st: ProjectState, xml: Any) -> ProjectConfig:
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
        version = model.fit(labelled, self.base.schema).version
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
                version = model.fit(samples, schema).version
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
        tmp = vroot / f".{seq:06d}.{owner_tag()}.{secrets.token_hex(6)}"
        LIVE_DIRS.add(os.path.abspath(tmp))  # before it exists: another backend in this process keeps it
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
            LIVE_DIRS.discard(os.path.abspath(tmp))
        with st.lock:  # the swap: one assignment under the lock predictions read through
            st.model, st.version, st.seq = model, version, seq
        self._prune_versions(st)

    def _prune_versions(self, st: ProjectState) -> None:
        """Keep the last ``keep_versions`` saved versions; an older one is renamed out of the listing first, so
        a crash mid-delete leaves only a leftover that the next start removes."""
        for old in saved_versions(st.dir / "versions")[:-self.keep_versions]:
            trash = old.with_name(f".deleting-{old.name}.{owner_tag()}")
            LIVE_DIRS.add(os.path.abspath(trash))
            try:
                os.replace(old, trash)
            except OSError as exc:
                log.warning("cannot remove old version %s: %s", old, exc)
                continue
            else:
                shutil.rmtree(trash, ignore_errors=True)
            finally:
                LIVE_DIRS.discard(os.path.abspath(trash))

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
        token, host = body.get("access_token"), body.get("hostname")
        if isinstance(token, str) and token and isinstance(host, str) and st.key != "default":
            with st.lock:
                start = not st.synced and st.config is not None
                st.synced = st.synced or start
            if start:
                threading.Thread(target=self._sync, args=(st, host, token), daemon=True,
                                 name=f"labelloop-sync-{st.key}").start()
        _, version = self._current(st)
        return {"model_version": version}

    def _sync_url(self, hostname: str) -> str | None:
        """The Label Studio to read a project's annotations from: ``label_studio_url`` when given (and /setup's
        hostname is the same server), else /setup's hostname when it is on loopback."""
        from urllib.parse import urlsplit

        if self.label_studio_url:
            return self.label_studio_url if same_url(hostname, self.label_studio_url) else None
        parts = urlsplit(hostname)
        ok = parts.scheme in ("http", "https") and parts.hostname is not None and is_loopback(parts.hostname)
        return hostname if ok else None

    def _sync(self, st: ProjectState, hostname: str, token: str) -> None:
        """Read the annotations a project already has (made before the backend was connected) with the token
        Label Studio sent to /setup, learn them as if they had come by webhook, and train once on them."""
        import httpx

        url = self._sync_url(hostname)
        if url is None:
            with st.lock:
                st.sync_error = (f"not reading earlier annotations from {hostname}: not on loopback and not the "
                                 "--label-studio-url given")
            log.info("project %s: %s", st.key, st.sync_error)
            return
        try:
            r = httpx.get(f"{url.rstrip('/')}/api/projects/{st.key}/export", params={"exportType": "JSON"},
                          headers={"Authorization": f"Token {token}"}, timeout=SYNC_TIMEOUT, follow_redirects=False)
            r.raise_for_status()
            tasks = r.json()
            if not isinstance(tasks, list):
                raise BadRequest("the export is not a list of tasks")
            cfg = self._set_config(st, None)
            events = []
            for task in tasks:
                if not isinstance(task, dict):
                    continue
                for ann in task.get("annotations") or []:
                    if not isinstance(ann, dict) or "id" not in ann or ann.get("was_cancelled"):
                        continue
                    values = cfg.values(ann.get("result") or [], task)
                    if values:
                        events.append({"op": "put", "annotation_id": ident(ann["id"], "an annotation id"),
                                       "task_id": task["id"], "annotator": annotator(ann, "export"),
                                       "sample": cfg.sample(task).model_dump(mode="json"), "values": values})
        except (httpx.HTTPError, ValueError, BadRequest, LabelloopError) as exc:
            with st.lock:
                st.sync_error = f"reading earlier annotations from {url} failed: {exc}"
            log.warning("project %s: %s", st.key, st.sync_error)
            return
        with st.lock:
            new = [ev for ev in events if st.records.get(ev["annotation_id"], {}).get("values") != ev["values"]]
            for ev in new:
                st.records[ev["annotation_id"]] = ev
            st.sync_error = None
        log.info("project %s: %d earlier annotation(s) read from %s, %d new", st.key, len(events), url, len(new))
        if new:
            self._append(st, new)
            self.schedule_training(st, "annotations made before the backend was connected")

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
        pairs = annotation_task_pairs(action, body)
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
                           "annotator": annotator(ann, action),
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
                                   "annotator": annotator(ann, f"/train: task {tid}"),
                                   "sample": cfg.sample(task).model_dump(mode="json"), "values": values})
        with st.lock:
            for ev in events:
                st.records[ev["annotation_id"]] = ev
        self._append(st, events)
        return {"status": self.schedule_training(st, "/train"), "job": f"{st.key}-{st.seq + 1}"}

    def versions(self) -> dict[str, Any]:
        out = []
        for st in list(self.projects.values()):
            for vdir in saved_versions(st.dir / "versions"):
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
                                 "last_training_s": st.last_training_s, "last_error": st.last_error,
                                 "sync_error": st.sync_error}
        n = self.stats["tasks_predicted"]
        return {"predictor": self.predictor_name, "retrain_every": self.retrain_every,
                "uptime_s": round(time.time() - self.started, 3), **self.stats,
                "mean_predict_ms_per_task": round(1000 * self.stats["predict_seconds"] / n, 4) if n else None,
                "projects": projects}



__all__ = ["MLBackend", "predictor_factory", "ready_to_predict"]

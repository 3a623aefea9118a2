"""The ML backend's payloads: what Label Studio sends, checked before the backend acts on it.

Every request is untrusted. An id, an annotator, a task's data and an annotation's result are checked as far
as the backend reads them, and what does not fit is a ``BadRequest`` (400, its reason in the reply), never a
crash. The label config is read by ``formats.labelstudio`` (the same reader and result parser as files and
pulls); ``ProjectConfig`` adds the checks and the mapping a prediction needs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from labelloop.data.io import json_kind
from labelloop.data.model import DataSample, Message
from labelloop.errors import SchemaError
from labelloop.formats.labelstudio.config import ID_KEY, ORDER_KEY, LabelConfig, read_label_config

log = logging.getLogger("labelloop.mlbackend")

LEARN_EVENTS = ("ANNOTATION_CREATED", "ANNOTATION_UPDATED", "ANNOTATIONS_CREATED")
TRAIN_EVENTS = ("START_TRAINING",)
FORGET_EVENTS = ("ANNOTATIONS_DELETED",)
MAX_BODY = 32 * 1024 * 1024
MAX_ID_CHARS = 128
MAX_ANNOTATOR_CHARS = 256


class BadRequest(Exception):
    """A payload the backend cannot use; answered with ``status`` (400) and this reason."""

    status = 400


class TooManyProjects(BadRequest):
    """A new project past ``max_projects``: refused, so that made-up project ids cannot grow memory and disk."""

    status = 403


def ident(value: Any, what: str) -> str:
    """An id from a payload (a number or a short string) as text; a list, object, boolean or null is refused."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise BadRequest(f"{what} must be a number or a string, not {json_kind(value)}")
    text = str(value)
    if not text or len(text) > MAX_ID_CHARS:
        raise BadRequest(f"{what} must be 1 to {MAX_ID_CHARS} characters long")
    return text


def annotator(ann: dict[str, Any], where: str) -> str:
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
                         f"{'an empty string' if isinstance(value, str) else json_kind(value)}")
    if len(value) > MAX_ANNOTATOR_CHARS:
        raise BadRequest(f"{what} is {len(value)} characters long, over the limit of {MAX_ANNOTATOR_CHARS} "
                         "(a shortened name could merge two people)")
    return value


# ---------------------------------------------------------------------- label config
@dataclass
class ProjectConfig(LabelConfig):
    """A project's label config (``formats.labelstudio.config.LabelConfig``) with the checks a payload needs
    and the mapping both ways: a task as a sample, a result as values, values as result items."""

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
        data = self.data(task) if self.template is not None else task.get("data") or {}
        return dict(self._fit(lambda: LabelConfig.values(self, result, data), task))  # unmapped items dropped

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


def parse_label_config(xml: str) -> ProjectConfig:
    """A project's label config read by ``formats.labelstudio.config.read_label_config``; what it cannot read is
    the payload's fault (400)."""
    try:
        cfg = read_label_config(xml)
    except SchemaError as exc:
        raise BadRequest(str(exc)) from None
    return ProjectConfig(cfg.xml, cfg.controls, cfg.objects, cfg.choices, cfg.multiple, cfg.template, cfg.schema)


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



def annotation_task_pairs(action: str, body: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
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



__all__ = ["FORGET_EVENTS", "LEARN_EVENTS", "MAX_BODY", "TRAIN_EVENTS", "BadRequest", "ProjectConfig",
           "TooManyProjects", "annotation_task_pairs", "annotator", "ident", "parse_label_config", "project_key"]

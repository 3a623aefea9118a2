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

The package: ``protocol`` (payloads checked, the label config read by ``formats.labelstudio``), ``store``
(a project's files and leftovers), ``backend`` (``MLBackend``, the protocol without HTTP) and ``server``
(the bounded HTTP server).
"""

from __future__ import annotations

from labelloop.assist.mlbackend.backend import MLBackend
from labelloop.assist.mlbackend.protocol import (
    BadRequest,
    ProjectConfig,
    TooManyProjects,
    parse_label_config,
    project_key,
)
from labelloop.assist.mlbackend.server import Auth, BackgroundServer, Limits, check_host, make_server, serve

__all__ = ["Auth", "BackgroundServer", "BadRequest", "Limits", "MLBackend", "ProjectConfig", "TooManyProjects",
           "check_host", "make_server", "parse_label_config", "project_key", "serve"]

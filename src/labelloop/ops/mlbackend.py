"""``mlbackend serve``: a Label Studio ML backend that predicts and learns from new annotations.

The LLM judge's provider is made by :func:`labelloop.ops.assist.llm_provider`, afresh for each model the
backend fits (one per project), so two projects never share a provider's connection pool."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from labelloop.annotate.labelstudio import connect as ls_connect
from labelloop.assist.mlbackend import Auth, Limits, MLBackend, check_host
from labelloop.assist.mlbackend import serve as run_server
from labelloop.assist.predictors import Predictor, make_predictor
from labelloop.errors import LabelStudioError, ParameterError
from labelloop.ops._common import Note, Progress, load_dataset, no_note, no_progress
from labelloop.ops.assist import llm_provider
from labelloop.urls import is_loopback, same_url


def judge(predictor: str, provider: str | None = None, model: str | None = None, base_url: str | None = None,
          api_key_env: str | None = None, seed: int = 0) -> Callable[[], Predictor] | None:
    """How the backend makes its LLM judge (``provider`` default openai), or None for another predictor, which
    takes no provider options."""
    if predictor != "llm":
        if provider or model or base_url or api_key_env:
            raise ParameterError("provider", "{param}, {b}, {c} and {d} go with {e} llm.", b="model", c="base_url",
                                 d="api_key_env", e="predictor")
        return None

    def factory() -> Predictor:
        prov = llm_provider(provider or "openai", model, base_url, api_key_env, check=False)
        return make_predictor("llm", seed=seed, provider=prov)

    return factory


@dataclass
class Backend:
    """A backend ready to serve: its projects restored, the address, authentication and limits checked."""

    backend: MLBackend
    host: str
    port: int
    auth: Auth
    limits: Limits

    def serve(self, ready: Callable[[str], None] = no_note) -> None:
        """Serve until interrupted; ``ready(url)`` once it listens."""
        run_server(self.backend, self.host, self.port, self.auth, limits=self.limits, ready=ready)


def backend(*, predictor: str = "tfidf", host: str = "127.0.0.1", port: int = 9090,
            model_dir: Path = Path(".labelloop/mlbackend"), retrain_every: int = 10,
            dataset: str | Path | None = None, basic_auth: str | None = None, secret: str | None = None,
            keep_versions: int = 5, max_projects: int = 100, max_body_mb: int = 32, max_connections: int = 64,
            provider: str | None = None, model: str | None = None, base_url: str | None = None,
            api_key_env: str | None = None, seed: int = 0, label_studio_url: str | None = None,
            note: Note = no_note, reading: Progress = no_progress) -> Backend:
    """The backend ``mlbackend serve`` runs: serving predictions to Label Studio and retraining in the
    background as people annotate. The host is checked before a dataset is read or anything fit. On /setup the
    backend reads the project's earlier annotations with the token Label Studio sends, from ``label_studio_url``
    or, without one, only from a Label Studio on loopback."""
    factory = judge(predictor, provider, model, base_url, api_key_env, seed)
    auth = Auth(basic_auth, secret)
    check_host(host, auth)
    limits = Limits(max_body=max_body_mb * 1024 * 1024, max_connections=max_connections)
    base = load_dataset(dataset, note=note, progress=reading)[0] if dataset else None
    ml = MLBackend(predictor, model_dir=model_dir, retrain_every=retrain_every, dataset=base, seed=seed,
                   factory=factory, keep_versions=keep_versions, max_projects=max_projects,
                   label_studio_url=label_studio_url)
    return Backend(ml, host, port, auth, limits)


@dataclass
class Connected:
    """An ML backend added to a project: its id in Label Studio, URL, model version, and whether it was there
    already."""

    backend_id: int
    project: int
    url: str
    model_version: str | None
    already: bool

    def as_dict(self) -> dict[str, object]:
        return {"backend_id": self.backend_id, "project": self.project, "url": self.url,
                "model_version": self.model_version, "already_connected": self.already,
                "retrieve_predictions_automatically": True}


def connect(project: int, url: str, *, title: str = "labelloop", server_url: str | None = None,
            token: str | None = None, data_dir: Path = Path(".labelloop/label-studio")) -> Connected:
    """Add the ML backend at ``url`` to ``project`` (once: a backend with the same URL is kept) and turn on
    retrieving predictions automatically. Label Studio calls the backend's /setup, which reads the annotations
    the project already has and learns from them."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ParameterError("url", f"{{param}} {ParameterError.literal(repr(url))} is not an http(s) URL of an "
                                    "ML backend, e.g. http://127.0.0.1:9090.")
    try:  # any answer, even 401 from a backend with --secret, says it is up
        httpx.get(url.rstrip("/") + "/health", timeout=10)
    except httpx.HTTPError as exc:
        raise ParameterError("url", f"No ML backend answers at {{param}} {ParameterError.literal(url)} "
                                    f"({ParameterError.literal(type(exc).__name__)}): start it first with "
                                    "labelloop mlbackend serve (it may take a few seconds to listen).") from None
    with ls_connect(server_url, token, data_dir) as client:
        client.get_project(project)
        known = [b for b in client.list_ml_backends(project) if same_url(str(b.get("url") or ""), url)]
        try:
            ml = known[0] if known else client.add_ml_backend(project, url.rstrip("/"), title=title)
        except LabelStudioError as exc:
            local = ParameterError.literal(
                "; a Label Studio not started by labelloop blocks local addresses by default: start it with "
                "labelloop labelstudio start, or set ML_BLOCK_LOCAL_IP=false in its environment"
                if is_loopback(parts.hostname) else "")
            raise ParameterError("url", f"Label Studio did not add the ML backend {{param}} "
                                        f"{ParameterError.literal(url)}: {ParameterError.literal(str(exc))}{local}.") \
                from None
        client.retrieve_predictions_automatically(project)
    return Connected(int(ml["id"]), project, url, ml.get("model_version"), bool(known))

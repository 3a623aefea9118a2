"""``mlbackend serve``: a Label Studio ML backend that predicts and learns from new annotations.

The LLM judge's provider is made by :func:`labelloop.ops.assist.llm_provider`, afresh for each model the
backend fits (one per project), so two projects never share a provider's connection pool."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from labelloop.assist.mlbackend import Auth, Limits, MLBackend, check_host
from labelloop.assist.mlbackend import serve as run_server
from labelloop.assist.predictors import Predictor, make_predictor
from labelloop.errors import ParameterError
from labelloop.ops._common import Note, Progress, load_dataset, no_note, no_progress
from labelloop.ops.assist import llm_provider


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
            api_key_env: str | None = None, seed: int = 0, note: Note = no_note,
            reading: Progress = no_progress) -> Backend:
    """The backend ``mlbackend serve`` runs: serving predictions to Label Studio and retraining in the
    background as people annotate. The host is checked before a dataset is read or anything fit."""
    factory = judge(predictor, provider, model, base_url, api_key_env, seed)
    auth = Auth(basic_auth, secret)
    check_host(host, auth)
    limits = Limits(max_body=max_body_mb * 1024 * 1024, max_connections=max_connections)
    base = load_dataset(dataset, note=note, progress=reading)[0] if dataset else None
    ml = MLBackend(predictor, model_dir=model_dir, retrain_every=retrain_every, dataset=base, seed=seed,
                   factory=factory, keep_versions=keep_versions, max_projects=max_projects)
    return Backend(ml, host, port, auth, limits)

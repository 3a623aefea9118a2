"""mlbackend serve: a Label Studio ML backend that predicts and learns from new annotations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from labelloop.cli._common import (
    QuietOpt,
    load,
    note,
)
from labelloop.errors import LabelloopError

app = typer.Typer(help="A Label Studio ML backend that predicts and learns from new annotations.",
                     no_args_is_help=True)

@app.command("serve")
def serve_cmd(
    predictor: str = typer.Option("tfidf", "--predictor", help="tfidf, embedding, llm or a registered one."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on; other than loopback only "
                             "with --basic-auth or --secret."),
    port: int = typer.Option(9090, "--port", help="Port (0: any free port)."),
    model_dir: Path = typer.Option(Path(".labelloop/mlbackend"), "--model-dir", help="Saved versions, "
                                   "annotations received and label configs; a restart continues from here."),
    retrain_every: int = typer.Option(10, "--retrain-every", min=0, help="Retrain after this many new "
                                      "annotations in a project (0: only on Start training)."),
    dataset: str | None = typer.Option(None, "--dataset", help="Labelled dataset to start from (its human "
                                       "and reference labels), before any annotation arrives."),
    basic_auth: str | None = typer.Option(None, "--basic-auth", help="Require HTTP basic auth user:pass "
                                          "(set the same in Label Studio's model settings)."),
    secret: str | None = typer.Option(None, "--secret", help="Require this shared secret in the "
                                      "X-Labelloop-Secret header (or Authorization: Bearer)."),
    keep_versions: int = typer.Option(5, "--keep-versions", min=1, help="Saved model versions kept per "
                                      "project; older ones are deleted."),
    max_projects: int = typer.Option(100, "--max-projects", min=1, help="Projects tracked at most; requests "
                                     "for a new project past this get 403."),
    max_body_mb: int = typer.Option(32, "--max-body-mb", min=1, help="Largest request body in MiB (413 past "
                                    "it)."),
    max_connections: int = typer.Option(64, "--max-connections", min=1, help="Connections served at once "
                                        "(503 past it)."),
    provider: str | None = typer.Option(None, "--provider", help="With --predictor llm: the provider."),
    model: str | None = typer.Option(None, "--model", help="With --predictor llm: the model."),
    base_url: str | None = typer.Option(None, "--base-url", help="With --predictor llm: the API base URL."),
    api_key_env: str | None = typer.Option(None, "--api-key-env", metavar="NAME", help="With --predictor llm: "
                                           "the environment variable holding the key (compatible sends none "
                                           "without it)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the predictor."),
    quiet: bool = QuietOpt,
) -> None:
    """Serve predictions to Label Studio and retrain in the background as people annotate."""
    import logging

    from labelloop.assist.mlbackend import Auth, Limits, MLBackend, check_host, serve

    options: dict[str, Any] = {}
    if predictor == "llm":
        options = {k: v for k, v in (("provider", provider or "openai"), ("model", model),
                                     ("base_url", base_url), ("api_key_env", api_key_env)) if v is not None}
    elif provider or model or base_url or api_key_env:
        raise LabelloopError("--provider, --model, --base-url and --api-key-env go with --predictor llm.")
    auth = Auth(basic_auth, secret)
    check_host(host, auth)  # before loading a dataset or fitting anything
    limits = Limits(max_body=max_body_mb * 1024 * 1024, max_connections=max_connections)
    base = load(dataset, "auto", quiet=quiet)[0] if dataset else None
    backend = MLBackend(predictor, model_dir=model_dir, retrain_every=retrain_every, dataset=base, seed=seed,
                        predictor_options=options, keep_versions=keep_versions, max_projects=max_projects)
    if not quiet:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    note(f"Model dir {model_dir}; retrain every {retrain_every or 'Start training only'}; "
         f"{len(backend.projects)} project(s) restored.", quiet)
    serve(backend, host, port, auth, limits=limits, ready=lambda url: note(
        f"labelloop ML backend ({predictor}) on {url}: add it in Label Studio under Settings → Model "
        "(or POST /api/ml). Ctrl-C stops.", quiet))

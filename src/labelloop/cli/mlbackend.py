"""mlbackend serve: a Label Studio ML backend that predicts and learns from new annotations."""

from __future__ import annotations

from pathlib import Path

import typer

from labelloop.cli._common import JsonOpt, LsDataDirOpt, LsTokenOpt, QuietOpt, note, notes, out, progress_phases
from labelloop.ops import mlbackend as ops

app = typer.Typer(help="A Label Studio ML backend that predicts and learns from new annotations.",
                     no_args_is_help=True)

PREDICTOR_HELP = ("tfidf, embedding, llm, a registered one, or package.module:Class (your own, importable from "
                  "here; one that is already trained, or has no 'fitted' attribute saying otherwise, predicts from "
                  "the first request).")

@app.command("serve")
def serve_cmd(
    predictor: str = typer.Option("tfidf", "--predictor", help=PREDICTOR_HELP),
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
    label_studio_url: str | None = typer.Option(None, "--label-studio-url", help="The Label Studio to read a "
                                                "project's earlier annotations from, with the token its /setup "
                                                "sends (default: the one /setup names, only on loopback)."),
    quiet: bool = QuietOpt,
) -> None:
    """Serve predictions to Label Studio and retrain in the background as people annotate."""
    import logging

    with progress_phases(quiet, "Reading") as (reading,):
        ml = ops.backend(predictor=predictor, host=host, port=port, model_dir=model_dir, retrain_every=retrain_every,
                         dataset=dataset, basic_auth=basic_auth, secret=secret, keep_versions=keep_versions,
                         max_projects=max_projects, max_body_mb=max_body_mb, max_connections=max_connections,
                         provider=provider, model=model, base_url=base_url, api_key_env=api_key_env, seed=seed,
                         label_studio_url=label_studio_url, note=notes(quiet), reading=reading)
    if not quiet:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    note(f"Model dir {model_dir}; retrain every {retrain_every or 'Start training only'}; "
         f"{len(ml.backend.projects)} project(s) restored.", quiet)
    ml.serve(ready=lambda url: note(
        f"labelloop ML backend ({predictor}) on {url}: connect it with labelloop mlbackend connect --project N "
        f"--url {url} (or in Label Studio under Settings → Model). Ctrl-C stops.", quiet))


@app.command("connect")
def connect_cmd(
    project: int = typer.Option(..., "--project", help="Project id."),
    url: str = typer.Option(..., "--url", help="The ML backend's URL, e.g. http://127.0.0.1:9090 (as Label "
                            "Studio reaches it). On /setup it reads the project's earlier annotations with the "
                            "token Label Studio sends, and learns from them. A Label Studio started by labelloop "
                            "on 127.0.0.1 reaches a backend on loopback (its banned subnets leave loopback out); "
                            "another one needs ML_BLOCK_LOCAL_IP=false in its environment."),
    title: str = typer.Option("labelloop", "--title", help="Its name in Label Studio."),
    server: str | None = typer.Option(None, "--server", help="Label Studio URL (default as for labelstudio "
                                      "push)."),
    token: str | None = LsTokenOpt,
    data_dir: Path = LsDataDirOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Add the ML backend to a project, predictions retrieved automatically; it learns from earlier annotations."""
    import json

    done = ops.connect(project, url, title=title, server_url=server, token=token, data_dir=data_dir)
    if as_json:
        out.print_json(json.dumps(done.as_dict()))
        return
    how = "was already connected to" if done.already else "connected to"
    out.print(f"ML backend {done.url} (id {done.backend_id}, model version {done.model_version or '?'}) {how} "
              f"project {project}; predictions are retrieved automatically when a task opens.", markup=False)

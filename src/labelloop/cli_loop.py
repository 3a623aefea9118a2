"""CLI for closing the loop: ``labelloop select``, ``labelloop mlbackend serve`` and ``prelabel --provider local``.

Thin: arguments in, library calls out (``labelloop.assist.active``, ``.mlbackend``, ``.predictors``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from labelloop.errors import LabelloopError


def _consoles():
    from labelloop.cli import err, out

    return out, err


def prelabel_local_command(dataset: str, output: Path, *, schema: Any, predictor: str, fit_on: str,
                           limit: int | None, seed: int, fmt: str, as_json: bool, quiet: bool) -> None:
    """``prelabel --provider local``: fit on the dataset's own labels, predict the rest, no network."""
    from labelloop.assist.predictors import prelabel_local
    from labelloop.cli import _load, _schema_for, note
    from labelloop.formats import save

    out, _ = _consoles()
    kinds = tuple(k.strip() for k in fit_on.split(",") if k.strip())
    bad = [k for k in kinds if k not in ("human", "reference", "aggregate")]
    if bad or not kinds:
        raise LabelloopError(f"--fit-on takes human, reference or aggregate (comma-separated), not {fit_on!r}.")
    ds, _ = _load(dataset, fmt, quiet=quiet or as_json)
    sch = _schema_for(ds, *schema)
    note(f"Fitting the {predictor} predictor on {'/'.join(kinds)} labels…", quiet or as_json)
    result, summary = prelabel_local(ds, sch, predictor=predictor, fit_on=kinds, limit=limit, seed=seed)
    save(result, output)
    summary["output"] = str(output)
    if as_json:
        out.print_json(json.dumps(summary))
        return
    mean = summary["mean_score"]
    out.print(f"Pre-labelled {summary['predicted']} of {summary['samples']} unlabelled samples with "
              f"{summary['annotator']} (trained on {summary['trained_on']} labelled samples"
              + (f", mean score {mean:.3f}" if isinstance(mean, (int, float)) else "")
              + f"). Wrote {output}.", markup=False)


def register(app: typer.Typer) -> None:
    from labelloop.cli import FormatOpt, JsonOpt, QuietOpt

    @app.command("select")
    def select_cmd(
        dataset: str = typer.Argument(..., help="Dataset file (samples with people's labels and without)."),
        output: Path = typer.Option(..., "--output", "-o", help="Selection file: JSONL (one {sample_id, rank, "
                                    "score, reason} a line), .json, or .txt (ids only)."),
        strategy: str = typer.Option("mix", "--strategy", help="least_confidence, margin, entropy, disagreement, "
                                     "diversity, mix (uncertainty + diversity) or random."),
        batch_size: int = typer.Option(20, "--batch-size", "-k", min=1, help="How many samples to pick."),
        predictor: str = typer.Option("tfidf", "--predictor", help="tfidf (light), embedding (ml extra) or a "
                                      "registered one."),
        fit_on: str = typer.Option("human", "--fit-on", help="Annotation kinds that count as labelled "
                                   "(comma-separated: human, reference, aggregate)."),
        template: str | None = typer.Option(None, "--template", "-t", help="Template, if the dataset has no schema."),
        seed: int = typer.Option(0, "--seed", help="Seed of every random choice (ties, diversity, random)."),
        fmt: str = FormatOpt,
        as_json: bool = JsonOpt,
        quiet: bool = QuietOpt,
    ) -> None:
        """Pick the samples people should label next, best first."""
        from labelloop.assist.active import select_batch
        from labelloop.cli import _load, _schema_for
        from labelloop.data.io import atomic_open

        out, _ = _consoles()
        ds, _ = _load(dataset, fmt, quiet=quiet or as_json)
        ds.schema = _schema_for(ds, template, None)
        kinds = tuple(k.strip() for k in fit_on.split(",") if k.strip())
        picks = select_batch(ds, strategy=strategy, batch_size=batch_size, predictor=predictor, seed=seed,
                             label_kinds=kinds)
        suffix = output.suffix.lower()
        with atomic_open(output) as fh:
            if suffix == ".txt":
                fh.writelines(f"{p.sample_id}\n" for p in picks)
            elif suffix == ".json":
                json.dump({"strategy": strategy, "seed": seed, "selections": [p.as_dict() for p in picks]}, fh,
                          ensure_ascii=False, indent=2)
            else:
                fh.writelines(json.dumps(p.as_dict(), ensure_ascii=False) + "\n" for p in picks)
        labelled = sum(1 for s in ds.samples if any(a.kind in kinds and a.status == "submitted"
                                                     for a in s.annotations))
        if as_json:
            out.print_json(json.dumps({"output": str(output), "strategy": strategy, "selected": len(picks),
                                       "labelled": labelled, "samples": len(ds.samples),
                                       "selections": [p.as_dict() for p in picks]}))
            return
        out.print(f"Selected {len(picks)} of {len(ds.samples) - labelled} unlabelled samples by {strategy} "
                  f"({labelled} labelled). Wrote {output}.", markup=False)
        for p in picks[:10]:
            out.print(f"{p.rank:>3}. {p.sample_id}  {p.score:.3f}  {p.reason}", markup=False)

    ml_app = typer.Typer(help="A Label Studio ML backend that predicts and learns from new annotations.",
                         no_args_is_help=True)
    app.add_typer(ml_app, name="mlbackend")

    @ml_app.command("serve")
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
        from labelloop.cli import _load, note

        out, err = _consoles()
        options: dict[str, Any] = {}
        if predictor == "llm":
            options = {k: v for k, v in (("provider", provider or "openai"), ("model", model),
                                         ("base_url", base_url), ("api_key_env", api_key_env)) if v is not None}
        elif provider or model or base_url or api_key_env:
            raise LabelloopError("--provider, --model, --base-url and --api-key-env go with --predictor llm.")
        auth = Auth(basic_auth, secret)
        check_host(host, auth)  # before loading a dataset or fitting anything
        limits = Limits(max_body=max_body_mb * 1024 * 1024, max_connections=max_connections)
        base = _load(dataset, "auto", quiet=quiet)[0] if dataset else None
        backend = MLBackend(predictor, model_dir=model_dir, retrain_every=retrain_every, dataset=base, seed=seed,
                            predictor_options=options, keep_versions=keep_versions, max_projects=max_projects)
        if not quiet:
            logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
        note(f"Model dir {model_dir}; retrain every {retrain_every or 'Start training only'}; "
             f"{len(backend.projects)} project(s) restored.", quiet)
        serve(backend, host, port, auth, limits=limits, ready=lambda url: note(
            f"labelloop ML backend ({predictor}) on {url}: add it in Label Studio under Settings → Model "
            "(or POST /api/ml). Ctrl-C stops.", quiet))

"""prelabel, review, guidelines, select: machine help for the people who label."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from labelloop.cli._common import (
    ApiKeyEnvOpt,
    BaseUrlOpt,
    CacheOpt,
    FormatOpt,
    JsonOpt,
    JsonTextOpt,
    ModelOpt,
    NoCacheOpt,
    ProviderOpt,
    QuietOpt,
    err,
    load,
    make_provider,
    note,
    out,
    resolve,
    schema_for,
)
from labelloop.errors import LabelloopError


def prelabel(
    dataset: str = typer.Argument(..., help="Dataset file, directory or hf:NAME."),
    output: Path = typer.Option(..., "--output", "-o", help="Where the dataset with predictions is written."),
    template: str | None = typer.Option(None, "--template", "-t", help="Template name (e.g. rewardbench)."),
    schema: str | None = typer.Option(None, "--schema", "-s", help="Schema file (YAML / JSON) or template name."),
    provider: str = typer.Option(..., "--provider", "-p", help="openai, anthropic, moonshot or compatible "
                                 "(any OpenAI-compatible server; give --base-url), or local (no network)."),
    model: str | None = typer.Option(None, "--model", "-m", help="Model name (default: the provider's)."),
    base_url: str | None = typer.Option(None, "--base-url", help="API base URL, e.g. http://127.0.0.1:8000/v1."),
    api_key_env: str | None = ApiKeyEnvOpt,
    concurrency: int = typer.Option(8, "--concurrency", "-c", min=1, help="Calls in flight at once."),
    cache: Path = typer.Option(Path(".labelloop/cache"), "--cache", help="Answer cache directory; a rerun makes "
                               "no call it already paid for."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Neither read nor write the cache."),
    limit: int | None = typer.Option(None, "--limit", min=1, help="Pre-label a seeded random sample of N samples "
                                      "(--seed)."),
    temperature: float = typer.Option(0.0, "--temperature", help="Sampling temperature."),
    timeout: float = typer.Option(60.0, "--timeout", help="Seconds to wait for one answer before retrying."),
    max_retries: int = typer.Option(4, "--max-retries", min=0, help="Retries of a call on 429, 5xx or timeout."),
    max_attempts: int = typer.Option(3, "--max-attempts", min=1, help="Answers asked for per sample when "
                                     "the previous one does not fit the schema."),
    both_orders: bool = typer.Option(False, "--both-orders", help="Judge each sample again with the answers in "
                                     "reverse order; disagreement lowers the confidence."),
    seed: int = typer.Option(0, "--seed", help="Seed of the order the answers are shown in and of --limit."),
    predictor: str = typer.Option("tfidf", "--predictor", help="With --provider local: tfidf (light) or "
                                  "embedding (MiniLM, the ml extra)."),
    fit_on: str = typer.Option("human", "--fit-on", help="With --provider local: the labels to learn from "
                               "(human, reference or both, comma-separated)."),
    fmt: str = FormatOpt,
    as_json: bool = JsonOpt,
    quiet: bool = QuietOpt,
) -> None:
    """Ask an LLM for pre-labels (or --provider local: a model fit on the dataset's own labels, no network)."""
    if provider == "local":
        return prelabel_local_command(dataset, output, schema=(template, schema), predictor=predictor, fit_on=fit_on,
                                      limit=limit, seed=seed, fmt=fmt, as_json=as_json, quiet=quiet)
    import asyncio

    from labelloop.assist.cache import AnswerCache
    from labelloop.assist.llm import get_provider
    from labelloop.assist.prelabel import prelabel_async
    from labelloop.formats import save

    prov = get_provider(provider, model=model, base_url=base_url, temperature=temperature, timeout=timeout,
                        max_retries=max_retries, seed=seed, api_key_env=api_key_env)
    prov.check_ready()  # a missing key fails before a large file is read
    ds, _ = load(dataset, fmt, quiet=quiet or as_json)
    sch = schema_for(ds, template, schema)
    answers = AnswerCache(None if no_cache else cache)
    show = not (quiet or as_json) and err.is_terminal
    try:
        if show:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            with Progress(TextColumn("Pre-labelling"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                          console=err, transient=True) as bar:
                task = bar.add_task("prelabel", total=None)
                result = asyncio.run(prelabel_async(
                    ds, sch, prov, concurrency=concurrency, cache=answers, limit=limit, seed=seed,
                    both_orders=both_orders, max_attempts=max_attempts,
                    on_progress=lambda done, total: bar.update(task, completed=done, total=total)))
        else:
            result = asyncio.run(prelabel_async(ds, sch, prov, concurrency=concurrency, cache=answers, limit=limit,
                                                seed=seed, both_orders=both_orders, max_attempts=max_attempts))
    finally:
        answers.close()
    save(result.dataset, output)
    summary = {"output": str(output), "annotator": prov.annotator, **result.summary.as_dict()}
    if as_json:
        out.print_json(json.dumps(summary))
        return
    s = result.summary
    cost = f", cost ${s.cost_usd:.4f}" if s.cost_usd is not None else ""
    out.print(f"Pre-labelled {s.predicted} of {s.samples} samples ({s.failed} failed) with {prov.annotator}: "
              f"{s.calls} calls, {s.cached} from cache, {s.http_retries} retries, {s.input_tokens} input and "
              f"{s.output_tokens} output tokens{cost}. Wrote {output}.", markup=False)
    for f in s.failures[:20]:
        out.print(f"- failed {f['sample']}: {f['reason']}", markup=False)
    if s.order_disagreements:
        out.print(f"{s.order_disagreements} sample(s) judged differently in the two orders (low confidence).",
                  markup=False)


def prelabel_local_command(dataset: str, output: Path, *, schema: Any, predictor: str, fit_on: str,
                           limit: int | None, seed: int, fmt: str, as_json: bool, quiet: bool) -> None:
    """``prelabel --provider local``: fit on the dataset's own labels, predict the rest, no network."""
    from labelloop.assist.predictors import prelabel_local
    from labelloop.formats import save

    kinds = tuple(k.strip() for k in fit_on.split(",") if k.strip())
    bad = [k for k in kinds if k not in ("human", "reference", "aggregate")]
    if bad or not kinds:
        raise LabelloopError(f"--fit-on takes human, reference or aggregate (comma-separated), not {fit_on!r}.")
    ds, _ = load(dataset, fmt, quiet=quiet or as_json)
    sch = schema_for(ds, *schema)
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


def review(
    dataset: str = typer.Argument(..., help="Dataset with human annotations (file, directory or hf:NAME)."),
    output: Path = typer.Option(..., "--output", "-o", help="The JSON report."),
    markdown: Path | None = typer.Option(None, "--markdown", help="Also write a Markdown summary here."),
    template: str | None = typer.Option(None, "--template", "-t", help="Template name (default: the dataset's "
                                        "schema, else one inferred from the answers)."),
    schema: str | None = typer.Option(None, "--schema", "-s", help="Schema file (YAML / JSON) or template name."),
    provider: str | None = ProviderOpt,
    model: str | None = ModelOpt,
    base_url: str | None = BaseUrlOpt,
    api_key_env: str | None = ApiKeyEnvOpt,
    temperature: float = typer.Option(0.0, "--temperature", help="Sampling temperature."),
    timeout: float = typer.Option(60.0, "--timeout", help="Seconds to wait for one answer before retrying."),
    max_retries: int = typer.Option(4, "--max-retries", min=0, help="Retries of a call on 429, 5xx or timeout."),
    concurrency: int = typer.Option(8, "--concurrency", "-c", min=1, help="LLM calls in flight at once."),
    max_explanations: int | None = typer.Option(None, "--max-explanations", min=0, help="Explain at most this many "
                                                "disagreements (the strongest first)."),
    cache: Path = CacheOpt,
    no_cache: bool = NoCacheOpt,
    min_seconds: float = typer.Option(3.0, "--min-seconds", help="Time on a task below this is too fast."),
    fast_ratio: float = typer.Option(0.25, "--fast-ratio", help="... and so is time below this share of the "
                                     "median time per task."),
    straight_run: int = typer.Option(10, "--straight-run", min=2, help="Flag the same answer (or screen position) "
                                     "on this many tasks in a row."),
    position_alpha: float = typer.Option(0.01, "--position-alpha", help="Significance of the binomial test for "
                                         "picking one screen position more than chance (Bonferroni-corrected)."),
    position_min_answers: int = typer.Option(10, "--position-min-answers", min=1, help="Answers an annotator "
                                             "needs before the position test is made."),
    prediction_min_score: float = typer.Option(0.7, "--prediction-min-score", help="Only pre-labels at least this "
                                               "confident count as strong disagreement."),
    rating_gap: float = typer.Option(2.0, "--rating-gap", help="Ratings this far apart are a strong disagreement."),
    min_annotators: int = typer.Option(3, "--min-annotators", min=2, help="Answers a sample needs before a person "
                                       "is compared with the majority."),
    seed: int = typer.Option(0, "--seed", help="Seed of the answer order shown to the LLM."),
    fmt: str = typer.Option("auto", "--format", "-f", help="Input format, or 'auto'."),
    as_json: bool = JsonTextOpt,
    quiet: bool = QuietOpt,
) -> None:
    """Flag suspicious human annotations: disagreement, too little time, straight-lining, position bias.

    Disagreement is with a confident pre-label or with the other annotators; with --provider, an LLM explains
    each disagreement.
    """
    from labelloop.assist.cache import AnswerCache
    from labelloop.assist.review import review_dataset
    from labelloop.data.io import atomic_open

    prov = make_provider(provider, model, base_url, temperature, timeout, max_retries, seed, api_key_env)
    ds, _ = load(dataset, fmt, quiet=quiet or as_json)
    sch = resolve(ds, template, schema, required=False)
    answers = AnswerCache(None if no_cache or prov is None else cache)
    opts: dict[str, Any] = dict(min_seconds=min_seconds, fast_ratio=fast_ratio, straight_run=straight_run,
                                position_alpha=position_alpha, position_min_answers=position_min_answers,
                                prediction_min_score=prediction_min_score, rating_gap=rating_gap,
                                min_annotators=min_annotators, concurrency=concurrency, seed=seed,
                                max_explanations=max_explanations)
    try:
        if prov is not None and not (quiet or as_json) and err.is_terminal:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            with Progress(TextColumn("Explaining"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                          console=err, transient=True) as bar:
                task = bar.add_task("explain", total=None)
                report = review_dataset(ds, schema=sch, provider=prov, cache=answers,
                                        on_progress=lambda d, t: bar.update(task, completed=d, total=t), **opts)
        else:
            report = review_dataset(ds, schema=sch, provider=prov, cache=answers, **opts)
    finally:
        answers.close()
    with atomic_open(output) as fh:
        json.dump(report.to_dict(), fh, ensure_ascii=False, indent=2, default=str)
    if markdown is not None:
        with atomic_open(markdown) as fh:
            fh.write(report.to_markdown())
    summary = {"output": str(output), "markdown": str(markdown) if markdown else None, **report.summary()}
    if as_json:
        out.print_json(json.dumps(summary, default=str))
        return
    by = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in summary["by_kind"].items() if n) or "nothing"
    out.print(f"Reviewed {summary['human_annotations']} human annotations by {summary['annotators']} annotators on "
              f"{summary['samples']} samples: {summary['flags']} flags ({by}). Wrote {output}"
              + (f" and {markdown}." if markdown else "."), markup=False)
    e = summary["explanations"]
    if e is not None:
        out.print(f"Explanations by {e['annotator']}: {e['explained']} of {e['asked']} ({e['failed']} failed, "
                  f"{e['cached']} from cache, {e['calls']} calls).", markup=False)


def guidelines(
    dataset: str | None = typer.Argument(None, help="Dataset to take worked examples from (optional)."),
    output: Path = typer.Option(..., "--output", "-o", help="The Markdown file to write."),
    template: str | None = typer.Option(None, "--template", "-t", help="Template name (e.g. rewardbench)."),
    schema: str | None = typer.Option(None, "--schema", "-s", help="Schema file (YAML / JSON) or template name."),
    language: str = typer.Option("en", "--language", "-l", help="Language of the guidelines (other than English "
                                 "needs --provider)."),
    examples: int = typer.Option(3, "--examples", min=0, help="Worked examples taken from the dataset (seeded; "
                                 "samples with reference labels first)."),
    provider: str | None = ProviderOpt,
    model: str | None = ModelOpt,
    base_url: str | None = BaseUrlOpt,
    api_key_env: str | None = ApiKeyEnvOpt,
    temperature: float = typer.Option(0.0, "--temperature", help="Sampling temperature."),
    timeout: float = typer.Option(120.0, "--timeout", help="Seconds to wait for the answer before retrying."),
    max_retries: int = typer.Option(4, "--max-retries", min=0, help="Retries of a call on 429, 5xx or timeout."),
    cache: Path = CacheOpt,
    no_cache: bool = NoCacheOpt,
    seed: int = typer.Option(0, "--seed", help="Seed of the example choice."),
    fmt: str = typer.Option("auto", "--format", "-f", help="Input format, or 'auto'."),
    as_json: bool = JsonTextOpt,
    quiet: bool = QuietOpt,
) -> None:
    """Draft annotation guidelines from the schema and a few examples (an LLM improves them with --provider).

    Use the file with `labelloop create --guidelines` or `labelloop labelstudio push --guidelines`.
    """
    from labelloop.assist.cache import AnswerCache
    from labelloop.assist.guidelines import draft_guidelines
    from labelloop.data.io import atomic_open

    prov = make_provider(provider, model, base_url, temperature, timeout, max_retries, seed, api_key_env)
    ds = load(dataset, fmt, quiet=quiet or as_json)[0] if dataset else None
    sch = resolve(ds, template, schema, required=True)
    answers = AnswerCache(None if no_cache or prov is None else cache)
    try:
        text = draft_guidelines(sch, ds.samples if ds is not None else None, provider=prov, language=language,
                                examples=examples, seed=seed, cache=answers)
    finally:
        answers.close()
    with atomic_open(output) as fh:
        fh.write(text)
    result = {"output": str(output), "schema": sch.name, "language": language, "bytes": len(text.encode("utf-8")),
              "examples": text.count("\n### Example "), "by": prov.annotator if prov else "draft"}
    if as_json:
        out.print_json(json.dumps(result))
        return
    note(f"Use it with: labelloop create DATASET --guidelines {output}  or  labelloop labelstudio push DATASET "
         f"--guidelines {output}", quiet)
    out.print(f"Wrote {output}: guidelines for schema {sch.name} ({result['examples']} worked examples, "
              f"{'written by ' + prov.annotator if prov else 'deterministic draft'}).", markup=False)


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
    from labelloop.data.io import atomic_open

    ds, _ = load(dataset, fmt, quiet=quiet or as_json)
    ds.schema = schema_for(ds, template, None)
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


"""``labelloop review`` and ``labelloop guidelines``: machine help for the people who label (issue 6).

Thin: arguments in, library calls (``labelloop.assist.review`` / ``.guidelines``) out.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from labelloop.errors import LabelloopError

# labelloop.cli imports this module at its end (and may run as __main__): its helpers are imported late.
JsonOpt = typer.Option(False, "--json", help="Print machine-readable JSON instead of text.")
QuietOpt = typer.Option(False, "--quiet", "-q", help="No progress bar or notes on stderr.")

ProviderOpt = typer.Option(None, "--provider", "-p", help="openai, anthropic, moonshot or compatible (any "
                           "OpenAI-compatible server; give --base-url).")
ModelOpt = typer.Option(None, "--model", "-m", help="Model name (default: the provider's).")
BaseUrlOpt = typer.Option(None, "--base-url", help="API base URL, e.g. http://127.0.0.1:8000/v1.")
ApiKeyEnvOpt = typer.Option(None, "--api-key-env", metavar="NAME", help="The environment variable holding the "
                            "API key (default: the provider's own, e.g. OPENAI_API_KEY; the compatible provider "
                            "sends no key unless given this).")
CacheOpt = typer.Option(Path(".labelloop/cache"), "--cache", help="Answer cache directory; a rerun makes no call "
                        "it already paid for.")
NoCacheOpt = typer.Option(False, "--no-cache", help="Neither read nor write the cache.")


def _provider(name: str | None, model: str | None, base_url: str | None, temperature: float, timeout: float,
              max_retries: int, seed: int, api_key_env: str | None = None):
    if name is None:
        if model or base_url or api_key_env:
            raise LabelloopError("--model, --base-url and --api-key-env need --provider.")
        return None
    from labelloop.assist.llm import get_provider

    prov = get_provider(name, model=model, base_url=base_url, temperature=temperature, timeout=timeout,
                        max_retries=max_retries, seed=seed, api_key_env=api_key_env)
    prov.check_ready()
    return prov


def _schema(ds, template: str | None, schema: str | None, required: bool):
    from labelloop.data.schema import resolve_schema

    return resolve_schema(template, schema, ds, required=required)


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
    as_json: bool = JsonOpt,
    quiet: bool = QuietOpt,
) -> None:
    """Flag suspicious human annotations: disagreement, too little time, straight-lining, position bias.

    Disagreement is with a confident pre-label or with the other annotators; with --provider, an LLM explains
    each disagreement.
    """
    from labelloop.assist.cache import AnswerCache
    from labelloop.assist.review import review_dataset
    from labelloop.cli import _load, err, out
    from labelloop.data.io import atomic_open

    prov = _provider(provider, model, base_url, temperature, timeout, max_retries, seed, api_key_env)
    ds, _ = _load(dataset, fmt, quiet=quiet or as_json)
    sch = _schema(ds, template, schema, required=False)
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
    as_json: bool = JsonOpt,
    quiet: bool = QuietOpt,
) -> None:
    """Draft annotation guidelines from the schema and a few examples (an LLM improves them with --provider).

    Use the file with `labelloop create --guidelines` or `labelloop labelstudio push --guidelines`.
    """
    from labelloop.assist.cache import AnswerCache
    from labelloop.assist.guidelines import draft_guidelines
    from labelloop.cli import _load, note, out
    from labelloop.data.io import atomic_open

    prov = _provider(provider, model, base_url, temperature, timeout, max_retries, seed, api_key_env)
    ds = _load(dataset, fmt, quiet=quiet or as_json)[0] if dataset else None
    sch = _schema(ds, template, schema, required=True)
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


def register(app: typer.Typer) -> None:
    app.command("review")(review)
    app.command("guidelines")(guidelines)

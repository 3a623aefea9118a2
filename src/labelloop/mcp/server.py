"""labelloop over the Model Context Protocol: the library as tools, resources and prompts.

Thin by design: every tool parses its typed arguments, checks paths against the roots and calls one
library function; figures come back as the library reports them. What only matters when a model drives
the library lives in this package: the root check (every path, symlinks resolved, must lie under a
``--root``; ``sandbox.py`` holds every open of the process to it), the endpoints a secret may go to
(``endpoints.py``), and the redaction of secrets from anything sent back (by :mod:`labelloop.secrets`'s rule).
"""

import contextlib
import json
import math
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, get_type_hints

import anyio
import anyio.from_thread
import anyio.to_thread
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ToolError
from mcp.server.mcpserver.resources import ResourceSecurity
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS
from pydantic import BaseModel, Field, create_model

from labelloop.annotate.labelstudio.project import PushResult
from labelloop.errors import InputFileError, LabelloopError, OutsideRootsError
from labelloop.mcp.endpoints import Endpoints
from labelloop.mcp.sandbox import Sandbox
from labelloop.secrets import known_secrets
from labelloop.secrets import redact as redact_secrets
from labelloop.urls import LOOPBACK, is_loopback

INSTRUCTIONS = """\
labelloop: human-in-the-loop annotation of LLM data. Typical loop: convert a raw file into a dataset,
(optionally) prelabel it with an LLM, create_annotator (an offline HTML page) or labelstudio_push, then
import_results / labelstudio_pull, agreement, merge or adjudicate, and export (e.g. format 'dpo').
Paths are relative to the server's first root; paths outside the roots are refused. Read
labelloop://question-types and labelloop://templates before designing a schema.
"""

DEFAULT_LS_DIR = Path(".labelloop/label-studio")

M = TypeVar("M", bound=BaseModel)

if sys.version_info < (3, 11):  # pragma: no cover
    from exceptiongroup import BaseExceptionGroup
else:
    BaseExceptionGroup = BaseExceptionGroup  # noqa: PLW0127  (the builtin, named for ruff's py310 target)


# ---------------------------------------------------------------------- roots and secrets
class Guard:
    """The roots every path must lie under, and the secret values no output may carry."""

    def __init__(self, roots: list[Path] | None = None) -> None:
        self.roots = [Path(r).expanduser().resolve() for r in (roots or [Path.cwd()])]
        self._secrets: set[str] = set()

    def path(self, value: str, what: str = "path", *, exists: bool = False) -> Path:
        """``value`` resolved (relative to the first root, symlinks followed) and checked to lie under a root."""
        if value.startswith("hf:"):
            raise OutsideRootsError(f"{what} {value!r}: Hugging Face datasets are not read through the MCP server; "
                                    "convert it to a file under a root with the labelloop command first.")
        raw = Path(value).expanduser()
        real = (raw if raw.is_absolute() else self.roots[0] / raw).resolve()
        if not any(real == r or real.is_relative_to(r) for r in self.roots):
            raise OutsideRootsError(f"{what} {value} resolves to {real}, which is outside the server's roots "
                                    f"({', '.join(map(str, self.roots))}); restart the server with --root to allow it.")
        if exists and not real.exists():
            raise InputFileError(f"{what} {value} does not exist (looked for {real}).")
        return real

    def schema(self, value: str | None):
        """A template name or a schema file under the roots, or None."""
        from labelloop.data.schema import load_schema
        from labelloop.templates import TEMPLATES

        if not value:
            return None
        if value in TEMPLATES:
            return TEMPLATES.get(value)()
        return load_schema(self.path(value, "schema file", exists=True))

    def template(self, value: str | None) -> str | None:
        """A template name as is, or a template / schema file checked to lie under the roots."""
        if not value or value in _template_names():
            return value
        return str(self.path(value, "template file", exists=True))

    def remember(self, *values: str | None) -> None:
        self._secrets.update(v for v in values if v)  # labelloop.secrets decides what is long enough

    def secrets(self) -> list[str]:
        """The environment's secrets and those remembered, by the one rule of :mod:`labelloop.secrets`."""
        return known_secrets(self._secrets)

    def redact(self, text: str) -> str:
        return redact_secrets(text, secrets=self.secrets())

    def clean(self, result: M) -> M:
        """The result with every known secret value replaced."""
        text = result.model_dump_json()
        safe = self.redact(text)
        return result if safe == text else type(result).model_validate_json(safe)

    def ls_dir(self, data_dir: str | None) -> Path:
        """The Label Studio data dir (default ``.labelloop/label-studio`` under the first root); its secrets noted."""
        from labelloop.annotate.labelstudio import Credentials

        path = self.path(data_dir or str(DEFAULT_LS_DIR), "Label Studio data dir")
        with contextlib.suppress(LabelloopError):
            creds = Credentials.load(path)
            if creds is not None:
                self.remember(creds.token, creds.password, creds.personal_access_token)
        return path

    @contextlib.contextmanager
    def errors(self) -> Iterator[None]:
        """A user's mistake becomes a tool error with its one sentence (secrets removed), not a crash."""
        try:
            yield
        except LabelloopError as exc:
            raise ToolError(self.redact(str(exc))) from None
        except BaseExceptionGroup as group:  # raised inside a progress task group
            mine = _user_error(group)
            if mine is None:
                raise
            raise ToolError(self.redact(str(mine))) from None


def _user_error(group: BaseExceptionGroup) -> LabelloopError | None:
    for exc in group.exceptions:
        if isinstance(exc, LabelloopError):
            return exc
        if isinstance(exc, BaseExceptionGroup) and (found := _user_error(exc)) is not None:
            return found
    return None


# ---------------------------------------------------------------------- progress
class Progress:
    """Library progress callbacks ``(done, total)``, from the event loop or a worker thread, sent as MCP
    progress notifications (increasing only, as the protocol asks)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.send, self.recv = anyio.create_memory_object_stream[tuple[float, float | None]](math.inf)
        self.last = -1.0

    def in_loop(self, done: float, total: float | None = None) -> None:
        self.send.send_nowait((done, total or None))

    def in_thread(self, done: float, total: float | None = None) -> None:
        anyio.from_thread.run_sync(self.send.send_nowait, (done, total or None))

    async def _pump(self) -> None:
        async with self.recv:
            async for done, total in self.recv:
                if done > self.last:
                    self.last = done
                    await self.ctx.report_progress(done, total)


@contextlib.asynccontextmanager
async def progress(ctx: Context) -> AsyncIterator[Progress]:
    prog = Progress(ctx)
    async with anyio.create_task_group() as tg:
        tg.start_soon(prog._pump)
        try:
            yield prog
        finally:
            prog.send.close()


def _plain(value: Any) -> Any:
    """``value`` as JSON data: what a report carries that JSON lacks (paths, dates) becomes its string."""
    return json.loads(json.dumps(value, default=str))


def counting(items, report: Callable[[float, float | None], None], every: int = 1000, seconds: float = 0.5):
    """Pass ``items`` through, reporting how many went by at most every ``seconds`` (checked every ``every``
    items, so a fast stream pays next to nothing) and at the end."""
    n = 0
    last = time.monotonic()
    for n, item in enumerate(items, 1):
        yield item
        if n % every == 0 and time.monotonic() - last >= seconds:
            report(n, None)
            last = time.monotonic()
    report(n, n or None)


# ---------------------------------------------------------------------- typed results
class DatasetInfo(BaseModel):
    name: str
    samples: int
    schema_name: str | None = Field(description="The dataset's schema (template) name, if it carries one.")
    format: str
    candidates_per_sample: dict[str, int]
    prompt_turns: dict[str, int]
    subsets: dict[str, int]
    annotations_by_kind: dict[str, int]
    annotations_by_annotator: dict[str, int]


class ValidateResult(BaseModel):
    samples: int
    schema_name: str | None
    valid: bool
    problems: int
    details: list[str] = Field(description="The first 1000 problems, each naming sample, question and value.")


class ConvertResult(BaseModel):
    input: str
    format: str
    output: str
    samples: int
    rejected: int
    rejects_file: str | None = None


class ExportFile(BaseModel):
    path: str
    rows: int
    stats: dict[str, Any] | None = None


class ExportResult(BaseModel):
    format: str
    files: dict[str, ExportFile] = Field(description="Per split ('all' without a split): the file written.")


class AnnotatorResult(BaseModel):
    output: str
    tasks: int
    bytes: int
    file_id: str
    schema_name: str
    schema_hash: str
    seed: int


class Report(BaseModel):
    """A library report as the library returns it (``as_dict`` / ``to_dict``), plus the file written."""

    output: str | None = None
    report: dict[str, Any]


class TextResult(BaseModel):
    output: str | None = None
    text: str


# the library's PushResult as a model, so its fields are declared once
PushOutput = create_model("PushOutput", **{k: (t, ...) for k, t in get_type_hints(PushResult).items()})


class SelectionOut(BaseModel):
    sample_id: str
    rank: int
    score: float
    reason: str


class SelectResult(BaseModel):
    strategy: str
    selections: list[SelectionOut]
    output: str | None = None


# ---------------------------------------------------------------------- resources (static text)
QUESTION_TYPES: dict[str, dict[str, str]] = {
    "single_choice": {"value": "one option value (a candidate id when options_from_candidates)",
                      "example": '"1"', "needs": "options, or options_from_candidates"},
    "multi_choice": {"value": "list of option values", "example": '["incorrect", "unsafe"]',
                     "needs": "options, or options_from_candidates"},
    "rating": {"value": "number; with per_candidate a mapping candidate id -> number",
               "example": '4  or  {"0": 5, "1": 2}', "needs": "min and max (step), or a rubric"},
    "ranking": {"value": "list of candidate ids (or option values), best first", "example": '["1", "0", "2"]',
                "needs": "options, or options_from_candidates"},
    "text": {"value": "string", "example": '"The second answer misreads the question."', "needs": "nothing"},
    "span": {"value": "list of {field, start, end, label} with character offsets",
             "example": '[{"field": "candidate:0", "start": 4, "end": 17, "label": "error"}]',
             "needs": "options (the span labels)"},
}


def question_types_markdown() -> str:
    from typing import get_args

    from labelloop.data.schema import QuestionType

    lines = ["# Question types and value shapes", "",
             "Every label is an Annotation whose `values` map question name -> value. Values are stored in "
             "candidate ids, never in screen positions.", "",
             "| type | value | example | the question needs |", "|---|---|---|---|"]
    for name in get_args(QuestionType):
        q = QUESTION_TYPES.get(name, {"value": "", "example": "", "needs": ""})
        lines.append(f"| `{name}` | {q['value']} | `{q['example']}` | {q['needs']} |")
    lines += ["", "Annotation kinds: `human`, `prediction` (a model or LLM), `reference` (came with the data), "
              "`aggregate` (a merge result)."]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------- the server
def build_server(roots: list[Path] | None = None, *, host: str = "127.0.0.1", port: int = 8000,
                 endpoints: Endpoints | None = None) -> MCPServer:
    """An ``MCPServer`` whose tools may read and write only under ``roots`` (default: the current directory) and
    send secrets only to the operator's ``endpoints`` (default: the providers' own APIs, ``$LABEL_STUDIO_URL``)."""
    from labelloop._version import __version__

    g = Guard(roots)
    ends = endpoints or Endpoints.configure()
    mcp = MCPServer("labelloop", version=__version__, instructions=INSTRUCTIONS, log_level="WARNING")

    def load(path: str, fmt: str = "auto"):
        from labelloop.formats import load as _load

        return _load(g.path(path, "dataset", exists=True), fmt)

    def load_many(paths: list[str], fmt: str, schema: str | None):
        from labelloop.quality.inputs import load_inputs

        if not paths:
            raise LabelloopError("Give at least one dataset path.")
        return load_inputs([g.path(p, "dataset", exists=True) for p in paths], fmt=fmt, schema=g.schema(schema))

    def make_provider(name: str, model: str | None, base_url: str | None, **options: Any):
        from labelloop.assist.llm import get_provider

        url, key_env = ends.provider(name, base_url)
        prov = get_provider(name, model=model, base_url=url, api_key_env=key_env, **options)
        prov.check_ready()
        return prov

    def label_studio(url: str | None, ddir: Path) -> tuple[str | None, str | None]:
        from labelloop.annotate.labelstudio import Credentials

        with contextlib.suppress(LabelloopError):
            creds = Credentials.load(ddir)
            return ends.label_studio(url, creds.url if creds is not None else None)
        return ends.label_studio(url, None)

    Dataset_ = Annotated[str, Field(description="A dataset file or directory under the roots (relative paths are "
                                    "taken from the first root).")]
    Datasets_ = Annotated[list[str], Field(description="Dataset file(s) under the roots; several files of the same "
                                           "samples (e.g. one results file per annotator) are combined.")]
    Output_ = Annotated[str, Field(description="The file to write, under the roots; written atomically.")]
    Format_ = Annotated[str, Field(description="Input format, or 'auto' to recognise it by its columns.")]
    Schema_ = Annotated[str | None, Field(description="A template name (see labelloop://templates) or a schema file "
                                          "(YAML / JSON) under the roots; default: the dataset's own schema.")]
    Questions_ = Annotated[list[str] | None, Field(description="Only these questions (default: all).")]
    provider_help = ("LLM provider: openai, anthropic, moonshot or compatible (an OpenAI-compatible server the "
                     "operator configured). API keys come from the server's environment, never from arguments.")
    BaseUrl_ = Annotated[str | None, Field(description="Optional: one of the endpoints the server's operator "
                                           "configured (labelloop mcp --provider-url); others are refused. Default: "
                                           "the provider's configured endpoint, else its public API.")]
    Provider_ = Annotated[str, Field(description=provider_help)]
    ProviderOpt_ = Annotated[str | None, Field(description=provider_help)]

    # ------------------------------------------------------------------ reading and writing data
    @mcp.tool()
    def info(path: Dataset_, format: Format_ = "auto") -> DatasetInfo:
        """Counts of a dataset: samples, schema, candidates per sample, subsets, annotations by kind and annotator."""
        from labelloop.data.summary import dataset_summary
        from labelloop.formats import SampleReader

        with g.errors():
            reader = SampleReader(g.path(path, "dataset", exists=True), format)
            s = dataset_summary(reader.load())
            return g.clean(DatasetInfo(
                name=s["name"], samples=s["samples"], schema_name=s["schema"], format=reader.format_name,
                **{k: {str(a): b for a, b in s[k].items()} for k in (
                    "candidates_per_sample", "prompt_turns", "subsets", "annotations_by_kind",
                    "annotations_by_annotator")}))

    @mcp.tool()
    def validate(path: Dataset_, schema: Schema_ = None, format: Format_ = "auto") -> ValidateResult:
        """Check every human and merged annotation against the schema; lists each problem."""
        with g.errors():
            ds = load(path, format)
            sch = g.schema(schema) or ds.schema
            problems = [p for s in ds.samples for p in sch.validate_sample(s)] if sch is not None else []
            return g.clean(ValidateResult(samples=len(ds.samples), schema_name=sch.name if sch else None,
                                          valid=not problems, problems=len(problems), details=problems[:1000]))

    @mcp.tool()
    async def convert(
        src: Dataset_, output: Output_, ctx: Context, format: Format_ = "auto",
        limit: Annotated[int | None, Field(ge=1, description="Keep a seeded random sample of N samples.")] = None,
        seed: int = 0,
        skip_bad: Annotated[bool, Field(description="Go on past bad rows; write them to SRC.rejects.jsonl.")] = False,
        prompt_column: str | None = None, chosen_column: str | None = None, rejected_column: str | None = None,
        id_column: str | None = None,
    ) -> ConvertResult:
        """Convert any supported file (RewardBench, pairs, chat, HH-RLHF, ...) into labelloop's canonical dataset.
        Streams large inputs and reports progress."""
        from labelloop.data.io import write_samples
        from labelloop.formats import SampleReader

        with g.errors():
            src_path = g.path(src, "input", exists=True)
            out_path = g.path(output, "output")
            options = {f"{k}_column": v for k, v in (("prompt", prompt_column), ("chosen", chosen_column),
                                                      ("rejected", rejected_column), ("id", id_column)) if v}

            def work(report: Callable[[float, float | None], None]) -> ConvertResult:
                reader = SampleReader(src_path, format, limit=limit, seed=seed, skip_bad=skip_bad, options=options)
                if reader.rejects_path is not None:
                    g.path(str(reader.rejects_path), "rejects file")
                n = write_samples(counting(iter(reader), report), out_path, name=reader.name, schema=reader.schema,
                                  metadata=reader.metadata)
                return ConvertResult(input=str(src_path), format=reader.format_name, output=str(out_path), samples=n,
                                     rejected=len(reader.rejected),
                                     rejects_file=str(reader.rejects_path) if reader.rejected else None)

            async with progress(ctx) as prog:
                result = await anyio.to_thread.run_sync(work, prog.in_thread)
            return g.clean(result)

    @mcp.tool()
    def export(
        path: Dataset_, output: Output_,
        format: Annotated[str, Field(description="Output format: dpo, rm_pairwise, rm_gallery, jsonl, json, csv, "
                                     "parquet, ...")] = "dpo",
        pairs: Literal["best-vs-rest", "adjacent", "all"] = "best-vs-rest",
        label_source: Literal["auto", "aggregate", "human", "reference"] = "auto",
        question: str | None = None,
        prompt_style: Literal["auto", "text", "chat"] = "auto",
        split: Annotated[dict[str, float] | None, Field(description="Split by prompt, e.g. {'train': 0.9, 'test': "
                                                       "0.1}; files get _train / _test suffixes.")] = None,
        seed: int = 0, input_format: Format_ = "auto",
    ) -> ExportResult:
        """Write training data (DPO pairs, reward-model pairs) or another format. Labels come from an aggregate,
        else a unanimous human label, else the reference (label_source picks one)."""
        from labelloop.data.export import export_dataset

        with g.errors():
            ds = load(path, input_format)
            files = export_dataset(ds, g.path(output, "output"), format, pairs=pairs, label_source=label_source,
                                   question=question, prompt_style=prompt_style, ratios=split, seed=seed)
            return g.clean(ExportResult(format=format, files={k: ExportFile(**v) for k, v in files.items()}))

    # ------------------------------------------------------------------ people: the offline annotator
    @mcp.tool()
    def create_annotator(
        path: Dataset_, output: Output_ = "annotator.html", schema: Schema_ = None,
        guidelines: Annotated[str | None, Field(description="A Markdown file under the roots, shown in the page.")]
        = None,
        annotators: Annotated[list[str] | None, Field(description="Names the annotator picks from.")] = None,
        seed: int = 0, show_predictions: bool = True, title: str | None = None, format: Format_ = "auto",
    ) -> AnnotatorResult:
        """Write the offline annotator: one self-contained HTML file people label in, with no server or network.
        Its exported results come back with import_results."""
        from labelloop.annotate.html import build_annotator

        with g.errors():
            ds = load(path, format)
            sch = g.schema(schema) or ds.schema
            if sch is None:
                raise LabelloopError(f"{path} carries no schema; name a template or schema file.")
            text = None
            if guidelines:
                gpath = g.path(guidelines, "guidelines file", exists=True)
                try:
                    text = gpath.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError) as exc:
                    raise InputFileError(f"Cannot read guidelines file {gpath}: {exc}.") from None
            info_ = build_annotator(ds, sch, g.path(output, "output"), guidelines=text, annotators=annotators,
                                    seed=seed, show_predictions=show_predictions, title=title)
            return g.clean(AnnotatorResult(output=str(info_.path), tasks=info_.n_tasks, bytes=info_.n_bytes,
                                           file_id=info_.file_id, schema_name=sch.name,
                                           schema_hash=info_.schema_hash, seed=seed))

    @mcp.tool()
    def import_results(
        path: Dataset_,
        results: Annotated[list[str], Field(description="Results exported from the annotator page (.json, .jsonl "
                                            "or .csv), under the roots.")],
        output: Output_, schema: Schema_ = None, format: Format_ = "auto",
    ) -> Report:
        """Add the annotator page's exported results to the dataset as human annotations, checking every value."""
        from labelloop.annotate.results import import_results as _import
        from labelloop.formats import save

        with g.errors():
            ds = load(path, format)
            merged, report = _import(ds, [g.path(r, "results file", exists=True) for r in results],
                                     schema=g.schema(schema))
            out = g.path(output, "output")
            save(merged, out)
            return g.clean(Report(output=str(out), report=report.as_dict()))

    # ------------------------------------------------------------------ quality
    @mcp.tool()
    def agreement(
        paths: Datasets_, questions: Questions_ = None,
        level: Annotated[str | None, Field(description="Alpha level: nominal, ordinal, interval, ratio (masi or "
                                           "jaccard for multi-choice). Default: from the question type.")] = None,
        bootstrap: Annotated[int, Field(ge=0, description="Bootstrap replicates for 95% intervals (1000 is usual)."
                                        )] = 0,
        seed: int = 0, include_predictions: bool = False, schema: Schema_ = None, format: Format_ = "auto",
    ) -> Report:
        """Inter-annotator agreement per question: Krippendorff's alpha, kappas, AC1, per-annotator figures and the
        most disagreed items."""
        from labelloop.quality.agreement import agreement as _agreement

        with g.errors():
            ds = load_many(paths, format, schema)
            report = _agreement(ds, questions=questions or None, level=level, include_predictions=include_predictions,
                                bootstrap=bootstrap, seed=seed)
            return g.clean(Report(report=_plain(report.to_dict())))

    @mcp.tool()
    def merge(
        paths: Datasets_, output: Output_,
        strategy: Annotated[str, Field(description="majority, average, median, strict, per-option, intersection, "
                                       "union, borda, dawid-skene, weighted or bradley-terry.")] = "majority",
        questions: Questions_ = None,
        tie_breaker: Literal["review", "schema", "random", "experts"] = "review",
        experts: Annotated[list[str] | None, Field(description="Expert annotators, highest priority first.")] = None,
        min_agreement: float = 0.0, min_confidence: float = 0.0, seed: int = 0, include_predictions: bool = False,
        schema: Schema_ = None, format: Format_ = "auto",
    ) -> Report:
        """Merge every annotator's answers into one aggregate annotation per sample."""
        from labelloop.formats import save
        from labelloop.quality.merge import STRATEGIES
        from labelloop.quality.merge import merge as _merge

        with g.errors():
            if strategy not in STRATEGIES:
                raise LabelloopError(f"Unknown merge strategy {strategy!r}; known: {', '.join(STRATEGIES)}.")
            out = g.path(output, "output")
            ds = load_many(paths, format, schema)
            merged, summary = _merge(ds, strategy, questions=questions or None, include_predictions=include_predictions,
                                     tie_breaker=tie_breaker, experts=experts or [], seed=seed,
                                     min_agreement=min_agreement, min_confidence=min_confidence)
            save(merged, out)
            return g.clean(Report(output=str(out), report=_plain(summary)))

    @mcp.tool()
    def adjudicate(
        paths: Datasets_, output: Output_,
        strategy: Literal["majority", "experts", "longest", "review"] = "majority",
        experts: Annotated[list[str] | None, Field(description="Expert annotators, highest priority first.")] = None,
        queue: Annotated[str | None, Field(description="Review queue (JSONL) for what still needs a person "
                                           "(default: OUTPUT's name with .review.jsonl).")] = None,
        decisions: Annotated[str | None, Field(description="A filled-in review queue: when given, the reviewer's "
                                               "decisions are read back instead of running a strategy.")] = None,
        reviewer: Annotated[str | None, Field(description="With decisions: the name for decisions naming none.")]
        = None,
        questions: Questions_ = None, include_predictions: bool = False, schema: Schema_ = None,
        format: Format_ = "auto",
    ) -> Report:
        """Settle disagreements by rule and queue the rest for a reviewer; or, with decisions, apply the reviewer's
        answers as aggregate annotations."""
        from labelloop.formats import save
        from labelloop.quality.adjudicate import adjudicate as _adjudicate
        from labelloop.quality.adjudicate import apply_decisions, default_queue_path, write_queue

        with g.errors():
            out = g.path(output, "output")
            ds = load_many(paths, format, schema)
            if decisions:
                result, summary = apply_decisions(ds, g.path(decisions, "decisions file", exists=True),
                                                  reviewer=reviewer)
            else:
                result, items, summary = _adjudicate(ds, strategy, experts=experts or [],
                                                     questions=questions or None,
                                                     include_predictions=include_predictions)
                queue_path = g.path(queue, "queue") if queue else default_queue_path(out)
                if items or queue:
                    write_queue(items, queue_path)
                    summary["queue"] = str(queue_path)
            save(result, out)
            return g.clean(Report(output=str(out), report=_plain(summary)))

    @mcp.tool()
    def dashboard(path: Dataset_, output: Output_ = "dashboard.html", fmt: Literal["html", "md"] = "html",
                  title: str | None = None, format: Format_ = "auto") -> TextResult:
        """A quality dashboard of the dataset (agreement, progress, label distribution) as HTML or Markdown."""
        with g.errors():
            from labelloop.report.dashboard import write_dashboard

            ds = load(path, format)
            options = {"title": title} if title else {}
            written = write_dashboard(ds, g.path(output, "output"), fmt=fmt, **options)
            text = Path(written).read_text(encoding="utf-8") if fmt == "md" else ""
            return g.clean(TextResult(output=str(written), text=text))

    # ------------------------------------------------------------------ machine help
    @mcp.tool()
    async def prelabel(
        path: Dataset_, output: Output_, provider: Provider_, ctx: Context,
        model: str | None = None,
        base_url: BaseUrl_ = None,
        schema: Schema_ = None,
        concurrency: Annotated[int, Field(ge=1)] = 8,
        cache: Annotated[str, Field(description="Answer cache directory under the roots; a rerun makes no call it "
                                    "already paid for.")] = ".labelloop/cache",
        no_cache: bool = False,
        limit: Annotated[int | None, Field(ge=1, description="Pre-label a seeded random sample of N.")] = None,
        temperature: float = 0.0, timeout: float = 60.0,
        max_retries: Annotated[int, Field(ge=0)] = 4, max_attempts: Annotated[int, Field(ge=1)] = 3,
        both_orders: bool = False, seed: int = 0, format: Format_ = "auto",
    ) -> Report:
        """Ask an LLM for pre-labels; each valid answer becomes a prediction annotation. Reports progress."""
        from labelloop.assist.cache import AnswerCache
        from labelloop.assist.prelabel import prelabel_async
        from labelloop.formats import save

        with g.errors():
            prov = make_provider(provider, model, base_url, temperature=temperature, timeout=timeout,
                            max_retries=max_retries, seed=seed)
            out = g.path(output, "output")
            cache_dir = None if no_cache else g.path(cache, "cache dir")
            ds = await anyio.to_thread.run_sync(load, path, format)
            sch = g.schema(schema) or ds.schema
            if sch is None:
                raise LabelloopError(f"{path} carries no schema; name a template or schema file.")
            answers = AnswerCache(cache_dir)
            try:
                async with progress(ctx) as prog:
                    result = await prelabel_async(ds, sch, prov, concurrency=concurrency, cache=answers, limit=limit,
                                                  seed=seed, both_orders=both_orders, max_attempts=max_attempts,
                                                  on_progress=prog.in_loop)
            finally:
                answers.close()
            await anyio.to_thread.run_sync(save, result.dataset, out)
            return g.clean(Report(output=str(out), report={"annotator": prov.annotator,
                                                           **result.summary.as_dict()}))

    @mcp.tool()
    def review(
        path: Dataset_,
        output: Annotated[str | None, Field(description="Also write the review as Markdown here.")] = None,
        schema: Schema_ = None, provider: ProviderOpt_ = None, model: str | None = None,
        base_url: BaseUrl_ = None, format: Format_ = "auto",
    ) -> Report:
        """Review a dataset's annotations for likely mistakes (and, with an LLM provider, a judge's second look)."""
        from labelloop.data.io import atomic_open

        with g.errors():
            from labelloop.assist.review import review_dataset

            prov = make_provider(provider, model, base_url) if provider else None
            out = g.path(output, "output") if output else None
            rep = review_dataset(load(path, format), schema=g.schema(schema), provider=prov)
            if out is not None:
                with atomic_open(out) as fh:
                    fh.write(rep.to_markdown())
            return g.clean(Report(output=str(out) if out else None,
                                  report=_plain(rep.to_dict())))

    @mcp.tool()
    def guidelines(
        schema: Annotated[str, Field(description="A template name or schema file under the roots.")],
        path: Annotated[str | None, Field(description="A dataset whose samples illustrate the guidelines.")] = None,
        output: Annotated[str | None, Field(description="Also write the Markdown here.")] = None,
        provider: ProviderOpt_ = None, model: str | None = None, base_url: BaseUrl_ = None,
        language: str = "en",
        samples: Annotated[int, Field(ge=0, description="How many of the dataset's samples to show the writer.")]
        = 5,
    ) -> TextResult:
        """Draft annotation guidelines (Markdown) for a schema, optionally from example samples and an LLM."""
        from labelloop.data.io import atomic_open

        with g.errors():
            from labelloop.assist.guidelines import draft_guidelines

            sch = g.schema(schema)
            prov = make_provider(provider, model, base_url) if provider else None
            out = g.path(output, "output") if output else None
            examples = load(path).samples[:samples] if path else None
            text = draft_guidelines(sch, examples, provider=prov, language=language)
            if out is not None:
                with atomic_open(out) as fh:
                    fh.write(text)
            return g.clean(TextResult(output=str(out) if out else None, text=text))

    @mcp.tool()
    def select_next_batch(
        path: Dataset_,
        strategy: Annotated[str, Field(description="least_confidence, margin, entropy, disagreement, diversity, mix "
                                       "or random.")] = "mix",
        batch_size: Annotated[int, Field(ge=1)] = 20,
        predictor: Annotated[str, Field(description="tfidf (light), embedding (the ml extra) or llm.")] = "tfidf",
        seed: int = 0,
        output: Annotated[str | None, Field(description="Also write the selected samples as a dataset here.")]
        = None,
        format: Format_ = "auto",
    ) -> SelectResult:
        """Active learning: which samples people should label next, best first, with the reason for each."""
        with g.errors():
            from labelloop.assist.active import select_batch

            ds = load(path, format)
            picks = select_batch(ds, strategy=strategy, batch_size=batch_size, predictor=predictor, seed=seed)
            written = None
            if output:
                from labelloop.formats import save

                by_id = ds.by_id()
                out = g.path(output, "output")
                save(ds.model_copy(update={"samples": [by_id[p.sample_id] for p in picks]}), out)
                written = str(out)
            return g.clean(SelectResult(strategy=strategy, output=written, selections=[
                SelectionOut(sample_id=p.sample_id, rank=p.rank, score=p.score, reason=p.reason) for p in picks]))

    # ------------------------------------------------------------------ Label Studio
    LsDir_ = Annotated[str | None, Field(description="Label Studio's data dir under the roots (credentials, state); "
                                         "default .labelloop/label-studio.")]
    LsUrl_ = Annotated[str | None, Field(description="Label Studio URL: the one the operator configured "
                                         "(--label-studio-url, $LABEL_STUDIO_URL) or the server started from "
                                         "data_dir; others are refused. Default: the configured one, else the "
                                         "data_dir's. The token never comes from a tool argument.")]

    @mcp.tool()
    def labelstudio_status(data_dir: LsDir_ = None) -> Report:
        """URL, version, PIDs and whether the API answers for the Label Studio started from data_dir."""
        from labelloop.annotate.labelstudio import LabelStudioServer

        with g.errors():
            st = LabelStudioServer(g.ls_dir(data_dir)).status()
            return g.clean(Report(report=_plain(st)))

    @mcp.tool()
    async def labelstudio_push(
        path: Dataset_, ctx: Context, template: Schema_ = None, project_title: str | None = None,
        project_description: str = "",
        project: Annotated[int | None, Field(description="Add to this existing project instead.")] = None,
        url: LsUrl_ = None, data_dir: LsDir_ = None, batch_size: Annotated[int, Field(ge=1)] = 500, seed: int = 0,
        shuffle: bool = True, overlap: Annotated[int, Field(ge=1)] = 1,
        reference_prelabels: bool = False, format: Format_ = "auto",
    ) -> PushOutput:
        """Create a Label Studio project and import the samples as tasks, prediction annotations as pre-labels.
        Reports progress."""
        from labelloop.annotate.labelstudio import create_annotator as ls_annotator
        from labelloop.annotate.labelstudio import reference_as_prelabels

        with g.errors():
            ddir = g.ls_dir(data_dir)
            tpl = g.template(template)
            ls_url, token = label_studio(url, ddir)

            def work(report: Callable[[float, float | None], None]) -> PushOutput:
                ds = load(path, format)
                if reference_prelabels:
                    ds = reference_as_prelabels(ds)
                annotator = ls_annotator(server_url=ls_url, api_token=token, project_title=project_title,
                                         template_name=tpl, project_description=project_description, data_dir=ddir,
                                         batch_size=batch_size, seed=seed, shuffle=shuffle, overlap=overlap,
                                         progress=report)
                res = annotator.run(ds, create_new_project=project is None, project_id=project)
                return PushOutput(**res.as_dict())

            async with progress(ctx) as prog:
                result = await anyio.to_thread.run_sync(work, prog.in_thread)
            return g.clean(result)

    @mcp.tool()
    async def labelstudio_pull(
        project: int, ctx: Context,
        output: Annotated[str | None, Field(description="Output dataset (default labelstudio-project-ID.jsonl); "
                                            "pulled into again, it gains only what is new or changed.")] = None,
        dataset: Annotated[str | None, Field(description="Dataset to add the annotations to (default: the output if "
                                             "it exists, else the copy kept at push time).")] = None,
        template: Schema_ = None, url: LsUrl_ = None, data_dir: LsDir_ = None,
        pages: Annotated[bool, Field(description="Read tasks a page at a time instead of one export.")] = False,
    ) -> Report:
        """Every annotation of every annotator of a Label Studio project, as human annotations in candidate ids.
        Reports progress."""
        from labelloop.annotate.labelstudio import pull_project
        from labelloop.formats import save

        with g.errors():
            ddir = g.ls_dir(data_dir)
            ls_url, token = label_studio(url, ddir)
            out = g.path(output or f"labelstudio-project-{project}.jsonl", "output")
            tpl = g.template(template)
            base_path = g.path(dataset, "dataset", exists=True) if dataset else (out if out.exists() else None)

            def work(report: Callable[[float, float | None], None]) -> Report:
                from labelloop.formats import load as _load

                base = _load(base_path) if base_path is not None else None
                ds, stats = pull_project(project, ls_url, token, dataset=base, data_dir=ddir, template=tpl,
                                         progress=report, method="pages" if pages else "export")
                save(ds, out)
                return Report(output=str(out), report=stats.as_dict())

            async with progress(ctx) as prog:
                result = await anyio.to_thread.run_sync(work, prog.in_thread)
            return g.clean(result)

    # ------------------------------------------------------------------ resources
    @mcp.resource("labelloop://templates", name="templates", mime_type="application/json",
                  description="The built-in templates (ready annotation schemas): name and what each asks.")
    def templates_resource() -> str:
        from labelloop.templates import TEMPLATES

        return json.dumps([{"name": n, "description": _template_description(n), "uri": f"labelloop://templates/{n}"}
                           for n in TEMPLATES], indent=2)

    for _name in _template_names():
        _add_template_resource(mcp, _name)

    @mcp.resource("labelloop://schema/json-schema", name="schema-json-schema", mime_type="application/json",
                  description="The JSON Schema of an annotation schema file (AnnotationSchema).")
    def schema_json_schema() -> str:
        from labelloop.data.schema import AnnotationSchema

        return json.dumps(AnnotationSchema.model_json_schema(), indent=2)

    @mcp.resource("labelloop://question-types", name="question-types", mime_type="text/markdown",
                  description="Question types and the shape of their values in an annotation.")
    def question_types() -> str:
        return question_types_markdown()

    @mcp.resource("labelloop://dataset/{+path}", name="dataset-summary", mime_type="application/json",
                  description="A dataset's summary (samples, schema, candidates, annotations) by path under the roots.",
                  security=ResourceSecurity(exempt_params={"path"}))
    def dataset_resource(path: str) -> str:
        from labelloop.data.summary import dataset_summary

        try:
            return json.dumps(dataset_summary(load(path)), default=str, indent=2)
        except LabelloopError as exc:
            raise ResourceError(g.redact(str(exc))) from None

    # ------------------------------------------------------------------ prompts
    @mcp.prompt(title="Design an annotation schema")
    def design_schema(task: str, examples: str = "") -> str:
        """Design a labelloop annotation schema for a labelling task."""
        from labelloop.templates import TEMPLATES

        example = TEMPLATES.get("rewardbench")().model_dump(mode="json", exclude_defaults=True)
        return (f"Design an annotation schema for this task:\n\n{task}\n\n"
                + (f"Example items:\n{examples}\n\n" if examples else "")
                + "Write it as a labelloop AnnotationSchema in YAML (name, questions, guidelines). Prefer few, "
                "clear questions; use options_from_candidates when people judge the model answers themselves; give "
                "a rubric for ratings; mark optional questions required: false; write short Markdown guidelines "
                "with the edge cases (ties, both bad).\n\n" + question_types_markdown()
                + "\nA built-in template for comparison (rewardbench):\n```json\n" + json.dumps(example, indent=1)
                + "\n```\nThe full JSON Schema is the resource labelloop://schema/json-schema; templates are listed at "
                "labelloop://templates. Save the schema under the server root and check it with the validate tool.")

    @mcp.prompt(title="Review annotation quality")
    def review_quality(path: str) -> str:
        """Review a project's annotation quality: agreement, schema problems, what to adjudicate."""
        from labelloop.data.summary import dataset_summary

        try:
            summary = dataset_summary(load(path))
        except LabelloopError as exc:
            raise MCPError(code=INVALID_PARAMS, message=g.redact(str(exc))) from None
        return (f"Review the annotation quality of the dataset {path}. Its summary:\n```json\n"
                f"{json.dumps(summary, indent=1, default=str)}\n```\n"
                "1. Call validate to list labels that do not fit the schema.\n"
                "2. Call agreement (bootstrap 1000) and read Krippendorff's alpha per question: below 0.667 is "
                "unreliable, above 0.8 is good; look at per-annotator figures for an outlier annotator.\n"
                "3. Look at the most disagreed items and say whether the guidelines or the schema cause them "
                "(call guidelines for a better draft if so).\n"
                "4. Call merge (majority, or dawid-skene with several annotators of unequal skill) and adjudicate "
                "for what stays tied; report how many items need a reviewer.\n"
                "Finish with a short verdict: can this data train a model as it is, and what to fix first.")

    @mcp.prompt(title="Walk through the whole loop")
    def full_loop(path: str, goal: str = "DPO training pairs") -> str:
        """Take a raw file to annotators, agreement and training data, step by step, with labelloop's tools."""
        return (f"Take the raw file {path} to {goal}, using labelloop's tools, one step at a time; show the "
                "figures each tool returns and stop to ask when a choice matters.\n"
                "1. info on the raw file, then convert it to a canonical dataset (e.g. data/dataset.jsonl).\n"
                "2. Pick a template (resource labelloop://templates) or design a schema; validate.\n"
                "3. Optionally prelabel with an LLM (provider keys come from the server's environment).\n"
                "4. Put it in front of people: create_annotator (an offline HTML page to send around) or "
                "labelstudio_push (a running Label Studio); use select_next_batch to choose what to label first.\n"
                "5. Bring the work back: import_results for the page's exported files, labelstudio_pull for "
                "Label Studio.\n"
                "6. agreement; then merge (or adjudicate) into aggregate labels; dashboard for an overview.\n"
                "7. export with format 'dpo' (pairs best-vs-rest, split {'train': 0.9, 'test': 0.1}).")

    return mcp


def _template_names() -> list[str]:
    from labelloop.templates import TEMPLATES

    return list(TEMPLATES)


def _template_description(name: str) -> str:
    """The template's docstring, else what its questions ask."""
    from labelloop.templates import TEMPLATES

    factory = TEMPLATES.get(name)
    return (factory.__doc__ or "").strip() or "; ".join(q.title or q.name for q in factory().questions) + "."


def _add_template_resource(mcp: MCPServer, name: str) -> None:
    from labelloop.templates import TEMPLATES

    @mcp.resource(f"labelloop://templates/{name}", name=f"template-{name}", mime_type="application/json",
                  description=_template_description(name))
    def template_schema() -> str:
        return TEMPLATES.get(name)().model_dump_json(indent=2)


def check_host(host: str) -> None:
    if not is_loopback(host):
        raise LabelloopError(f"--host {host} is not a loopback address; the MCP server has no authentication, so it "
                             f"listens only on {', '.join(LOOPBACK)}.")


def serve(roots: list[Path] | None = None, transport: str = "stdio", host: str = "127.0.0.1",
          port: int = 8000, endpoints: Endpoints | None = None) -> None:
    """Run the server until the client goes away (stdio) or the process is stopped (http)."""
    if transport not in ("stdio", "http"):
        raise LabelloopError(f"Unknown transport {transport!r}; use stdio or http.")
    for r in roots or []:
        if not Path(r).expanduser().is_dir():
            raise LabelloopError(f"--root {r} is not a directory.")
    server = build_server(roots, endpoints=endpoints)
    Sandbox(Guard(roots).roots).install()  # from here on, every file the process opens lies under a root
    if transport == "stdio":
        server.run("stdio")
    else:
        check_host(host)
        server.run("streamable-http", host=host, port=port)

"""assign, assign --next-round, create --plan: who labels what, written as a plan file, and one page per person.

The plan is a plain JSON file people can read and edit::

    {"labelloop_plan": 1, "kind": "overlap", "dataset": "...", "seed": 0,
     "settings": {"annotators": [...], "overlap": 2, "capacity": {...}, "gold_rate": 0.05, "gold_file": null},
     "assignments": {"ana": ["s3", "s7", ...], ...},       # each person's tasks, in the order they see them
     "gold": {"ids": [...], "file": null, "per_annotator": {"ana": 1, ...}},
     "summary": {...}}

``assignments`` mixes the gold samples in; ``gold.ids`` says which they are. A next round's plan has the same
shape (``kind``: ``next_round``), with the new tasks only, the earlier plan's gold ids, and ``had``: who has had
each sample so far, so that ``--next-round --plan round2.json`` asks someone else again.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from labelloop.annotate.html import build_annotator, file_id_of
from labelloop.annotate.results import import_results as _import_results
from labelloop.annotate.results import read_results
from labelloop.data.io import atomic_open
from labelloop.data.model import DataSample, Dataset
from labelloop.data.preference import canonical
from labelloop.data.provenance import GOLD_CHECK
from labelloop.data.schema import AnnotationSchema, Question
from labelloop.errors import InputFileError, LabelloopError, ParameterError, ResultsMismatchError
from labelloop.formats import save
from labelloop.ops._common import (
    Note,
    Progress,
    SchemaRef,
    comma_list,
    load_dataset,
    no_note,
    no_progress,
    read_guidelines,
    schema_for,
)
from labelloop.quality.assignment import (
    expected_shared,
    gold_count,
    mix_gold,
    pair_counts,
    plan_overlap,
    seeded_rng,
)
from labelloop.quality.assignment import next_round as _next_round
from labelloop.quality.gold import gold_accuracy
from labelloop.quality.units import latest_by_annotator, reference_values

PLAN_VERSION = 1
MAX_GOLD_RATE = 0.5


class AssignResult(BaseModel):
    output: str
    samples: int
    annotators: list[str]
    overlap: int
    loads: dict[str, int]
    """Each person's tasks, gold included."""
    gold_per_annotator: dict[str, int]
    gold_ids: list[str]
    short: dict[str, int]
    """Samples that got fewer than ``overlap`` people (capacity ran out): sample id -> people it got."""
    pairs_min: int
    pairs_max: int
    pairs_expected: float
    seed: int


class SampleRound(BaseModel):
    sample_id: str
    labels: int
    label: Any
    posterior: float
    settled: bool
    next_annotator: str | None = None
    reason: str = ""


class NextRoundResult(BaseModel):
    output: str
    question: str
    samples: int
    settled: int
    unsettled: int
    assigned: int
    at_max: int
    loads: dict[str, int]
    reliability: dict[str, float]
    gold_accuracy: list[dict[str, Any]]
    done: bool
    """Every sample is settled or at its maximum: no further round would add a label."""
    states: list[SampleRound]


class PagesResult(BaseModel):
    output_dir: str
    pages: dict[str, str]
    tasks: dict[str, int]
    file_ids: dict[str, str]
    schema_name: str


# ---------------------------------------------------------------------- parameters
def _annotators(annotators: str | Sequence[str] | None) -> list[str]:
    names = comma_list(annotators)
    if not names:
        raise ParameterError("annotators", "Give the people who label with {param} (comma-separated names).")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ParameterError("annotators", f"{{param}} names {ParameterError.literal(', '.join(twice))} more than "
                             "once; each person once.")
    return names


def parse_capacity(capacity: str | Mapping[str, int] | None, names: Sequence[str]) -> dict[str, int]:
    """``"ana=300,ben=200"`` (or a mapping) as {name: tasks}; every name one of ``names``, every count ≥ 0."""
    if capacity is None or capacity == "":
        return {}
    items: list[tuple[str, Any]]
    if isinstance(capacity, Mapping):
        items = list(capacity.items())
    else:
        items = []
        for part in comma_list(capacity):
            name, eq, count = part.partition("=")
            if not eq:
                raise ParameterError("capacity", f"{{param}} entry {ParameterError.literal(repr(part))} is not "
                                     "NAME=TASKS (for instance ana=300).")
            items.append((name.strip(), count.strip()))
    out: dict[str, int] = {}
    for name, count in items:
        if name not in names:
            raise ParameterError("capacity", f"{{param}} names {ParameterError.literal(repr(name))}, who is not "
                                 f"among the annotators ({ParameterError.literal(', '.join(names))}).")
        try:
            n = int(count)
        except (TypeError, ValueError):
            n = -1
        if n < 0 or str(count).strip() not in (str(n), f"+{n}"):
            raise ParameterError("capacity", f"{{param}} for {ParameterError.literal(name)} must be a whole number "
                                 f"of tasks, 0 or more, not {ParameterError.literal(repr(count))}.")
        out[name] = n
    return out


def _has_reference(sample: DataSample, questions: Sequence[Question]) -> bool:
    return any(reference_values(sample, q) for q in questions)


# ---------------------------------------------------------------------- assign
def assign(dataset: str | Path, annotators: str | Sequence[str], output: Path = Path("plan.json"), *,
           overlap: int = 2, capacity: str | Mapping[str, int] | None = None, gold: str | Path | None = None,
           gold_rate: float | None = None, seed: int = 0, template: str | None = None,
           schema: SchemaRef | None = None, fmt: str = "auto", note: Note = no_note,
           progress: Progress = no_progress) -> AssignResult:
    """The plan: every sample to ``overlap`` distinct people, loads level, the overlap spread over every pair,
    gold samples (from ``gold``, or a share of the dataset's reference-labelled samples) mixed into every list
    at ``gold_rate``; written to ``output`` as JSON. Nothing is written when a parameter is refused."""
    names = _annotators(annotators)
    if overlap < 1 or overlap > len(names):
        raise ParameterError("overlap", f"{{param}} {overlap} needs between 1 and {len(names)} people (the "
                             f"annotators given: {ParameterError.literal(', '.join(names))}).")
    caps = parse_capacity(capacity, names)
    if gold_rate is not None and not 0 <= gold_rate < MAX_GOLD_RATE:
        raise ParameterError("gold_rate", f"{{param}} must be at least 0 and under {MAX_GOLD_RATE}, not {gold_rate}.")
    rate = gold_rate if gold_rate is not None else (0.05 if gold is not None else 0.0)
    ds, _ = load_dataset(dataset, fmt, note=note, progress=progress)
    ids = [s.id for s in ds.samples]
    if not ids:
        raise ParameterError("dataset", f"{ParameterError.literal(str(dataset))} holds no samples to assign.")
    sch = schema_for(ds, template, schema, required=False)
    questions = sch.questions if sch is not None else []
    pool: list[str] = []
    gold_file = None
    if gold is not None:
        gds, _ = load_dataset(gold, "auto")
        gold_file = str(gold)
        pool = [s.id for s in gds.samples if _has_reference(s, questions or (gds.schema.questions if gds.schema
                                                                              else []))]
        if not pool:
            raise ParameterError("gold", f"{{param}} file {ParameterError.literal(str(gold))} has no sample with a "
                                 "reference label; gold samples need the answer they are checked against.")
        clash = sorted(set(pool) & set(ids))
        if clash:
            raise ParameterError("gold", f"{{param}} file {ParameterError.literal(str(gold))} shares sample ids with "
                                 f"the dataset ({ParameterError.literal(', '.join(clash[:5]))}); gold samples need "
                                 "ids of their own.")
        if rate == 0:
            raise ParameterError("gold_rate", "{param} 0 mixes no gold in; give a rate above 0 with {other}.",
                                 other="gold")
    elif rate > 0:
        candidates = [s.id for s in ds.samples if _has_reference(s, questions)]
        if not candidates:
            raise ParameterError("gold_rate", f"{{param}} {rate} takes gold from the dataset's reference-labelled "
                                 f"samples, and {ParameterError.literal(str(dataset))} has none; give a gold file with "
                                 "{other}.", other="gold")
        pool = _dataset_gold(candidates, len(ids), len(names), overlap, rate, seed)
    gold_set = set(pool)
    regular = [i for i in ids if i not in gold_set] if gold is None else ids
    reg_caps = {n: c - math.ceil(c * rate) if rate else c for n, c in caps.items()}
    plan = plan_overlap(regular, names, overlap, reg_caps, seed)
    lists, got = mix_gold(plan.assignments, pool, rate, caps, seed)
    pairs = pair_counts(plan.assignments, names)
    used_gold = sorted({i for lst in lists.values() for i in lst if i in gold_set}, key=(pool.index))
    loads = {n: len(v) for n, v in lists.items()}
    summary = {"samples": len(regular), "loads": loads, "gold_per_annotator": got, "short": plan.short,
               "pairs": {f"{a}+{b}": c for (a, b), c in pairs.items()},
               "pairs_expected": round(expected_shared(len(regular), len(names), overlap), 3)}
    doc = {
        "labelloop_plan": PLAN_VERSION,
        "kind": "overlap",
        "dataset": ds.name,
        "source": str(dataset),
        "seed": seed,
        "settings": {"annotators": names, "overlap": overlap, "capacity": caps, "gold_rate": rate,
                     "gold_file": gold_file, "seed": seed},
        "assignments": lists,
        "gold": {"ids": used_gold, "file": gold_file, "per_annotator": got},
        "summary": summary,
    }
    _write(output, doc)
    if plan.short:
        note(f"{len(plan.short)} sample(s) got fewer than {overlap} people: capacity ran out.")
    return AssignResult(output=str(output), samples=len(regular), annotators=names, overlap=overlap, loads=loads,
                        gold_per_annotator=got, gold_ids=used_gold, short=plan.short,
                        pairs_min=min(pairs.values(), default=0), pairs_max=max(pairs.values(), default=0),
                        pairs_expected=summary["pairs_expected"], seed=seed)


def _dataset_gold(candidates: list[str], n: int, m: int, k: int, rate: float, seed: int) -> list[str]:
    """As many of the dataset's reference-labelled samples as one person's list needs (so every person sees the
    same gold, at their own positions), drawn seeded; the rest are labelled as usual."""
    size = 0
    for _ in range(20):
        per_person = math.ceil((n - size) * k / m)
        want = min(len(candidates), gold_count(per_person, rate))
        if want == size:
            break
        size = want
    picked = set(seeded_rng(seed, "gold-pool").sample(candidates, size))
    return [c for c in candidates if c in picked]


# ---------------------------------------------------------------------- the plan file
def _write(output: str | Path, doc: dict[str, Any]) -> None:
    with atomic_open(output) as fh:
        fh.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


def load_plan(path: str | Path) -> dict[str, Any]:
    """A plan file written by ``assign``, checked: ``assignments`` maps names to lists of sample ids, and
    ``gold.ids`` lists ids. Anything else is one sentence naming the file."""
    p = Path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputFileError(f"Plan file {p} does not exist.") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputFileError(f"Cannot read plan file {p}: {exc}.") from None
    if not isinstance(doc, dict) or "labelloop_plan" not in doc:
        raise InputFileError(f"{p} is not a labelloop plan (no labelloop_plan key); make one with labelloop assign.")
    lists = doc.get("assignments")
    if not isinstance(lists, dict) or not all(
            isinstance(v, list) and all(isinstance(i, str) for i in v) for v in lists.values()):
        raise InputFileError(f"{p}: assignments must map each annotator to a list of sample ids.")
    gold = doc.get("gold") or {}
    if not isinstance(gold, dict) or not isinstance(gold.get("ids", []), list):
        raise InputFileError(f"{p}: gold.ids must be a list of sample ids.")
    return doc


def plan_datasets(dataset: Dataset, plan: Mapping[str, Any], *, plan_path: str | Path | None = None,
                  gold: Dataset | None = None) -> dict[str, Dataset]:
    """Each person's own dataset: their samples from ``dataset`` (and the plan's gold file), in plan order.
    A sample id the plan names that neither holds is one sentence."""
    by_id = dataset.by_id()
    gold_file = (plan.get("gold") or {}).get("file")
    if gold is None and gold_file:
        where = Path(gold_file)
        if not where.is_absolute() and plan_path is not None and not where.exists():
            where = Path(plan_path).parent / where
        gold, _ = load_dataset(where)
    if gold is not None:
        for s in gold.samples:
            by_id.setdefault(s.id, s)
    out: dict[str, Dataset] = {}
    for name, ids in plan["assignments"].items():
        missing = [i for i in ids if i not in by_id]
        if missing:
            raise ParameterError("plan", f"{{param}} gives {ParameterError.literal(name)} sample(s) "
                                 f"{ParameterError.literal(', '.join(missing[:5]))} that the dataset "
                                 f"{ParameterError.literal(dataset.name)} does not hold; was it made for another "
                                 "dataset?")
        out[name] = dataset.model_copy(update={"samples": [by_id[i] for i in ids]})
    return out


def _page_name(name: str) -> str:
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in name).strip("._") or "annotator"
    return safe[:60]


def create_pages(dataset: str | Path, plan: str | Path, output_dir: Path = Path("pages"), *,
                 template: str | None = None, schema: SchemaRef | None = None, guidelines: Path | None = None,
                 seed: int = 0, show_predictions: bool = True, title: str | None = None, fmt: str = "auto",
                 note: Note = no_note, progress: Progress = no_progress) -> PagesResult:
    """One offline page per person in ``plan``: only their tasks, in plan order, and their name the only one
    the page offers. Written as ``output_dir/NAME.html``."""
    doc = load_plan(plan)
    ds, _ = load_dataset(dataset, fmt, note=note, progress=progress)
    sch: AnnotationSchema = schema_for(ds, template, schema)
    per = plan_datasets(ds, doc, plan_path=plan)
    files = {n: _page_name(n) for n in per}
    if len(set(files.values())) < len(files):
        raise ParameterError("plan", "{param} names people whose page file names would clash; rename them.")
    out_dir = Path(output_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    text = read_guidelines(guidelines)
    pages, tasks, fids = {}, {}, {}
    for name, sub in per.items():
        path = out_dir / f"{files[name]}.html"
        info = build_annotator(sub, sch, path, guidelines=text, annotators=[name], seed=seed,
                               show_predictions=show_predictions,
                               title=title or f"{ds.name} · {sch.name} · {name}")
        pages[name], tasks[name], fids[name] = str(info.path), info.n_tasks, info.file_id
    return PagesResult(output_dir=str(out_dir), pages=pages, tasks=tasks, file_ids=fids, schema_name=sch.name)


# ---------------------------------------------------------------------- results of the pages
class PlanImportResult(BaseModel):
    output: str
    files: list[str]
    pages: dict[str, str]
    """Each results file and the person whose page it came from."""
    imported: int
    replaced: int
    by_annotator: dict[str, int]
    gold_checks: int
    """Answers on gold samples: marked ``metadata['gold_check']``, checks rather than labels."""
    gold_samples_added: int
    """Samples of the plan's gold file added to the output (with their reference answer), so that gold accuracy
    can be read from it."""




def import_plan_results(dataset: str | Path, plan: str | Path, results: Sequence[Path], output: Path, *,
                        template: str | None = None, schema: SchemaRef | None = None, fmt: str = "auto",
                        note: Note = no_note, progress: Progress = no_progress) -> PlanImportResult:
    """The results of the pages ``create --plan`` wrote, each matched to its person's page by its file id and
    checked as ``import-results`` checks them, added to the dataset as that person's annotations and saved to
    ``output`` (added to what it holds when it is this dataset with earlier imports). Answers on the plan's gold
    samples are marked ``metadata['gold_check']``; samples of a gold file join the output, marked
    ``metadata['gold']``."""
    doc = load_plan(plan)
    if not results:
        raise ParameterError("results", "Give at least one results file exported from a page.")
    ds, _ = load_dataset(dataset, fmt, note=note, progress=progress)
    base = ds
    out = Path(output)
    if out.exists() and out.resolve() != Path(dataset).resolve():
        try:
            held, _ = load_dataset(out)
        except LabelloopError:
            held = None
        ids = [s.id for s in ds.samples]
        if held is None or [s.id for s in held.samples[:len(ids)]] != ids:
            raise ParameterError("output", f"{ParameterError.literal(str(out))} already exists and holds other "
                                 "samples than the dataset; choose a new {param}, or remove it first.")
        base = held
    sch = schema_for(base, template, schema)
    per = plan_datasets(base, doc, plan_path=plan)
    gold_ids = set((doc.get("gold") or {}).get("ids", []))
    samples = {s.id: s for s in base.samples}
    order = [s.id for s in base.samples]
    pages: dict[str, str] = {}
    imported = replaced = 0
    by_annotator: dict[str, int] = {}
    for path in results:
        res = read_results(path)
        who = next((n for n, sub in per.items() if file_id_of(sub.samples, sch, res.seed) == res.file_id), None)
        if who is None:
            raise ResultsMismatchError(f"{path} comes from annotator file {res.file_id}, which is none of the pages "
                                       f"plan {plan} gives with schema {sch.name!r} and seed {res.seed}.")
        pages[str(path)] = who
        sub = per[who].model_copy(update={"samples": [samples.get(s.id, s) for s in per[who].samples]})
        merged, report = _import_results(sub, [path], schema=sch)
        origin = f"html:{report.file_id}"
        for s in merged.samples:
            if s.id in gold_ids:
                s.annotations = [a.model_copy(update={"metadata": {**a.metadata, GOLD_CHECK: True}})
                                 if a.origin == origin and a.kind == "human" else a for a in s.annotations]
            if s.id not in samples:
                order.append(s.id)
                s = s.model_copy(update={"metadata": {**s.metadata, "gold": True}})
            samples[s.id] = s
        per[who] = per[who].model_copy(update={"samples": [samples[s.id] for s in per[who].samples]})
        imported += report.imported
        replaced += report.replaced
        for k, v in report.by_annotator.items():
            by_annotator[k] = by_annotator.get(k, 0) + v
    final = base.model_copy(update={"samples": [samples[i] for i in order], "schema_": sch})
    checks = sum(1 for i in gold_ids if i in samples for a in samples[i].annotations
                 if a.metadata.get(GOLD_CHECK))
    save(final, output)
    return PlanImportResult(output=str(output), files=[str(p) for p in results], pages=pages, imported=imported,
                            replaced=replaced, by_annotator=by_annotator, gold_checks=checks,
                            gold_samples_added=len(order) - len(base.samples))


# ---------------------------------------------------------------------- the next round
def _question(sch: AnnotationSchema | None, name: str | None) -> Question:
    qs = sch.questions if sch is not None else []
    if name is not None:
        for q in qs:
            if q.name == name:
                return q
        raise ParameterError("question", f"{{param}} {ParameterError.literal(repr(name))} is not a question of the "
                             f"schema (questions: {ParameterError.literal(', '.join(q.name for q in qs))}).")
    for q in qs:
        if q.type == "single_choice" and not q.per_candidate:
            return q
    raise ParameterError("question", "The schema has no single-choice question to settle; name one with {param}.")


def next_round(labelled: str | Path, annotators: str | Sequence[str], output: Path = Path("round2.json"), *,
               target: float = 0.9, max_per_sample: int = 5, plan: str | Path | None = None,
               question: str | None = None, capacity: str | Mapping[str, int] | None = None,
               gold_min: float = 0.7, seed: int = 0, template: str | None = None, schema: SchemaRef | None = None,
               fmt: str = "auto", note: Note = no_note, progress: Progress = no_progress) -> NextRoundResult:
    """The next round: Dawid–Skene per sample on ``question``; unsettled samples (top posterior under
    ``target``) below ``max_per_sample`` labels get one more person who has not seen them. Gold samples (the
    earlier ``plan``'s gold ids, or without a plan none) only shape each person's confusion, as a prior."""
    names = _annotators(annotators)
    if not 0 < target <= 1:
        raise ParameterError("target", f"{{param}} is the posterior a label needs to be settled, above 0 and at "
                             f"most 1, not {target}.")
    if max_per_sample < 1:
        raise ParameterError("max_per_sample", f"{{param}} must be 1 or more, not {max_per_sample}.")
    caps = parse_capacity(capacity, names)
    doc = load_plan(plan) if plan is not None else None
    ds, _ = load_dataset(labelled, fmt, note=note, progress=progress)
    sch = schema_for(ds, template, schema)
    q = _question(sch, question)
    gold_ids = set((doc.get("gold") or {}).get("ids", [])) if doc else set()
    seen: dict[str, set[str]] = {}
    if doc:
        earlier = doc.get("had") if isinstance(doc.get("had"), dict) else doc["assignments"]
        for name, ids in earlier.items():
            for i in ids:
                seen.setdefault(i, set()).add(name)
    labels: dict[str, dict[str, Any]] = {}
    gold: dict[str, Any] = {}
    gold_labels: dict[str, dict[str, Any]] = {}
    for s in ds.samples:
        answers = {n: canonical(a.values[q.name]) for n, a in latest_by_annotator(s).items()
                   if a.values.get(q.name) is not None}
        if s.id in gold_ids:
            ref = reference_values(s, q).get(None)
            if ref is not None:
                gold[s.id] = canonical(ref)
                gold_labels[s.id] = answers
            continue
        labels[s.id] = answers
    # every answer one could give: the options, or for a question about the answers every candidate id seen
    cats = list(dict.fromkeys(canonical(v) for s in ds.samples for v in q.allowed_values([c.id for c in s.candidates])))
    rp = _next_round(labels, names, target=target, max_per_sample=max_per_sample, gold=gold,
                     gold_labels=gold_labels, seen=seen, categories=cats, capacity=caps, seed=seed)
    golds = [g.to_dict() for g in gold_accuracy(ds.samples, [q], gold_ids=gold_ids, threshold=gold_min)] \
        if gold_ids else []
    states = [SampleRound(**vars(s)) for s in rp.samples]
    loads = {n: len(v) for n, v in rp.assignments.items()}
    at_max = sum(1 for s in rp.samples if not s.settled and s.reason == "at max_per_sample")
    assigned = sum(loads.values())
    out_doc = {
        "labelloop_plan": PLAN_VERSION,
        "kind": "next_round",
        "dataset": ds.name,
        "source": str(labelled),
        "seed": seed,
        "settings": {"annotators": names, "target": target, "max_per_sample": max_per_sample,
                     "question": q.name, "capacity": caps, "previous_plan": str(plan) if plan else None,
                     "seed": seed},
        "assignments": rp.assignments,
        # the earlier plan's gold, so a later round (and import-results --plan) still knows the checks
        "gold": {"ids": sorted(gold_ids), "file": (doc.get("gold") or {}).get("file") if doc else None,
                 "per_annotator": {}},
        # who has had each sample so far, this round included: the next round asks someone else
        "had": {n: sorted({i for i, who in seen.items() if n in who} | set(rp.assignments.get(n, [])))
                for n in dict.fromkeys([*names, *(w for who in seen.values() for w in who)])},
        "summary": {"samples": len(labels), "settled": len(rp.settled), "unsettled": len(rp.unsettled),
                    "assigned": assigned, "at_max": at_max, "loads": loads,
                    "reliability": {k: round(v, 4) for k, v in rp.reliability.items()},
                    "gold_accuracy": golds,
                    "states": {s.sample_id: {"labels": s.labels, "label": s.label,
                                             "posterior": round(s.posterior, 4), "settled": s.settled,
                                             **({"next": s.next_annotator} if s.next_annotator else {}),
                                             **({"reason": s.reason} if s.reason else {})} for s in rp.samples}},
    }
    _write(output, out_doc)
    return NextRoundResult(output=str(output), question=q.name, samples=len(labels), settled=len(rp.settled),
                           unsettled=len(rp.unsettled), assigned=assigned, at_max=at_max, loads=loads,
                           reliability=rp.reliability, gold_accuracy=golds, done=assigned == 0, states=states)

"""Each person's accuracy on gold tasks (samples with a reference answer), with a 95% Wilson interval.

Gold checks are few per person (5% of a few hundred tasks is a dozen or two), so the point estimate alone says
little: 9 of 12 right is 75%, but anything from 47% to 91% fits. The Wilson score interval keeps its coverage
at such small counts and never leaves [0, 1], unlike the normal approximation. A person is flagged ``below``
when their accuracy is under the threshold, and ``clearly_below`` when even the top of the interval is.

Gold answers are checks, not labels: the caller leaves them out of merges and training exports.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from labelloop.data.model import DataSample, Dataset
from labelloop.data.preference import canonical
from labelloop.data.schema import Question
from labelloop.quality.units import latest_by_annotator, reference_values, set_value

Z95 = 1.959963984540054  # the 97.5% point of the standard normal


def wilson_interval(correct: int, total: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion ``correct / total``; None with no trials."""
    if total <= 0:
        return None
    if not 0 <= correct <= total:
        raise ValueError(f"correct={correct} is not between 0 and total={total}")
    p = correct / total
    z2 = z * z
    centre = (p + z2 / (2 * total)) / (1 + z2 / total)
    half = z / (1 + z2 / total) * math.sqrt(p * (1 - p) / total + z2 / (4 * total * total))
    return (0.0 if correct == 0 else max(0.0, centre - half)), (1.0 if correct == total else min(1.0, centre + half))


@dataclass(frozen=True)
class GoldAccuracy:
    """One person's gold record: answers checked, how many matched the reference, the interval and flags."""

    annotator: str
    correct: int
    total: int
    accuracy: float | None
    low: float | None
    high: float | None
    threshold: float
    below: bool
    clearly_below: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def accuracy_record(annotator: str, correct: int, total: int, threshold: float = 0.7) -> GoldAccuracy:
    ci = wilson_interval(correct, total)
    acc = correct / total if total else None
    return GoldAccuracy(annotator=annotator, correct=correct, total=total, accuracy=acc,
                        low=ci[0] if ci else None, high=ci[1] if ci else None, threshold=threshold,
                        below=acc is not None and acc < threshold,
                        clearly_below=ci is not None and ci[1] < threshold)


def _same(question: Question, a: Any, b: Any) -> bool:
    if question.type == "multi_choice":
        return set_value(a) == set_value(b)
    if question.type in ("ranking", "span"):
        return a == b
    return canonical(a) == canonical(b)


def gold_answers(samples: Iterable[DataSample], questions: Sequence[Question],
                 gold_ids: Iterable[str] | None = None) -> dict[str, list[tuple[str, str, bool]]]:
    """Every human answer on a gold sample checked against its reference: annotator -> [(sample id, question,
    correct)]. Gold samples are ``gold_ids`` (those that carry a reference answer), or without it every sample
    with a reference answer. A person's latest submitted annotation counts; skipped and draft ones do not."""
    wanted = set(gold_ids) if gold_ids is not None else None
    out: dict[str, list[tuple[str, str, bool]]] = {}
    for s in samples:
        if wanted is not None and s.id not in wanted:
            continue
        refs = {q.name: reference_values(s, q) for q in questions}
        if not any(refs.values()):
            continue
        for name, ann in latest_by_annotator(s).items():
            for q in questions:
                ref, got = refs[q.name], ann.values.get(q.name)
                if not ref or got is None:
                    continue
                if q.per_candidate and isinstance(got, dict) and None not in ref:
                    for cid, want in ref.items():
                        if got.get(cid) is not None:
                            out.setdefault(name, []).append((s.id, f"{q.name}[{cid}]", _same(q, got[cid], want)))
                elif None in ref:
                    out.setdefault(name, []).append((s.id, q.name, _same(q, got, ref[None])))
    return out


def gold_accuracy(dataset: Dataset | Iterable[DataSample], questions: Sequence[Question] | None = None, *,
                  gold_ids: Iterable[str] | None = None, threshold: float = 0.7) -> list[GoldAccuracy]:
    """Each person's accuracy on gold (``gold_answers``), sorted by name; ``questions`` defaults to the
    dataset's schema's questions."""
    if questions is None:
        if not isinstance(dataset, Dataset) or dataset.schema is None:
            raise ValueError("gold_accuracy needs the questions (the dataset has no schema)")
        questions = dataset.schema.questions
    samples = dataset.samples if isinstance(dataset, Dataset) else list(dataset)
    checked = gold_answers(samples, questions, gold_ids)
    return [accuracy_record(name, sum(ok for *_, ok in rows), len(rows), threshold)
            for name, rows in sorted(checked.items())]


def gold_checks(dataset: Dataset | Iterable[DataSample], questions: Sequence[Question], *,
                threshold: float = 0.7) -> list[GoldAccuracy]:
    """Each person's accuracy on the hidden gold samples of a plan: their answers marked
    ``metadata["gold_check"]`` (``data.provenance``) against the samples' reference labels, sorted by name; []
    when the dataset holds no gold checks."""
    from labelloop.data.provenance import is_gold_check

    samples = dataset.samples if isinstance(dataset, Dataset) else list(dataset)
    checked = []
    for s in samples:
        if any(is_gold_check(a) for a in s.annotations):
            keep = [a for a in s.annotations if a.kind != "human" or is_gold_check(a)]
            checked.append(s.model_copy(update={"annotations": keep}))
    if not checked:
        return []
    rows = gold_answers(checked, questions)
    return [accuracy_record(name, sum(ok for *_, ok in r), len(r), threshold) for name, r in sorted(rows.items())]


def gold_line(g: GoldAccuracy) -> str:
    """``ana 9/10 correct on gold, 90% (95% interval 60–98%)``, with the flag when below the threshold."""
    if g.accuracy is None or g.low is None or g.high is None:
        return f"{g.annotator}: no gold answer"
    flag = (f"; below {g.threshold:.0%}" + (" even at the top of the interval" if g.clearly_below else "")
            if g.below else "")
    return (f"{g.annotator} {g.correct}/{g.total} correct on gold, {g.accuracy:.0%} (95% interval "
            f"{g.low:.0%}–{g.high:.0%}){flag}")

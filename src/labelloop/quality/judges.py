"""Can an LLM judge stand in for people? Its agreement with people next to the people's agreement with each other,
per subset, with its accuracy against the merged label, its calibration and its position bias.

For each judge (a ``prediction`` annotator) and subset: Cohen's kappa of the judge against the merged human label
(``labelloop.quality.models.merged_dataset``: the dataset's aggregate annotations, else a majority merge) and
against each person, and the mean Cohen's kappa over every pair of people. The judge **can stand in** on a subset
when its mean kappa with the people is at least the people's mean kappa with each other, on at least
``min_items`` items; **not yet** when it is lower; **not enough data** with fewer items or fewer than two people.
Values are compared as given (a candidate id, "tie", a ranking), as the agreement report does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from itertools import combinations
from typing import Any

import numpy as np

from labelloop.data.model import Annotation, DataSample, Dataset
from labelloop.data.preference import canonical
from labelloop.data.provenance import counts_as_person
from labelloop.data.schema import AnnotationSchema, Question
from labelloop.errors import ParameterError
from labelloop.quality.kappa import cohen_kappa
from labelloop.quality.models import calibration, merged_dataset
from labelloop.quality.position_bias import position_counts, position_test
from labelloop.quality.units import latest_by_annotator

NOT_COMPARED = ("text", "span")


def _kappa(pairs: list[tuple[Any, Any]], bootstrap: int, seed: int) -> dict[str, Any]:
    cats = sorted({canonical(v) for p in pairs for v in p}, key=repr)
    code = {c: i for i, c in enumerate(cats)}
    x = np.array([code[canonical(a)] for a, _ in pairs], dtype=np.int64)
    y = np.array([code[canonical(b)] for _, b in pairs], dtype=np.int64)
    st = cohen_kappa(x, y, max(len(cats), 1), bootstrap=bootstrap, seed=seed)
    return {"value": st.value, "items": len(pairs), "ci": list(st.ci) if st.ci else None, "reason": st.reason}


def _question(dataset: Dataset, schema: AnnotationSchema | None, judge_names: Sequence[str],
              name: str | None) -> Question | None:
    sch = schema or dataset.schema
    if sch is None:
        return None
    if name is not None:
        q = next((x for x in sch.questions if x.name == name), None)
        if q is None:
            raise ParameterError("question", f"{{param}} {ParameterError.literal(repr(name))} is not a question of "
                                 "the schema.")
        return q
    answered_h: set[str] = set()
    answered_j: set[str] = set()
    for s in dataset.samples:
        for a in s.annotations:
            if a.status != "submitted":
                continue
            target = answered_h if a.kind == "human" else answered_j if a.annotator in judge_names else None
            if target is not None:
                target.update(k for k, v in a.values.items() if v is not None)
    rank = {"single_choice": 0, "ranking": 1, "multi_choice": 2, "rating": 3}
    cands = [q for q in sch.questions if q.type not in NOT_COMPARED and not q.per_candidate
             and q.name in answered_h and q.name in answered_j]
    cands.sort(key=lambda q: (not q.options_from_candidates, rank.get(q.type, 9)))
    return cands[0] if cands else None


def _people(sample: DataSample, include_accepted: bool) -> dict[str, Annotation]:
    return {n: a for n, a in latest_by_annotator(sample, ("human",)).items() if counts_as_person(a, include_accepted)}


def _verdict(judge_mean: float | None, people_mean: float | None, items: int, people: int,
             min_items: int) -> tuple[str, str]:
    if people < 2 or people_mean is None:
        return "not enough data", "fewer than two people answered the same items, so their agreement is unknown"
    if items < min_items or judge_mean is None:
        return "not enough data", f"fewer than {min_items} items answered by the judge and by people"
    if judge_mean >= people_mean:
        return "can stand in", (f"the judge agrees with people (mean kappa {judge_mean:.2f}) at least as well as "
                                f"people agree with each other ({people_mean:.2f})")
    return "not yet", (f"the judge agrees with people less (mean kappa {judge_mean:.2f}) than people agree with each "
                       f"other ({people_mean:.2f})")


def judge_agreement(dataset: Dataset, *, judges: Sequence[str] = (), question: str | None = None,
                    schema: AnnotationSchema | None = None, subset_key: str = "subset", bootstrap: int = 0,
                    seed: int = 0, merge_strategy: str = "majority", min_items: int = 10,
                    include_accepted: bool = False) -> dict[str, Any]:
    """Per judge and subset (and ``all``): kappas against the merged label and each person, the people's own mean
    kappa, accuracy against the merged label, a verdict; per judge: calibration and position bias."""
    if min_items < 1:
        raise ParameterError("min_items", f"{{param}} must be 1 or more, not {min_items}.")
    names = list(judges) or sorted({a.annotator for s in dataset.samples for a in s.annotations
                                    if a.kind == "prediction"})
    q = _question(dataset, schema, names, question)
    if q is None or not names:
        return {"question": None, "judges": [], "reason": "no question answered both by a judge and by people"}
    merged, how = merged_dataset(dataset, merge_strategy, include_accepted=include_accepted)
    by_subset: dict[str, list[DataSample]] = defaultdict(list)
    for s in merged.samples:
        by_subset[str(s.metadata.get(subset_key) or "all")].append(s)
    groups = [(n, by_subset[n]) for n in sorted(by_subset)]
    if len(groups) > 1:
        groups.append(("all", list(merged.samples)))
    people_all = sorted({n for s in merged.samples for n in _people(s, include_accepted)})
    out = []
    for judge in names:
        subsets = []
        for subset, samples in groups:
            vs_merged: list[tuple[Any, Any]] = []
            vs_person: dict[str, list[tuple[Any, Any]]] = defaultdict(list)
            person_pairs: dict[tuple[str, str], list[tuple[Any, Any]]] = defaultdict(list)
            items = 0
            for s in samples:
                ppl = {n: a.values.get(q.name) for n, a in _people(s, include_accepted).items()
                       if a.values.get(q.name) is not None}
                for (a, va), (b, vb) in combinations(sorted(ppl.items()), 2):
                    person_pairs[(a, b)].append((va, vb))
                j = latest_by_annotator(s, ("prediction",)).get(judge)
                jv = j.values.get(q.name) if j is not None else None
                if jv is None:
                    continue
                agg = [a for a in s.annotations if a.kind == "aggregate" and a.status == "submitted"
                       and a.values.get(q.name) is not None]
                items += int(bool(agg or ppl))
                if agg:
                    vs_merged.append((jv, agg[-1].values[q.name]))
                for n, v in ppl.items():
                    vs_person[n].append((jv, v))
            k_merged = _kappa(vs_merged, bootstrap, seed) if vs_merged else None
            k_people = [{"annotator": n, **_kappa(p, 0, seed)} for n, p in sorted(vs_person.items())]
            k_pairs = [{"annotators": list(ab), **_kappa(p, 0, seed)} for ab, p in sorted(person_pairs.items())]
            jm = [k["value"] for k in k_people if k["value"] is not None]
            pm = [k["value"] for k in k_pairs if k["value"] is not None]
            judge_mean = float(np.mean(jm)) if jm else None
            people_mean = float(np.mean(pm)) if pm else None
            verdict, why = _verdict(judge_mean, people_mean, items, len(vs_person), min_items)
            acc = (float(np.mean([canonical(a) == canonical(b) for a, b in vs_merged])) if vs_merged else None)
            subsets.append({"subset": subset, "items": items, "kappa_merged": k_merged, "kappa_people": k_people,
                            "kappa_people_mean": judge_mean, "people_kappa_pairs": k_pairs,
                            "people_kappa_mean": people_mean, "accuracy_merged": acc, "verdict": verdict,
                            "why": why})
        cal = next((c for c in calibration(merged.samples, q) if c["annotator"] == judge), None)
        answers = [(judge, a) for s in merged.samples
                   for n, a in latest_by_annotator(s, ("prediction",)).items() if n == judge]
        tables = position_counts(answers, [q])
        position = [position_test(c, shown) for (_, _, shown), c in sorted(tables.items()) if sum(c.values())]
        out.append({"judge": judge, "subsets": subsets, "calibration": cal, "position": position})
    return {"question": q.name, "merged": how, "people": people_all, "min_items": min_items, "judges": out}


__all__ = ["judge_agreement"]

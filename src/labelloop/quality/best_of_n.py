"""Agreement on a question whose options are the candidates ("which answer is best?"), where a candidate id
names a different answer in every sample.

Pooling ids across samples, as the nominal alpha, Fleiss' kappa and AC1 of such a question do, makes chance
agreement depend on where the source happened to put its best answer: when it is always candidate ``"0"`` and
two people agree on every sample, every pooled value is ``"0"`` and those coefficients are undefined. Two
figures that do not pool ids:

- **Bennett's S with per-sample chance** (Bennett, Alpert & Goldstein 1954, "Communications through limited
  response questioning", Public Opinion Quarterly 18(3), 303-308; for several raters Brennan & Prediger 1981,
  "Coefficient kappa: some uses, misuses, and alternatives", Educational and Psychological Measurement 41,
  687-699; Gwet 2014, Handbook of Inter-Rater Reliability, 4th ed., ch. 4). Chance is a uniform pick among the
  ``q_i`` answers sample ``i`` offers (its candidates plus options such as ``tie``), so it never depends on the
  ids' positions::

      P_o = (1/n) Σ_i Σ_k r_ik (r_ik - 1) / (r_i (r_i - 1))     over the n samples with r_i ≥ 2 answers
      P_e = (1/n) Σ_i 1 / q_i
      S   = (P_o - P_e) / (1 - P_e)

  With every ``q_i = q`` this is Brennan and Prediger's multi-rater coefficient; perfect agreement gives 1.
- **Krippendorff's alpha over the pairwise preferences the labels imply**: an answer ``b`` to a sample with
  candidates ``c_1 … c_n`` says, for each pair ``c_j, c_k`` (``j < k``, in the sample's candidate order),
  "first" when ``b = c_j``, "second" when ``b = c_k`` and "tie" otherwise (another answer was best, or an
  option such as ``tie`` / ``both_bad`` that prefers no answer). Each (sample, pair) is one unit; nominal alpha
  (``labelloop.quality.alpha``) on these units. People who agree on every best answer of samples with three or
  more answers get 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from labelloop.data.model import DataSample
from labelloop.data.preference import canonical
from labelloop.data.schema import Question
from labelloop.quality.alpha import AlphaModel
from labelloop.quality.stat import Stat, Undefined, compute, undefined
from labelloop.quality.units import Ratings, latest_by_annotator

FIRST, TIE, SECOND = 1, 0, -1
"""The pairwise values: the pair's first candidate preferred, neither, the second one."""


def options_are_candidates(question: Question) -> bool:
    """Whether a question's answer names one of the sample's candidates (best-of-N, pairwise choice)."""
    return question.type == "single_choice" and question.options_from_candidates


def answers(samples: Sequence[DataSample], question: Question,
            kinds: Sequence[str] = ("human",)) -> list[tuple[DataSample, dict[str, Any]]]:
    """Each sample with its annotators' latest submitted answers to ``question`` (samples without answers left
    out)."""
    out = []
    for s in samples:
        by_ann = {name: canonical(v) for name, ann in latest_by_annotator(s, kinds).items()
                  if (v := ann.values.get(question.name)) is not None and not isinstance(v, (list, dict))}
        if by_ann:
            out.append((s, by_ann))
    return out


def bennett_s(samples: Sequence[DataSample], question: Question, kinds: Sequence[str] = ("human",), *,
              bootstrap: int = 0, seed: int = 0, ci_level: float = 0.95) -> Stat:
    """Bennett's S (Brennan-Prediger) with each sample's own number of answers as its chance; see the module
    docstring for the formula. Samples with fewer than two answers are left out; the bootstrap resamples
    samples."""
    observed, chance = [], []
    for s, by_ann in answers(samples, question, kinds):
        m = len(by_ann)
        if m < 2:
            continue
        counts: dict[Any, int] = {}
        for v in by_ann.values():
            counts[v] = counts.get(v, 0) + 1
        offered = set(map(canonical, question.allowed_values([c.id for c in s.candidates]))) | set(counts)
        observed.append(sum(n * (n - 1) for n in counts.values()) / (m * (m - 1)))
        chance.append(1.0 / len(offered))
    p_o, p_e = np.asarray(observed, dtype=float), np.asarray(chance, dtype=float)
    q = [round(1 / e) for e in chance]

    def fn(weights: np.ndarray | None) -> float:
        if p_o.size == 0:
            raise Undefined("no sample has two or more answers")
        w = np.ones(p_o.size) if weights is None else weights
        total = float(w.sum())
        po, pe = float(w @ p_o) / total, float(w @ p_e) / total
        if pe >= 1.0 - 1e-12:
            raise Undefined("every sample offers a single answer, so chance agreement is 1")
        return (po - pe) / (1.0 - pe)

    extra: dict[str, Any] = {"units": "samples"}
    if p_o.size:
        extra.update(observed=float(p_o.mean()), chance=float(p_e.mean()),
                     answers=f"{min(q)}" if min(q) == max(q) else f"{min(q)} to {max(q)}")
    return compute("bennett_s", fn, int(p_o.size), bootstrap=bootstrap, seed=seed, level=ci_level, **extra)


def pairwise_ratings(samples: Sequence[DataSample], question: Question,
                     kinds: Sequence[str] = ("human",)) -> Ratings:
    """The pairwise preferences each answer implies, as ratings: one item per (sample, pair of candidates),
    value ``FIRST``, ``TIE`` or ``SECOND`` (see the module docstring). Samples with one answer are kept (alpha
    leaves unpairable items out)."""
    return _pairwise(samples, question, kinds)[0]


def _pairwise(samples: Sequence[DataSample], question: Question,
              kinds: Sequence[str]) -> tuple[Ratings, np.ndarray]:
    """The pairwise ratings, and for each of their items the index of the sample it comes from. Pairs are
    numbered per sample in the order (0,1), (0,2), …, (1,2), … (``np.triu_indices``); the values of all answers
    to samples with n candidates are one numpy comparison."""
    names: list[str] = []
    sample_ix: list[int] = []
    sizes: list[int] = []
    position: list[int] = []
    pairs_per_sample: list[int] = []
    for i, (s, by_ann) in enumerate(answers(samples, question, kinds)):
        ids = [c.id for c in s.candidates]
        where = {c: k for k, c in enumerate(ids)}
        for name, v in sorted(by_ann.items()):
            names.append(name)
            sample_ix.append(i)
            sizes.append(len(ids))
            position.append(where.get(v, -1))
        pairs_per_sample.append(len(ids) * (len(ids) - 1) // 2)
    per_sample = np.asarray(pairs_per_sample, dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(per_sample)[:-1]]).astype(np.int64) if per_sample.size else per_sample
    ann = np.asarray(names, dtype=object)
    six, n_of, pos = (np.asarray(x, dtype=np.int64) for x in (sample_ix, sizes, position))
    items, anns, vals = [], [], []
    for n in sorted(set(sizes)):
        if n < 2:
            continue
        rows = np.flatnonzero(n_of == n)
        first, second = np.triu_indices(n, 1)
        p = pos[rows][:, None]
        items.append((offsets[six[rows]][:, None] + np.arange(first.size)).ravel())
        vals.append(((first == p).astype(np.int64) * FIRST + (second == p).astype(np.int64) * SECOND).ravel())
        anns.append(np.repeat(ann[rows], first.size))
    if items:
        ratings = Ratings.from_triples(np.concatenate(items), np.concatenate(anns), np.concatenate(vals),
                                       question=question)
    else:
        ratings = Ratings.from_triples([], [], [], question=question)
    unit_sample = np.repeat(np.arange(per_sample.size), per_sample)
    units = np.asarray(ratings.items, dtype=np.int64)
    return ratings, unit_sample[units] if units.size else units


def pairwise_alpha(samples: Sequence[DataSample], question: Question, kinds: Sequence[str] = ("human",), *,
                   bootstrap: int = 0, seed: int = 0, ci_level: float = 0.95) -> Stat:
    """Nominal Krippendorff's alpha over the pairwise preferences (``pairwise_ratings``). The bootstrap resamples
    samples, each with all its pairs (the pairs of one sample are not independent)."""
    ratings, sample_of = _pairwise(samples, question, kinds)
    extra = {"level_of_measurement": "nominal", "units": "(sample, pair of answers): first, second or tie"}
    try:
        model = AlphaModel(ratings, "nominal")
    except Undefined as exc:  # pragma: no cover - nominal alpha builds no table that can be too large
        return undefined("pairwise_alpha", str(exc), 0, **extra)
    pairable = np.flatnonzero(ratings.per_item() >= 2)
    clusters, cluster_of_unit = np.unique(sample_of[pairable], return_inverse=True)

    def fn(weights: np.ndarray | None) -> float:
        return model.alpha(None if weights is None else weights[cluster_of_unit])

    return compute("pairwise_alpha", fn, model.n_units, bootstrap=bootstrap, seed=seed, level=ci_level,
                   n_units=int(clusters.size), **extra)


__all__ = ["FIRST", "SECOND", "TIE", "answers", "bennett_s", "options_are_candidates", "pairwise_alpha",
           "pairwise_ratings"]

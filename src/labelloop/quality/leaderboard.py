"""A leaderboard of the models that wrote the candidates, from the preferences people (or a merge, the source's
reference, a judge) gave: Bradley-Terry by maximum likelihood, on the scale Chatbot Arena uses.

Every preference answer becomes pairwise comparisons between the candidates' models (``Candidate.model``): a
ranking or a choice is read as tiers (``labelloop.data.preference.tiers_from_value``) and each model in a better
tier beats each model in a worse one; "tie" and "both bad" count as a tie for every pair shown (Chatbot Arena's
``tie (bothbad)`` is a tie too), and equal per-candidate ratings are a tie for that pair. A tie is half a win each
way. Two candidates of the same model, or a candidate without a model, give no comparison (counted).

Scores: ``400 * log10`` of the odds, so a 400-point gap means 10:1 odds (Elo's scale, as in FastChat's
``compute_mle_elo``), with the mean at ``anchor`` (1000) or one named model at ``anchor``. Intervals: percentile
bootstrap over votes (each annotation is one vote; for pairwise data a vote is one comparison, as in FastChat),
seeded. The maximum likelihood exists only when no model (or group of models) beat, or lost to, all the rest
(Zermelo's condition); when it does not, the fit adds ``prior`` ties to every compared pair, says so, and
the votes without any draw of data that lacks the maximum are counted.

Position (screen order): the share of top picks by the position shown, tested against chance
(``labelloop.quality.position_bias.position_test``); when a position is picked far more than chance
(adjusted p < 0.05) the ranking is fitted again with one effect per screen position beside the models.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from labelloop.data.model import Annotation, DataSample, Dataset
from labelloop.data.positions import position_label, recorded_order
from labelloop.data.preference import preference_questions, tiers_from_value
from labelloop.data.provenance import counts_as_person
from labelloop.data.schema import AnnotationSchema, Question, ranking_tiers
from labelloop.errors import LabelloopError, ParameterError
from labelloop.quality.bradley_terry import fit_logit, strongly_connected
from labelloop.quality.position_bias import picked_position, position_test
from labelloop.quality.units import latest_by_annotator

SOURCES = ("auto", "human", "aggregate", "reference", "prediction")
TIE_VALUES = ("tie", "both_bad")
SCALE = 400.0 / math.log(10.0)  # natural log odds -> Elo points
POSITION_ALPHA = 0.05


# ---------------------------------------------------------------------- comparisons out of an answer
def pairwise(question: Question, value: Any, candidate_ids: Sequence[str]) -> list[tuple[str, str, float]]:
    """(first, second, outcome for first) comparisons one answer implies: 1.0 a win, 0.5 a tie."""
    ids = list(candidate_ids)
    if question.type == "single_choice" and value in TIE_VALUES:
        return [(a, b, 0.5) for i, a in enumerate(ids) for b in ids[i + 1:]]
    tiers = tiers_from_value(question, value, ids)
    if not tiers:
        if question.type == "rating" and isinstance(value, dict):  # every rating equal: a tie for each pair
            rated = [c for c in ids if value.get(c) is not None]
            return [(a, b, 0.5) for i, a in enumerate(rated) for b in rated[i + 1:]] if len(rated) > 1 else []
        return []
    out: list[tuple[str, str, float]] = []
    for i, better in enumerate(tiers):
        for worse in tiers[i + 1:]:
            out += [(a, b, 1.0) for a in better for b in worse]
        if question.type == "rating":  # the same rating is a tie; the rest of a ranking or a choice is not
            out += [(a, b, 0.5) for k, a in enumerate(better) for b in better[k + 1:]]
    if question.type == "ranking":  # a tier the person made (a list inside the ranking) is a tie
        for tier in ranking_tiers(value):
            tier = [c for c in tier if c in ids]
            out += [(a, b, 0.5) for k, a in enumerate(tier) for b in tier[k + 1:]]
    return out


def _answered(questions: Sequence[Question], ann: Annotation) -> Question | None:
    for q in questions:
        if ann.values.get(q.name) is not None:
            return q
    return None


def voters(sample: DataSample, source: str, annotators: Sequence[str] = (), include_accepted: bool = False,
           ) -> list[tuple[str, Annotation]]:
    """The (name, annotation) votes of ``sample`` a source gives: each annotator's latest submitted annotation of
    that kind; a person's accepted prediction is no vote unless ``include_accepted``."""
    out = []
    for name, ann in latest_by_annotator(sample, (source,)).items():
        if annotators and name not in annotators:
            continue
        if ann.kind == "human" and not counts_as_person(ann, include_accepted):
            continue
        out.append((name, ann))
    return out


@dataclass
class Games:
    """The comparisons, one row each: vote index, the two models (indices into ``models``), the outcome for
    the first (1 or 0.5), the screen positions of both (-1: not recorded)."""

    models: list[str]
    vote: np.ndarray
    a: np.ndarray
    b: np.ndarray
    y: np.ndarray
    pa: np.ndarray
    pb: np.ndarray
    n_votes: int
    picks: dict[int, Counter] = field(default_factory=dict)  # answers shown -> Counter of the picked position
    skipped: dict[str, int] = field(default_factory=dict)
    voters: set[str] = field(default_factory=set)

    def __len__(self) -> int:
        return len(self.y)


def source_kind(dataset: Dataset, source: str) -> str:
    """``auto``: the first of human, aggregate, reference, prediction that any sample has."""
    if source not in SOURCES:
        raise ParameterError("source", f"Unknown source {ParameterError.literal(repr(source))} for {{param}}; "
                             f"known: {', '.join(SOURCES)}.")
    if source != "auto":
        return source
    kinds = {a.kind for s in dataset.samples for a in s.annotations if a.status == "submitted"}
    for kind in SOURCES[1:]:
        if kind in kinds:
            return kind
    return "human"


def games(dataset: Dataset, source: str = "human", *, annotators: Sequence[str] = (),
          schema: AnnotationSchema | None = None, include_accepted: bool = False) -> Games:
    """Every pairwise comparison between models the chosen votes imply."""
    questions = preference_questions(schema or dataset.schema)
    model_ix: dict[str, int] = {}
    cols: list[list[float]] = [[], [], [], [], [], [], []]
    skipped: Counter = Counter()
    picks: dict[int, Counter] = defaultdict(Counter)
    names: set[str] = set()
    n_votes = 0
    for s in dataset.samples:
        model_of = {c.id: c.model for c in s.candidates}
        ids = [c.id for c in s.candidates]
        for name, ann in voters(s, source, annotators, include_accepted):
            q = _answered(questions, ann)
            if q is None:
                skipped["votes without a preference"] += 1
                continue
            found = pairwise(q, ann.values[q.name], ids)
            order = recorded_order(ann)
            pos = {c: i for i, c in enumerate(order)} if order else {}
            rows = []
            for c1, c2, y in found:
                m1, m2 = model_of.get(c1), model_of.get(c2)
                if not m1 or not m2:
                    skipped["comparisons with a candidate without a model"] += 1
                    continue
                if m1 == m2:
                    skipped["comparisons of a model with itself"] += 1
                    continue
                rows.append((m1, m2, y, pos.get(c1, -1), pos.get(c2, -1)))
            if not rows:
                if not found:
                    skipped["votes without a preference"] += 1
                continue
            v = n_votes
            n_votes += 1
            names.add(name)
            for m1, m2, y, p1, p2 in rows:
                for m in (m1, m2):
                    model_ix.setdefault(m, len(model_ix))
                for col, val in zip(cols, (v, model_ix[m1], model_ix[m2], y, p1, p2, 0)):
                    col.append(val)
            hit = picked_position(ann, q)
            if hit is not None:
                picks[hit[1]][hit[0]] += 1
    # models by name, so the output does not depend on row order
    names_sorted = sorted(model_ix)
    remap = np.array([names_sorted.index(m) for m in model_ix], dtype=np.int64) if model_ix else np.zeros(0, int)
    arr = [np.asarray(c) for c in cols]
    a = remap[arr[1].astype(np.int64)] if len(arr[1]) else np.zeros(0, np.int64)
    b = remap[arr[2].astype(np.int64)] if len(arr[2]) else np.zeros(0, np.int64)
    return Games(models=names_sorted, vote=arr[0].astype(np.int64), a=a, b=b, y=arr[3].astype(float),
                 pa=arr[4].astype(np.int64), pb=arr[5].astype(np.int64), n_votes=n_votes, picks=dict(picks),
                 skipped=dict(skipped), voters=names)


# ---------------------------------------------------------------------- the fit
@dataclass
class _Design:
    """The comparisons counted into unique rows, and which vote holds how many of each row."""

    plus: np.ndarray
    minus: np.ndarray
    y: np.ndarray
    count: np.ndarray  # times each unique row occurs
    entry_vote: np.ndarray  # (vote, row) incidence: each entry one row of one vote
    entry_row: np.ndarray
    entry_n: np.ndarray
    n_params: int


def _design(g: Games, positions: int) -> _Design:
    n = len(g.models)
    if positions:
        pa = np.where(g.pa > 0, n + g.pa - 1, -1)
        pb = np.where(g.pb > 0, n + g.pb - 1, -1)
    else:
        pa = np.full(len(g), -1)
        pb = np.full(len(g), -1)
    # one int64 key per comparison (np.unique over rows of a 2-d array sorts ten times slower)
    cols = [(g.a, n), (g.b, n), (np.rint(g.y * 2).astype(np.int64), 3)]
    span = int(max(pa.max(initial=-1), pb.max(initial=-1))) + 2
    cols += [(pa + 1, span), (pb + 1, span)]
    key = np.zeros(len(g), dtype=np.int64)
    for col, size in cols:
        key = key * size + col
    uniq, inv = np.unique(key, return_inverse=True)
    inv = inv.reshape(-1)
    parts = []
    rest = uniq.copy()
    for _, size in reversed(cols):
        parts.append(rest % size)
        rest //= size
    ua, ub, uy, upa, upb = reversed(parts)
    entry, n_entry = np.unique(g.vote.astype(np.int64) * len(uniq) + inv, return_counts=True)
    return _Design(plus=np.stack([ua, upa - 1], 1), minus=np.stack([ub, upb - 1], 1), y=uy / 2.0,
                   count=np.bincount(inv, minlength=len(uniq)).astype(float), entry_vote=entry // len(uniq),
                   entry_row=entry % len(uniq), entry_n=n_entry.astype(float), n_params=n + max(positions - 1, 0))


def _prior_rows(n: int, compared: np.ndarray, prior: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    i, j = np.nonzero(np.triu(compared, 1))
    none = np.full(len(i), -1)
    return (np.stack([i, none], 1), np.stack([j, none], 1), np.full(len(i), 0.5), np.full(len(i), 2.0 * prior))


def _fit(d: _Design, weights: np.ndarray, n: int, prior: float, compared: np.ndarray) -> tuple[np.ndarray, bool]:
    plus, minus, y, w = d.plus, d.minus, d.y, weights
    if prior > 0:
        pp, pm, py, pw = _prior_rows(n, compared, prior)
        plus, minus = np.concatenate([plus, pp]), np.concatenate([minus, pm])
        y, w = np.concatenate([y, py]), np.concatenate([w, pw])
    return fit_logit(plus, minus, y, w, d.n_params, n)


def _beats(d: _Design, weights: np.ndarray, n: int) -> np.ndarray:
    beats = np.zeros((n, n))
    a, b = d.plus[:, 0], d.minus[:, 0]
    np.add.at(beats, (a, b), weights * (d.y > 0))
    np.add.at(beats, (b, a), weights * (d.y < 1))
    return beats


def _points(x: float) -> float:
    """A score in points to 1e-6: far below any difference that matters, far above the last-bit noise of the
    linear algebra, so the same data gives the same figures on every machine."""
    return round(float(x), 6) + 0.0


def _ranks(scores: np.ndarray) -> np.ndarray:
    """1 for the best; equal scores share the better rank."""
    order = -scores
    return np.array([1 + int((order < o - 1e-9).sum()) for o in order])


@dataclass
class Fit:
    """One fitted ranking: scores (Elo points) by model, and for a position model the effect of each position."""

    scores: dict[str, float]
    converged: bool
    position_effects: dict[str, float] = field(default_factory=dict)


@dataclass
class LeaderboardReport:
    """Everything ``labelloop leaderboard`` reports (``to_dict`` for --json)."""

    source: str
    models: list[dict[str, Any]]
    comparisons: int
    votes: int
    voters: int
    scale: str
    anchor: dict[str, Any]
    prior: float
    mle_exists: bool
    rounds: int
    seed: int
    rounds_left_out: int
    win_rate: dict[str, dict[str, float | None]]
    pair_counts: dict[str, dict[str, int]]
    under_compared: list[dict[str, Any]]
    min_comparisons: int
    position: dict[str, Any]
    skipped: dict[str, int]
    warnings: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _elo(beta: np.ndarray, models: list[str], anchor: float, anchor_model: str | None) -> np.ndarray:
    r = SCALE * beta[: len(models)]
    if anchor_model is not None:
        return r - r[models.index(anchor_model)] + anchor
    return r - r.mean() + anchor


def leaderboard(dataset: Dataset, *, source: str = "auto", annotators: Sequence[str] = (),
                schema: AnnotationSchema | None = None, rounds: int = 1000, seed: int = 0, anchor: float = 1000.0,
                anchor_model: str | None = None, prior: float | None = None, min_comparisons: int = 10,
                position: str = "auto", ci_level: float = 0.95, include_accepted: bool = False,
                ) -> LeaderboardReport:
    """The models ranked from the chosen votes, with bootstrap intervals, win rates, pair counts, warnings for
    pairs compared too little, and the screen position checked (see the module's docstring).

    ``prior``: ties added to every compared pair (None: 0 when the maximum likelihood exists, else 0.5, said in
    ``warnings``). ``position``: ``auto`` (a position model when picks are far from chance), ``on``, ``off``.
    """
    if rounds < 0:
        raise ParameterError("rounds", f"{{param}} must be 0 or more, not {rounds}.")
    if not 0.0 < ci_level < 1.0:
        raise ParameterError("ci_level", f"{{param}} must be between 0 and 1 (0.95 is usual), not {ci_level!r}.")
    if prior is not None and prior < 0:
        raise ParameterError("prior", f"{{param}} must be 0 or more, not {prior}.")
    if min_comparisons < 0:
        raise ParameterError("min_comparisons", f"{{param}} must be 0 or more, not {min_comparisons}.")
    if position not in ("auto", "on", "off"):
        raise ParameterError("position", f"Unknown value {ParameterError.literal(repr(position))} for {{param}}; "
                             "known: auto, on, off.")
    kind = source_kind(dataset, source)
    g = games(dataset, kind, annotators=annotators, schema=schema, include_accepted=include_accepted)
    if len(g.models) < 2:
        who = f" from {', '.join(annotators)}" if annotators else ""
        raise LabelloopError(f"No two models to rank: the {kind} votes{who} compare "
                             f"{'no models' if not g.models else 'only ' + g.models[0]} (candidates need a model, "
                             "Candidate.model, and a preference answer).")
    return rank(g, kind, rounds=rounds, seed=seed, anchor=anchor, anchor_model=anchor_model, prior=prior,
                min_comparisons=min_comparisons, position=position, ci_level=ci_level)


def rank(g: Games, source: str = "human", *, rounds: int = 1000, seed: int = 0, anchor: float = 1000.0,
         anchor_model: str | None = None, prior: float | None = None, min_comparisons: int = 10,
         position: str = "auto", ci_level: float = 0.95) -> LeaderboardReport:
    """The leaderboard of comparisons already read (``games``, or arrays built by hand as bench/leaderboard.py
    does); parameters as ``leaderboard``'s."""
    kind = source
    models = g.models
    n = len(models)
    if n < 2:
        raise LabelloopError(f"No two models to rank: the comparisons name {n} model(s).")
    if anchor_model is not None and anchor_model not in models:
        raise ParameterError("anchor_model", f"{{param}} {ParameterError.literal(repr(anchor_model))} is none of "
                             f"the ranked models: {ParameterError.literal(', '.join(models))}.")
    warnings: list[str] = []
    d = _design(g, 0)
    counts = np.zeros((n, n))
    np.add.at(counts, (g.a, g.b), 1.0)
    counts = counts + counts.T
    compared = counts > 0
    if not _connected(compared):
        raise LabelloopError("The models fall into groups never compared with each other, directly or through "
                             "other models, so one ranking cannot hold them all: " + _groups_text(models, compared)
                             + ".")
    exists = strongly_connected(n, _beats(d, d.count, n))
    used_prior = prior if prior is not None else (0.0 if exists else 0.5)
    if not exists:
        unbeaten = [models[i] for i in range(n) if _beats(d, d.count, n)[:, i].sum() == 0]
        winless = [models[i] for i in range(n) if _beats(d, d.count, n)[i].sum() == 0]
        detail = "; ".join(p for p in (f"never lost: {', '.join(unbeaten)}" if unbeaten else "",
                                       f"never won: {', '.join(winless)}" if winless else "") if p)
        warnings.append("The maximum-likelihood scores do not exist: some models never lost or never won against the "
                        f"others ({detail or 'a group beat all the rest'}); "
                        + (f"the fit adds {used_prior:g} ties to every compared pair, which pulls scores together"
                           if used_prior > 0 else "scores grow without bound (give prior > 0)") + ".")
    beta, ok = _fit(d, d.count, n, used_prior, compared)
    point = _elo(beta, models, anchor, anchor_model)
    # the bootstrap over votes
    boots: list[np.ndarray] = []
    left_out = 0
    rng = np.random.default_rng(seed)
    for _ in range(rounds):
        draw = np.bincount(rng.integers(0, g.n_votes, g.n_votes), minlength=g.n_votes).astype(float)
        w = np.bincount(d.entry_row, weights=draw[d.entry_vote] * d.entry_n, minlength=len(d.y))
        if used_prior == 0 and not strongly_connected(n, _beats(d, w, n)):
            left_out += 1
            continue
        b, conv = _fit(d, w, n, used_prior, compared)
        if not conv:
            left_out += 1
            continue
        boots.append(_elo(b, models, anchor, anchor_model))
    if left_out:
        warnings.append(f"{left_out} of {rounds} bootstrap rounds drew votes without maximum-likelihood scores "
                        "and are left out of the intervals.")
    tail = (1.0 - ci_level) / 2.0 * 100.0
    ranks = _ranks(point)
    rows = []
    boot = np.array(boots) if boots else None
    boot_ranks = np.array([_ranks(r) for r in boots]) if boots else None
    wins = np.zeros((n, n))
    np.add.at(wins, (g.a, g.b), g.y)
    np.add.at(wins, (g.b, g.a), 1.0 - g.y)
    for i, m in enumerate(models):
        lo = hi = rlo = rhi = None
        if boot is not None:
            lo, hi = (_points(x) for x in np.percentile(boot[:, i], [tail, 100.0 - tail]))
            rlo, rhi = (int(x) for x in np.percentile(boot_ranks[:, i], [tail, 100.0 - tail], method="nearest"))
        rows.append({"model": m, "rank": int(ranks[i]), "score": _points(point[i]), "ci_low": lo, "ci_high": hi,
                     "rank_ci": [rlo, rhi] if rlo is not None else None, "comparisons": int(counts[i].sum()),
                     "wins": float(wins[i].sum()), "win_rate": float(wins[i].sum() / counts[i].sum())})
    rows.sort(key=lambda r: (-r["score"], r["model"]))
    order = [r["model"] for r in rows]
    ix = {m: i for i, m in enumerate(models)}
    win_rate = {a: {b: (float(wins[ix[a], ix[b]] / counts[ix[a], ix[b]]) if counts[ix[a], ix[b]] else None)
                    for b in order if b != a} for a in order}
    pair_counts = {a: {b: int(counts[ix[a], ix[b]]) for b in order if b != a} for a in order}
    under = [{"models": [a, b], "comparisons": int(counts[ix[a], ix[b]])}
             for k, a in enumerate(order) for b in order[k + 1:] if counts[ix[a], ix[b]] < min_comparisons]
    if under:
        warnings.append(f"{len(under)} pair(s) of models were compared fewer than {min_comparisons} times; their "
                        "order rests on comparisons with other models and may not hold.")
    pos = _position(g, models, position, used_prior, compared, anchor, anchor_model, warnings)
    return LeaderboardReport(
        source=kind, models=rows, comparisons=len(g), votes=g.n_votes, voters=len(g.voters),
        scale="400 * log10(odds); mean " + (f"{anchor:g}" if anchor_model is None else f"set by {anchor_model} "
                                            f"= {anchor:g}"),
        anchor={"value": anchor, "model": anchor_model}, prior=used_prior, mle_exists=exists,
        rounds=rounds, seed=seed, rounds_left_out=left_out, win_rate=win_rate, pair_counts=pair_counts,
        under_compared=under, min_comparisons=min_comparisons, position=pos, skipped=g.skipped,
        warnings=warnings)


def _position(g: Games, models: list[str], mode: str, prior: float, compared: np.ndarray, anchor: float,
              anchor_model: str | None, warnings: list[str]) -> dict[str, Any]:
    tests = [position_test(c, shown) for shown, c in sorted(g.picks.items()) if sum(c.values())]
    far = any(t["p_adjusted"] < POSITION_ALPHA for t in tests)
    out: dict[str, Any] = {"recorded": int(((g.pa >= 0) & (g.pb >= 0)).sum()), "picks": tests,
                           "far_from_chance": far, "alpha": POSITION_ALPHA, "adjusted": None}
    if mode == "off" or (mode == "auto" and not far) or out["recorded"] == 0:
        if mode == "on" and out["recorded"] == 0:
            warnings.append("No vote recorded the screen order, so the ranking cannot be adjusted for position.")
        return out
    k = int(max(g.pa.max(), g.pb.max())) + 1
    d = _design(g, k)
    n = len(models)
    beta, ok = _fit(d, d.count, n, prior, compared)
    scores = _elo(beta, models, anchor, anchor_model)
    effects = {position_label(0): 0.0, **{position_label(p): _points(SCALE * beta[n + p - 1]) for p in range(1, k)}}
    ranks = _ranks(scores)
    out["adjusted"] = {"converged": ok, "position_effects": effects,
                       "models": sorted(({"model": m, "rank": int(ranks[i]), "score": _points(scores[i])}
                                         for i, m in enumerate(models)), key=lambda r: (-r["score"], r["model"]))}
    if far:
        worst = max(tests, key=lambda t: t["share"] - t["chance"])
        warnings.append(f"Position {worst['most_picked']} was picked in {worst['share']:.0%} of the answers with "
                        f"{worst['candidates']} shown (chance {worst['chance']:.0%}); see the ranking adjusted for "
                        "position.")
    return out


def _connected(compared: np.ndarray) -> bool:
    return strongly_connected(len(compared), compared)


def _groups_text(models: list[str], compared: np.ndarray) -> str:
    n = len(models)
    group = [-1] * n
    k = 0
    for s in range(n):
        if group[s] >= 0:
            continue
        stack = [s]
        group[s] = k
        while stack:
            i = stack.pop()
            for j in np.nonzero(compared[i])[0]:
                if group[j] < 0:
                    group[j] = k
                    stack.append(int(j))
        k += 1
    return "; ".join("{" + ", ".join(models[i] for i in range(n) if group[i] == c) + "}" for c in range(k))


__all__ = ["Games", "LeaderboardReport", "SOURCES", "games", "leaderboard", "pairwise", "rank", "source_kind", "voters"]

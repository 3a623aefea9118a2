"""Ratings in long form (item, annotator, value), read out of ``DataSample.annotations``.

Every coefficient and aggregator works on the same integer-coded arrays, so a million ratings
cost a few numpy passes. Values are canonical (1 == 1.0; a multi-choice answer is a set), and
categories are ordered by the question's scale (rubric or options) when there is one.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from labelloop.data.model import Annotation, DataSample, Dataset
from labelloop.data.preference import canonical
from labelloop.data.schema import Question
from labelloop.data.timestamps import EARLIEST, last_changed
from labelloop.errors import LabelloopError

ItemKey = tuple[str, str | None]  # (sample id, candidate id for per-candidate questions)


def is_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


def order_key(v: Any) -> tuple:
    """Numbers first (by value), then text, then sets/tuples; a total order for mixed data."""
    if is_number(v):
        return (0, float(v), "")
    if isinstance(v, tuple):
        return (2, float(len(v)), str(v))
    return (1, 0.0, str(v))


def set_value(v: Any) -> tuple:
    """A multi-choice answer as a canonical set (order and repeats do not matter)."""
    items = v if isinstance(v, (list, tuple, set, frozenset)) else [v]
    return tuple(sorted({canonical(x) for x in items}, key=order_key))


def question_scale(question: Question | None, candidate_ids: Sequence[str] = ()) -> list[Any] | None:
    """The full ordered scale of a question (rubric values, or options), used for weights and q."""
    if question is None:
        return None
    if question.type == "rating":
        if question.rubric:
            return sorted({canonical(level.value) for level in question.rubric}, key=order_key)
        if question.min is not None and question.max is not None and question.step:
            n = int(round((question.max - question.min) / question.step))
            if n <= 1000:
                return [canonical(round(question.min + i * question.step, 10)) for i in range(n + 1)]
        return None
    if question.type == "single_choice" and not question.options_from_candidates:
        return [o.value for o in question.options]
    return None


@dataclass(eq=False)
class Ratings:
    """Long-form ratings: parallel integer arrays plus the tables that decode them.

    ``categories`` holds canonical values in scale order; ``code`` indexes into it. ``scale`` is
    the full scale when known (it may list values nobody used).
    """

    items: list[Hashable]
    annotators: list[str]
    categories: list[Any]
    item: np.ndarray
    annotator: np.ndarray
    code: np.ndarray
    raw: list[Any] | None = None
    question: Question | None = None
    scale: list[Any] | None = None
    kind: str = "categorical"  # or "set" (multi_choice) or "ranking"
    meta: dict[str, Any] = field(default_factory=dict)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_triples(cls, items: Iterable[Hashable], annotators: Iterable[Any], values: Iterable[Any], *,
                     question: Question | None = None, scale: Sequence[Any] | None = None,
                     kind: str = "categorical") -> Ratings:
        """Ratings from parallel sequences; a repeated (item, annotator) keeps the last value."""
        if isinstance(values, np.ndarray) and kind == "categorical" and values.ndim == 1:
            return cls._from_arrays(np.asarray(list(items) if not isinstance(items, np.ndarray) else items),
                                    np.asarray(list(annotators) if not isinstance(annotators, np.ndarray)
                                               else annotators), values, question=question, scale=scale)
        item_ix: dict[Hashable, int] = {}
        ann_ix: dict[str, int] = {}
        seen: dict[tuple[int, int], int] = {}
        rows_i: list[int] = []
        rows_a: list[int] = []
        vals: list[Any] = []
        raws: list[Any] = []
        for it, an, v in zip(items, annotators, values, strict=True):
            if v is None or (isinstance(v, float) and v != v):
                continue
            i = item_ix.setdefault(it, len(item_ix))
            a = ann_ix.setdefault(str(an), len(ann_ix))
            cv = set_value(v) if kind == "set" else canonical(v)
            key = (i, a)
            if key in seen:
                vals[seen[key]] = cv
                raws[seen[key]] = v
                continue
            seen[key] = len(vals)
            rows_i.append(i)
            rows_a.append(a)
            vals.append(cv)
            raws.append(v)
        cats = _ordered_categories(set(vals), scale)
        cat_ix = {c: k for k, c in enumerate(cats)}
        return cls(items=list(item_ix), annotators=list(ann_ix), categories=cats,
                   item=np.asarray(rows_i, dtype=np.int64), annotator=np.asarray(rows_a, dtype=np.int64),
                   code=np.asarray([cat_ix[v] for v in vals], dtype=np.int64), raw=raws, question=question,
                   scale=list(scale) if scale is not None else None, kind=kind)

    @classmethod
    def _from_arrays(cls, items: np.ndarray, annotators: np.ndarray, values: np.ndarray, *,
                     question: Question | None, scale: Sequence[Any] | None) -> Ratings:
        if values.dtype.kind == "f":
            keep = ~np.isnan(values)
        elif values.dtype.kind == "O":
            keep = np.fromiter((v is not None and v == v for v in values), bool, len(values))
        else:
            keep = np.ones(len(values), bool)
        if not keep.all():
            items, annotators, values = items[keep], annotators[keep], values[keep]
        item_keys, item = factorize(items)
        ann_keys, ann = factorize(annotators)
        key = item * max(len(ann_keys), 1) + ann
        last = key.size - 1 - np.unique(key[::-1], return_index=True)[1]
        if last.size < key.size:  # a repeated (item, annotator) keeps its last value, as with lists
            last.sort()
            item, ann, values = item[last], ann[last], values[last]
        cats, code = factorize(values)
        return cls(items=list(item_keys), annotators=[str(a) for a in ann_keys],
                   categories=[canonical(c) for c in cats], item=item, annotator=ann, code=code, question=question,
                   scale=list(scale) if scale is not None else None)

    @classmethod
    def from_matrix(cls, data: Any, *, scale: Sequence[Any] | None = None, question: Question | None = None,
                    coders: Sequence[str] | None = None) -> Ratings:
        """From a units × coders table; NaN (or None) is a missing rating."""
        try:
            arr = np.asarray(data, dtype=float)
        except (TypeError, ValueError):
            arr = None
        if arr is not None:
            units, n_coders = arr.shape
            unit_ix = np.repeat(np.arange(units), n_coders)
            coder_ix = np.tile(np.arange(n_coders), units)
            values = arr.ravel()
            keep = ~np.isnan(values)
            cats, code = factorize(values[keep])
            names = list(coders) if coders is not None else [f"coder{j + 1}" for j in range(n_coders)]
            return cls(items=list(range(units)), annotators=names,
                       categories=[canonical(c) for c in cats], item=unit_ix[keep].astype(np.int64),
                       annotator=coder_ix[keep].astype(np.int64), code=code, question=question,
                       scale=list(scale) if scale is not None else None)
        rows = [list(r) for r in data]
        n_coders = max((len(r) for r in rows), default=0)
        names = list(coders) if coders is not None else [f"coder{j + 1}" for j in range(n_coders)]
        tri = [(u, names[j], v) for u, r in enumerate(rows) for j, v in enumerate(r)]
        out = cls.from_triples([t[0] for t in tri], [t[1] for t in tri], [t[2] for t in tri], scale=scale,
                               question=question)
        return out

    @classmethod
    def from_frame(cls, frame: Any, *, task: str = "task", worker: str = "worker", label: str = "label",
                   **kw: Any) -> Ratings:
        """From a crowd-kit style DataFrame with task, worker and label columns."""
        return cls.from_triples(frame[task].to_numpy(), frame[worker].to_numpy(), frame[label].to_numpy(), **kw)

    # ------------------------------------------------------------------ views
    def __len__(self) -> int:
        return int(self.code.shape[0])

    @property
    def n_items(self) -> int:
        return len(self.items)

    @property
    def n_annotators(self) -> int:
        return len(self.annotators)

    @property
    def n_categories(self) -> int:
        return len(self.categories)

    @property
    def numeric(self) -> np.ndarray | None:
        """Category values as floats, or None when any category is not a number."""
        if self.categories and all(is_number(c) for c in self.categories):
            return np.asarray(self.categories, dtype=float)
        return None

    def per_item(self) -> np.ndarray:
        return np.bincount(self.item, minlength=self.n_items)

    def counts(self) -> np.ndarray:
        """Items × categories table of how many annotators chose each value."""
        k = self.n_categories
        return np.bincount(self.item * k + self.code, minlength=self.n_items * k).reshape(self.n_items, k)

    def matrix(self) -> np.ndarray:
        """Items × annotators table of category codes, -1 where an annotator gave no rating."""
        out = np.full((self.n_items, self.n_annotators), -1, dtype=np.int64)
        out[self.item, self.annotator] = self.code
        return out

    def select(self, mask: np.ndarray) -> Ratings:
        """The same tables restricted to some ratings (item and category lists are kept)."""
        raw = [r for r, m in zip(self.raw, mask, strict=True) if m] if self.raw is not None else None
        return Ratings(items=self.items, annotators=self.annotators, categories=self.categories,
                       item=self.item[mask], annotator=self.annotator[mask], code=self.code[mask], raw=raw,
                       question=self.question, scale=self.scale, kind=self.kind, meta=self.meta)

    def scale_index(self) -> tuple[np.ndarray, int]:
        """Each category's position on the full scale, and the scale's length."""
        scale = self.scale
        if scale:
            pos = {canonical(v): i for i, v in enumerate(scale)}
            if all(c in pos for c in self.categories):
                return np.asarray([pos[c] for c in self.categories], dtype=np.int64), len(scale)
        return np.arange(self.n_categories, dtype=np.int64), self.n_categories


def factorize(values: np.ndarray) -> tuple[list[Any], np.ndarray]:
    """Sorted distinct values and each value's index among them, without sorting when possible.

    Whole numbers in a modest range are coded by offset (one pass); other numbers by
    ``np.unique``; strings and objects by pandas' hash table when pandas is installed.
    """
    values = np.asarray(values)
    if values.dtype.kind in "iuf" and values.size:
        lo, hi = values.min(), values.max()
        if np.isfinite(lo) and np.isfinite(hi) and hi - lo < 1_000_000 and (
                values.dtype.kind in "iu" or bool(np.all(values == np.floor(values)))):
            offset = (values - lo).astype(np.int64)
            present = np.bincount(offset) > 0
            lookup = np.cumsum(present) - 1
            keys = np.flatnonzero(present) + lo
            return [k.item() for k in keys.astype(values.dtype)], lookup[offset]
        keys, inverse = np.unique(values, return_inverse=True)
        return [k.item() for k in keys], inverse.astype(np.int64)
    if values.dtype.kind in "OUS" and values.size:
        try:
            import pandas as pd
        except ImportError:  # pragma: no cover - pandas is optional
            pd = None
        if pd is not None:
            try:
                inverse, keys = pd.factorize(values, sort=True)
                return [k.item() if isinstance(k, np.generic) else k for k in keys], inverse.astype(np.int64)
            except TypeError:  # mixed types that do not sort
                pass
    keys, inverse = np.unique(values, return_inverse=True)
    return [k.item() if isinstance(k, np.generic) else k for k in keys], inverse.astype(np.int64)


def _ordered_categories(values: set[Any], scale: Sequence[Any] | None) -> list[Any]:
    if scale:
        order = {canonical(v): i for i, v in enumerate(scale)}
        known = sorted((v for v in values if v in order), key=lambda v: order[v])
        return known + sorted((v for v in values if v not in order), key=order_key)
    return sorted(values, key=order_key)


# ---------------------------------------------------------------------- from a dataset
def latest_by_annotator(sample: DataSample, kinds: Sequence[str] = ("human",)) -> dict[str, Annotation]:
    """Each annotator's latest submitted annotation of the sample (skipped, draft and flagged ones are
    missing data). Latest means the newest ``updated_at`` / ``created_at``; without times, the last in
    the list. With several kinds, a prediction whose name clashes with a person's is suffixed."""
    best: dict[str, tuple[tuple, Annotation]] = {}
    human_names = {a.annotator for a in sample.annotations if a.kind == "human"}
    for pos, ann in enumerate(sample.annotations):
        if ann.kind not in kinds or ann.status != "submitted":
            continue
        name = ann.annotator
        if ann.kind != "human" and len(kinds) > 1 and name in human_names:
            name = f"{name} ({ann.kind})"
        ts = last_changed(ann)
        key = (ts is not None, ts or EARLIEST, pos)
        if name not in best or key >= best[name][0]:
            best[name] = (key, ann)
    return {name: ann for name, (_, ann) in best.items()}


def collect(dataset: Dataset | Iterable[DataSample], question: Question, *,
            kinds: Sequence[str] = ("human",)) -> Ratings:
    """The ratings of one question; a per-candidate question gives one item per (sample, candidate)."""
    items: list[ItemKey] = []
    anns: list[str] = []
    vals: list[Any] = []
    samples = dataset.samples if isinstance(dataset, Dataset) else list(dataset)
    for s in samples:
        for name, ann in latest_by_annotator(s, kinds).items():
            v = ann.values.get(question.name)
            if v is None:
                continue
            if question.per_candidate and question.type != "span":
                if not isinstance(v, dict):
                    raise LabelloopError(
                        f"Sample {s.id!r}, annotator {name!r}, question {question.name!r}: per-candidate answer "
                        f"{v!r} is not a mapping of candidate id to value.")
                for cid, sub in v.items():
                    if sub is None:
                        continue
                    items.append((s.id, str(cid)))
                    anns.append(name)
                    vals.append(_checked(question, sub, s.id, name))
            else:
                items.append((s.id, None))
                anns.append(name)
                vals.append(_checked(question, v, s.id, name))
    kind = {"multi_choice": "set", "ranking": "ranking"}.get(question.type, "categorical")
    if kind == "ranking":
        vals = [tuple(tuple(x) if isinstance(x, list) else x for x in v) for v in vals]  # a tier: a tuple
    scale = question_scale(question)
    if question.type == "single_choice" and question.options_from_candidates:
        # the answers one could give: every candidate id seen, then the fixed options (tie, both bad...)
        seen: dict[str, None] = {}
        for s in samples:
            seen.update(dict.fromkeys(question.allowed_values([c.id for c in s.candidates])))
        scale = list(seen) if len(seen) <= 1000 else None
    return Ratings.from_triples(items, anns, vals, question=question, scale=scale, kind=kind)


def _checked(question: Question, v: Any, sample_id: str, annotator: str) -> Any:
    where = f"Sample {sample_id!r}, annotator {annotator!r}, question {question.name!r}"
    if question.type == "rating" and not is_number(v):
        raise LabelloopError(f"{where}: rating {v!r} is not a number.")
    if question.type in ("multi_choice", "ranking") and not isinstance(v, list):
        raise LabelloopError(f"{where}: {question.type} answer {v!r} is not a list.")
    if question.type == "single_choice" and isinstance(v, (list, dict)):
        raise LabelloopError(f"{where}: single-choice answer {v!r} is not one value.")
    return v


def reference_values(sample: DataSample, question: Question, kind: str = "reference") -> dict[str | None, Any]:
    """The latest reference answer (or the latest of another ``kind``, e.g. ``aggregate`` for the merged
    label), per candidate for per-candidate questions."""
    refs = latest_by_annotator(sample, (kind,))
    if not refs:
        return {}
    ann = max(refs.values(), key=lambda a: (last_changed(a) is not None, last_changed(a) or EARLIEST,
                                            sample.annotations.index(a)))
    v = ann.values.get(question.name)
    if v is None:
        return {}
    if question.per_candidate and isinstance(v, dict):
        return {str(c): x for c, x in v.items() if x is not None}
    return {None: v}

"""Deterministic train/test splits that keep samples sharing a prompt in the same split."""

from __future__ import annotations

import json
import math
import random
import re

from labelloop.data.model import DataSample
from labelloop.errors import LabelloopError

#: a split name becomes part of a file name (OUTPUT_<name>.ext): no separators, no dot files
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z")


def check_ratios(ratios: dict[str, float]) -> None:
    """Refuse split names that cannot be part of a file name and ratios that cannot split, before any work."""
    for name, ratio in ratios.items():
        if not isinstance(name, str) or not _NAME.match(name):
            raise LabelloopError(f"Split name {name!r} cannot be used; a split name is 1 to 64 letters, digits, "
                                 "'_', '-' or '.', starting with a letter or digit.")
        if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not math.isfinite(ratio) or ratio < 0:
            raise LabelloopError(f"Split {name!r} has ratio {ratio!r}; ratios must be non-negative numbers.")
    if ratios and sum(ratios.values()) <= 0:
        raise LabelloopError(f"Split ratios must add up to more than 0, not {ratios}.")


def prompt_key(sample: DataSample) -> str:
    return json.dumps([[m.role, m.content] for m in sample.prompt], ensure_ascii=False)


def split_samples(samples: list[DataSample], ratios: dict[str, float], seed: int = 0) -> dict[str, list[DataSample]]:
    """Assign whole prompt groups to splits in seeded random order, filling splits by ratio.

    Input order is kept inside each split.
    """
    if not ratios:
        return {"all": list(samples)}
    check_ratios(ratios)
    total_ratio = sum(ratios.values())
    groups: dict[str, list[int]] = {}
    for i, s in enumerate(samples):
        groups.setdefault(prompt_key(s), []).append(i)
    keys = sorted(groups)
    random.Random(seed).shuffle(keys)
    names = list(ratios)
    bounds, acc = [], 0.0
    for name in names:
        acc += ratios[name] / total_ratio
        bounds.append(acc * len(samples))
    assign: dict[int, str] = {}
    done = 0
    for key in keys:
        members = groups[key]
        mid = done + len(members) / 2
        name = next((n for n, b in zip(names, bounds) if mid < b), names[-1])
        for i in members:
            assign[i] = name
        done += len(members)
    out: dict[str, list[DataSample]] = {n: [] for n in names}
    for i, s in enumerate(samples):
        out[assign[i]].append(s)
    return out

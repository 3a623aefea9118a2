"""Where each candidate sits on a screen: the seeded shuffles, the order an annotation recorded, and the
names of the positions.

Every place that shows candidates (the LLM's prompt, Label Studio tasks, DataLabel tasks, the offline
page) shuffles them so that no answer gains from coming first, and every place that measures position
bias must read back the order a person saw. Keeping the shuffles, the reading and the labels in one
module is what keeps a DataLabel option, a Label Studio ``answer_AA`` and the model's "AA" naming the
same answer.

Position labels are the spreadsheet scheme (bijective base 26): A … Z, AA … AZ, BA … ZZ, AAA …. It is
what Label Studio task files already carry in their ``answer_<label>`` keys (changing it would make
existing projects unreadable), every label is letters only (so it can end a data key and cannot be
mistaken for a number), and the labels sort as they are shown within one length. DataLabel keys use
the same labels in lower case (``response_aa``).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence

from labelloop.data.model import Annotation, DataSample

#: Annotation metadata keys that record the screen order: the offline page and Label Studio pulls write
#: ``order``, LLM pre-labels ``shown_order``; ``labelstudio.order`` is read after them.
ORDER_KEYS = ("order", "shown_order")
_NO_ANSWER = re.compile(r"^\(no answer ([A-Z]+): this prompt has \d+\)$")


# ---------------------------------------------------------------------- the seeded shuffle
def screen_permutation(sample: DataSample, seed: int = 0, shuffle: bool = True) -> list[int]:
    """Which candidate (by index) sits at each screen position: seeded by ``f"{seed}:{sample.id}"``, so the
    order never depends on row order and reruns (and caches) agree; ``shuffle=False`` keeps the source's
    order."""
    order = list(range(len(sample.candidates)))
    if shuffle:
        random.Random(f"{seed}:{sample.id}").shuffle(order)
    return order


def candidate_order(sample: DataSample, seed: int = 0, shuffle: bool = True) -> list[str]:
    """The candidate ids in screen order (``screen_permutation`` applied to the ids)."""
    return [sample.candidates[i].id for i in screen_permutation(sample, seed, shuffle)]


# ---------------------------------------------------------------------- the offline page's older shuffle
# The offline page now shows ``candidate_order`` (sent with each task), the same for every annotator. Pages
# made before that shuffled per annotator in JavaScript (FNV-1a over UTF-16 code units seeding mulberry32,
# driving a Fisher-Yates shuffle); these reproduce that order for tools reading such pages' results.
_M32 = 0xFFFFFFFF


def _imul(a: int, b: int) -> int:
    return (a * b) & _M32


def fnv1a(text: str) -> int:
    """FNV-1a (32 bit) over the UTF-16 code units of ``text``, as JavaScript strings see it."""
    h = 0x811C9DC5
    units = text.encode("utf-16-le")
    for i in range(0, len(units), 2):
        h ^= units[i] | (units[i + 1] << 8)
        h = _imul(h, 0x01000193)
    return h


def mulberry32(seed: int) -> Callable[[], float]:
    """The mulberry32 generator: floats in [0, 1), bit for bit as the page computes them."""
    state = seed & _M32

    def rnd() -> float:
        nonlocal state
        state = (state + 0x6D2B79F5) & _M32
        t = _imul(state ^ (state >> 15), 1 | state)
        t = ((t + _imul(t ^ (t >> 7), 61 | t)) & _M32) ^ t
        return ((t ^ (t >> 14)) & _M32) / 4294967296

    return rnd


def page_order(candidate_ids: Sequence[str], seed: int, annotator: str, task_id: str) -> list[str]:
    """The candidate ids in the order offline pages made before the shared order showed them to ``annotator``
    (seeded by ``f"{seed}|{annotator}|{task_id}"``: each person saw their own order)."""
    out = list(candidate_ids)
    rnd = mulberry32(fnv1a(f"{seed}|{annotator}|{task_id}"))
    for i in range(len(out) - 1, 0, -1):
        j = int(rnd() * (i + 1))
        out[i], out[j] = out[j], out[i]
    return out


# ---------------------------------------------------------------------- the order a person saw
def recorded_order(ann: Annotation) -> list[str] | None:
    """The candidate ids in the order the annotation says they were shown, or None when it does not say:
    ``metadata.order`` (offline page, Label Studio pulls), ``metadata.shown_order`` (LLM pre-labels),
    then ``metadata.labelstudio.order``."""
    for key in ORDER_KEYS:
        v = ann.metadata.get(key)
        if isinstance(v, list) and v:
            return [str(x) for x in v]
    ls = ann.metadata.get("labelstudio")
    if isinstance(ls, dict) and isinstance(ls.get("order"), list) and ls["order"]:
        return [str(x) for x in ls["order"]]
    return None


# ---------------------------------------------------------------------- position labels
def position_label(i: int) -> str:
    """The label of screen position ``i`` (0-based): A, B, …, Z, AA, AB, …, ZZ, AAA, …."""
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


def position_labels(n: int) -> list[str]:
    """The labels of the first ``n`` screen positions."""
    return [position_label(i) for i in range(n)]


def position_index(label: str) -> int | None:
    """The 0-based screen position an upper-case label names, or None when ``label`` is not a label."""
    if not label or not label.isascii() or not label.isupper() or not label.isalpha():
        return None
    n = 0
    for ch in label:
        n = n * 26 + ord(ch) - 64
    return n - 1


def no_answer_text(i: int, shown: int) -> str:
    """What a task shows at screen position ``i`` when its project lays out more positions than the
    ``shown`` answers it has (Label Studio configs and DataLabel schemas are one per project)."""
    return f"(no answer {position_label(i)}: this prompt has {shown})"


def is_no_answer(text: object, i: int) -> bool:
    """Whether ``text`` is the ``no_answer_text`` of screen position ``i``."""
    m = _NO_ANSWER.match(text) if isinstance(text, str) else None
    return m is not None and m.group(1) == position_label(i)


__all__ = ["ORDER_KEYS", "candidate_order", "fnv1a", "is_no_answer", "mulberry32", "no_answer_text", "page_order",
           "position_index", "position_label", "position_labels", "recorded_order", "screen_permutation"]

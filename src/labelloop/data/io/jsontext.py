"""Untrusted JSON text: the one bounded parser, the checks it makes, and the one compact encoder.

Every reader of outside JSON (data files, LLM replies, the review cache, the ML backend's payloads) goes
through ``parse_json``, so a hostile text fails the same way everywhere: one clause naming what is wrong.
"""

from __future__ import annotations

import functools
import json
import math
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any

#: deepest nesting of lists and objects accepted in one row (pydantic cannot serialise much past 250)
MAX_DEPTH = 200
#: longest line a JSONL or CSV reader takes (bytes, without the newline)
MAX_LINE_BYTES = 64 * 2**20


class JSONTextError(ValueError):
    """JSON that parses, or would, but cannot be used: nested too deeply, a huge integer, a lone
    surrogate. The message is a clause ("JSON nested deeper than 200 levels") for the caller to place;
    ``phrase`` says the same after a subject ("nests deeper than 200 levels"), for "the reply {phrase}"."""

    def __init__(self, clause: str, phrase: str | None = None) -> None:
        super().__init__(clause)
        self.phrase = phrase or clause


#: a lone surrogate: a str can hold one, UTF-8 cannot encode it
LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")


def surrogate_clause(ch: str, where: str = "the text") -> str:
    """``field x holds a lone surrogate (\\ud800), which UTF-8 cannot encode``: one wording for readers and writers."""
    return f"{where} holds a lone surrogate (\\u{ord(ch):04x}), which UTF-8 cannot encode"


def _path(parts: Sequence[Any]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def field_name(path: str) -> str:
    """``field prompt[0].content``, or ``the value`` for the top level."""
    return f"field {path}" if path else "the value"


def find_lone_surrogate(obj: Any) -> tuple[str, str] | None:
    """(path, character) of the first string or key holding a lone surrogate, e.g. ``("prompt[0].content",
    "\\ud800")``, path ``""`` for the value itself; None when every string is valid Unicode. Iterative:
    safe on deeply nested input."""
    stack: list[tuple[Any, tuple[Any, ...]]] = [(obj, ())]
    while stack:
        o, where = stack.pop()
        if isinstance(o, str):
            m = LONE_SURROGATE.search(o)
            if m:
                return _path(where), m.group()
        elif isinstance(o, dict):
            for k, v in reversed(list(o.items())):
                if isinstance(k, str) and (m := LONE_SURROGATE.search(k)):
                    return _path((*where, k)), m.group()
                stack.append((v, (*where, k)))
        elif isinstance(o, (list, tuple)):
            stack.extend((v, (*where, i)) for i, v in reversed(list(enumerate(o))))
    return None


def nested_too_deep(obj: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether lists and objects nest more than ``limit`` levels. Level by level, not recursive: safe on
    hostile input, and about half the cost of parsing the JSON."""
    if not isinstance(obj, (dict, list)):
        return False
    level, depth = [obj], 1
    while level:
        if depth > limit:
            return True
        deeper: list[Any] = []
        add = deeper.append
        for o in level:
            for c in (o.values() if isinstance(o, dict) else o):
                if isinstance(c, (dict, list)):
                    add(c)
        level, depth = deeper, depth + 1
    return False


def json_value_problem(obj: Any) -> str | None:
    """Why a parsed JSON value cannot go on (nested deeper than MAX_DEPTH, a lone surrogate), or None."""
    if nested_too_deep(obj):
        return f"JSON nested deeper than {MAX_DEPTH} levels"
    found = find_lone_surrogate(obj)
    if found:
        return surrogate_clause(found[1], field_name(found[0]))
    return None


_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")
ESCAPED_SURROGATE_B = re.compile(rb"\\u[dD][89a-fA-F]")


def _too_deep(limit: int) -> JSONTextError:
    return JSONTextError(f"JSON nested deeper than {limit} levels", f"nests deeper than {limit} levels")


def check_json_value(obj: Any, text: str | bytes, max_depth: int = MAX_DEPTH) -> None:
    """Raise ``JSONTextError`` for what ``json_value_problem`` refuses (nesting past ``max_depth``, a lone
    surrogate). ``text`` is the JSON the value was parsed from: cheap tests on it (enough brackets? a
    ``\\udXXX`` escape?) skip the walks in the usual case."""
    if len(text) > 2 * max_depth:
        brackets = text.count(b"[") + text.count(b"{") if isinstance(text, bytes) else text.count("[") + text.count("{")
        if brackets > max_depth and nested_too_deep(obj, max_depth):
            raise _too_deep(max_depth)
    if (ESCAPED_SURROGATE_B if isinstance(text, bytes) else _ESCAPED_SURROGATE).search(text):
        found = find_lone_surrogate(obj)
        if found:
            raise JSONTextError(surrogate_clause(found[1], field_name(found[0])),
                                f"has a lone surrogate (\\u{ord(found[1]):04x}), which UTF-8 cannot encode")


def _shown(number: str) -> str:
    return number if len(number) <= 24 else number[:23] + "…"


def _limited_int(max_digits: int) -> Callable[[str], int]:
    def parse_int(text: str) -> int:
        digits = len(text) - (text[:1] == "-")
        if digits > max_digits:
            raise JSONTextError(f"a number has {digits:,} digits (at most {max_digits} are accepted)",
                                f"has a number with {digits} digits (at most {max_digits} are accepted)")
        return int(text)
    return parse_int


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise JSONTextError(f"the number {_shown(text)} is too large for a float",
                            f"has a number too large for a float ({_shown(text)})")
    return value


def _no_constant(name: str) -> Any:
    raise JSONTextError(f"{name} is not a JSON number", f"has {name}, which is not JSON")


@functools.lru_cache(maxsize=16)
def _decoder(max_int_digits: int | None, finite: bool) -> Callable[[str], Any]:
    """``json.loads`` with the number hooks asked for (the plain C decoder when none are: the fast path)."""
    if max_int_digits is None and not finite:
        return json.loads
    hooks: dict[str, Any] = {}
    if max_int_digits is not None:
        hooks["parse_int"] = _limited_int(max_int_digits)
    if finite:
        hooks.update(parse_float=_finite_float, parse_constant=_no_constant)
    return json.JSONDecoder(**hooks).decode


def parse_json(text: str | bytes, *, check: bool = True, max_depth: int = MAX_DEPTH, max_size: int | None = None,
               max_int_digits: int | None = None, finite: bool = False) -> Any:
    """``json.loads`` for untrusted text, the one bounded JSON parser of the code base.

    Malformed JSON raises ``json.JSONDecodeError`` as usual (its line and column are the caller's to report);
    bytes must be valid UTF-8 (or UTF-16/32), else ``UnicodeDecodeError``. What a hostile text can add raises
    :class:`JSONTextError` with one clause (and its ``phrase``): nesting past ``max_depth`` (that would exhaust
    the stack or break whatever walks the value next), integers past Python's digit limit, lone surrogates
    (``check``), and, when asked, a text longer than ``max_size`` (characters, or bytes for bytes), integers
    longer than ``max_int_digits`` digits, and (``finite``) NaN, Infinity and numbers like ``1e999`` that
    only a float's infinity could hold."""
    if max_size is not None and len(text) > max_size:
        unit = "bytes" if isinstance(text, (bytes, bytearray)) else "characters"
        raise JSONTextError(f"the JSON text is {len(text):,} {unit} long, more than the {max_size:,} accepted",
                            f"is {len(text)} {unit} long, more than the {max_size} accepted")
    if isinstance(text, (bytes, bytearray)):  # strictly: json.loads would let encoded lone surrogates through
        text = bytes(text).decode(json.detect_encoding(text))
    try:
        obj = _decoder(max_int_digits, finite)(text)
    except json.JSONDecodeError:
        raise
    except RecursionError:
        raise _too_deep(max_depth) from None
    except JSONTextError:
        raise
    except ValueError as exc:
        if "integer string conversion" in str(exc):
            limit = sys.get_int_max_str_digits()
            raise JSONTextError(f"a number has more than {limit:,} digits",
                                f"has a number with more than {limit} digits") from None
        raise
    if check:
        check_json_value(obj, text, max_depth)
    return obj


# One encoder for every call: json.dumps with options builds a new JSONEncoder each time, which is a
# measurable share of converting a million rows. Output is the same as json.dumps with these options.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def dumps(obj: Any) -> str:
    if type(obj) is dict and not obj:
        return "{}"
    return _ENCODER.encode(obj)


def json_kind(value: Any) -> str:
    """What a JSON value is, in words, for a message about a value of the wrong kind ("must be a JSON object,
    not a list"). The one vocabulary of the code base: data files, LLM replies and the ML backend's payloads
    name kinds alike. Whole and decimal numbers differ, because some fields take one and not the other."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int):
        return "a number"
    if isinstance(value, float):
        return "a decimal number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__

"""How numbers read, in one place: the dashboard (page and Markdown), the agreement tables, labels and messages
(``compact``), and whoever turns a JSON number back into the int or float it stands for (``plain_number``).

Figures are printed the same way everywhere because tests and people read them back: a fixed number of
decimals for a float, ``—`` for a figure that is not defined, and other values as Python prints them.
"""

from __future__ import annotations

from typing import Any

MISSING = "—"  # a figure that is not defined (no data, or undefined by its formula)


def figure(value: Any, digits: int = 3) -> str:
    """A figure as printed: a float with ``digits`` decimals, ``—`` for None, anything else (int, bool, text) as
    ``str`` prints it."""
    if value is None:
        return MISSING
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def percent(share: float | None) -> str:
    """A share (0–1) as a percentage with one decimal: ``0.8333`` -> ``83.3%``."""
    return MISSING if share is None else f"{100 * share:.1f}%"


def duration(seconds: float | None) -> str:
    """A duration with one decimal, in seconds under two minutes, else in minutes."""
    if seconds is None:
        return MISSING
    if seconds < 120:
        return f"{seconds:.1f} s"
    return f"{seconds / 60:.1f} min"


def compact(value: float) -> str:
    """A number in its shortest general form, for labels and messages: ``2.0`` -> ``2``, ``0.25`` -> ``0.25``."""
    return f"{value:g}"


def plain_number(value: Any, digits: int | None = None) -> int | float:
    """A number (or its text) as the int it is when it is whole, else the float: ``2.0`` -> ``2``.

    ``digits`` rounds a float that is not whole to that many decimals, for names that must not carry float noise
    (``0.1 + 0.2`` -> ``0.3``); what rounding makes whole stays a float.
    """
    f = float(value)
    if f.is_integer():
        return int(f)
    return f if digits is None else round(f, digits)

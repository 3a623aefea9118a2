"""CSV cells a spreadsheet will not run: the one formula-quoting rule every CSV writer applies."""

from __future__ import annotations

import re
from typing import Any

#: a cell starting with one of these is read as a formula by spreadsheets (OWASP: CSV injection)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_QUOTED_FORMULA = re.compile("'+[=+\\-@\t\r]")


def csv_safe(value: Any, *, reversible: bool = False) -> Any:
    """The one rule every CSV writer applies: a string cell whose first character is one of
    ``= + - @ TAB CR`` gets a leading ``'`` so spreadsheets show it as text (OWASP's advice; the offline
    page's export does the same). Numbers are not strings and pass as they are; JSON cells start with
    ``[`` or ``{``. With ``reversible`` (canonical CSV, which labelloop reads back), a cell that already
    starts with quotes before such a character gets one more, so ``csv_unsafe`` restores every value."""
    if isinstance(value, str) and value:
        if value[0] in FORMULA_START or (reversible and value[0] == "'" and _QUOTED_FORMULA.match(value)):
            return "'" + value
    return value


def csv_unsafe(value: Any) -> Any:
    """Undo ``csv_safe(..., reversible=True)``: drop the one quote it added."""
    if isinstance(value, str) and value[:1] == "'" and _QUOTED_FORMULA.match(value):
        return value[1:]
    return value

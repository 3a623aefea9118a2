"""Dataset text shown in a terminal: control characters made visible, never run.

A name, a column or a provider's reason can carry ESC sequences (colours, cursor moves, OSC-8 links that
hide their target), carriage returns that overwrite a line, NULs and bidi overrides. Shown as escapes
(``\\x1b``) they are inert and still tell the user what the data holds.
"""

from __future__ import annotations

import re

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(m: re.Match[str]) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """``text`` with every control character but tab and newline written as an escape."""
    return _CONTROL.sub(_escape, text)

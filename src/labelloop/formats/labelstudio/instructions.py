"""Guidelines as the HTML of a Label Studio project's instruction box (``expert_instruction``).

Label Studio shows that box as HTML, so the guidelines' Markdown goes through the one renderer,
:func:`labelloop.markdown.to_html`, the same as the offline page's guidelines panel: every character of the
text escaped, only the renderer's own few elements made. Headings start at ``<h3>``: the box sits under Label
Studio's own headings.
"""

from __future__ import annotations

from labelloop.markdown import to_html


def guidelines_html(markdown: str) -> str:
    """Guidelines for Label Studio's instruction box (``#`` becomes ``<h3>``)."""
    return to_html(markdown, heading_offset=2, deepest_heading=6)


__all__ = ["guidelines_html"]

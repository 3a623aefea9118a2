"""Guidelines as the HTML of a Label Studio project's instruction box (``expert_instruction``).

Label Studio shows that box as HTML and sanitises it when it stores it, so the guidelines' Markdown is
rendered here to the few tags it keeps: paragraphs, headings, lists, tables, bold and code, everything else
escaped. Every pattern is linear in its input (a heading's closing hashes are stripped in Python).
"""

from __future__ import annotations

import html
import re

_MD_HEAD = re.compile(r"^(#{1,6})\s+(.*)$")  # closing #s stripped in Python: a lazy group before \s*#*$ backtracks
_MD_ITEM = re.compile(r"^([-*+]|\d{1,9}[.)])\s+(.*)$")


def _md_inline(text: str) -> str:
    text = html.escape(text)
    text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", text)


def guidelines_html(markdown: str) -> str:
    """Guidelines for Label Studio's instruction box: escaped; paragraphs, headings, lists, tables, **bold**
    and `code` kept (drafted guidelines use all of them)."""
    out: list[str] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            out.append(f"<p>{_md_inline(' '.join(para))}</p>")
            para.clear()

    for block in re.split(r"\n\s*\n", markdown.strip()):
        lines = [ln.strip() for ln in block.strip().splitlines()]
        i = 0
        while i < len(lines):
            ln = lines[i]
            head, item = _MD_HEAD.match(ln), _MD_ITEM.match(ln)
            if head:
                flush()
                level = min(6, len(head.group(1)) + 2)
                out.append(f"<h{level}>{_md_inline(head.group(2).rstrip().rstrip('#').rstrip())}</h{level}>")
                i += 1
            elif item:
                flush()
                tag = "ol" if item.group(1)[0].isdigit() else "ul"
                items: list[str] = []
                while i < len(lines) and (m := _MD_ITEM.match(lines[i])):
                    items.append(f"<li>{_md_inline(m.group(2))}</li>")
                    i += 1
                out.append(f"<{tag}>{''.join(items)}</{tag}>")
            elif ln.startswith("|"):
                flush()
                rows: list[str] = []
                while i < len(lines) and lines[i].startswith("|"):
                    cells = [c.strip() for c in lines[i].strip("|").split("|")]
                    if not all(re.fullmatch(r":?-{2,}:?", c) for c in cells):
                        rows.append("<tr>" + "".join(f"<td>{_md_inline(c)}</td>" for c in cells) + "</tr>")
                    i += 1
                out.append(f"<table><tbody>{''.join(rows)}</tbody></table>")  # as Label Studio's sanitiser stores it
            else:
                para.append(ln)
                i += 1
        flush()
    return "\n".join(out)


__all__ = ["guidelines_html"]

"""Markdown written from data: the one place that escapes dataset text and sanitises Markdown we did not write.

A reviewer opens labelloop's Markdown (``review --markdown``, ``guidelines``, ``dashboard --format md``) in a
viewer that renders raw HTML, follows links and loads images. Dataset text (prompts, answers, ids, names,
reasons, an LLM's explanation) is therefore escaped so that it reads as the same text and can never become
markup, a link or an image: ``escape`` for running text and table cells, ``code`` for a code span, ``quote``
for a block quote. Markdown that is Markdown by design (an LLM's guidelines, a schema's guidelines) keeps its
formatting through ``sanitize``: raw HTML, links to anything but http(s) and mailto, and images are taken out.

Where such Markdown is shown as HTML (the offline page's guidelines panel, Label Studio's instructions),
``to_html`` is the one renderer: every character of the text escaped, only its own few elements made.

It sits at the bottom of the package, like ``errors``, because ``assist``, ``annotate`` and ``report`` all write
Markdown and none may import the others' modules the wrong way. Every function is linear in its input.
"""

from __future__ import annotations

import html
import re

# C0 controls except tab and newline (a CR is a line break, handled first): NULs and friends never reach a file
_CONTROLS = {c: None for c in range(32) if c not in (9, 10)}
# backslash first: the escapes we add must not be escaped again
_PUNCT = {c: "\\" + c for c in "\\`[]()!|"}
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_ESCAPES = str.maketrans({**_PUNCT, **_ENTITIES})
_SPACE = re.compile(r"\s+")
_TICKS = re.compile(r"`+")
SAFE_SCHEMES = ("http", "https", "mailto")


def clean(text: object) -> str:
    """``text`` as a string with line breaks as ``\\n`` and no other C0 control character but tab."""
    s = str(text)
    if "\r" in s:
        s = s.replace("\r\n", "\n").replace("\r", "\n")
    return s.translate(_CONTROLS)


def escape(text: object, *, lines: bool = False) -> str:
    """Dataset text as inert Markdown that reads the same: HTML (``< > &``) as entities; link, image, code and
    emphasis syntax and table pipes backslash-escaped. Whitespace runs become one space (one table cell, one list
    line) unless ``lines``, which keeps line breaks (for ``quote``)."""
    s = clean(text)
    if lines:
        s = "\n".join(ln.rstrip() for ln in s.split("\n"))
    else:
        s = _SPACE.sub(" ", s).strip()
    return s.translate(_ESCAPES)


def code(text: object, *, cell: bool = False) -> str:
    """``text`` as one inline code span: inert by definition, fenced with more backticks than it holds.
    ``cell``: inside a table row, where even a code span needs its pipes escaped."""
    s = _SPACE.sub(" ", clean(text)).strip()
    longest = max((len(m) for m in _TICKS.findall(s)), default=0)
    fence = "`" * (longest + 1)
    if s.startswith("`") or s.endswith("`"):
        s = f" {s} "
    if cell:
        s = s.replace("|", "\\|")
    return f"{fence}{s}{fence}" if s else "` `"


def quote(text: object) -> str:
    """Dataset text as a Markdown block quote, line by line, escaped."""
    return "\n".join("> " + ln if ln.strip() else ">" for ln in escape(text, lines=True).split("\n"))


# ---------------------------------------------------------------------- sanitising Markdown by design
# a tag or comment (removed unless it is an autolink to a safe scheme), or a "<" that could still open one
_HTML = re.compile(r"<(?:/?[A-Za-z]|[!?])[^<>]*>|<(?=[A-Za-z/!?])")
_AUTOLINK = re.compile(r"<([A-Za-z][A-Za-z0-9+.\-]{1,31}):[^\s<>]*>|<[^\s<>@]+@[^\s<>]+>")
_BRACKET = re.compile(r"\\.|[\[\]]", re.S)  # a bracket, or a backslash escape to skip
# where a link destination starts (one line break, and quote markers after it, may come first), and the characters
# that can spell a scheme and its colon, directly, with entities, backslashes or blanks a browser drops
_DEST = re.compile(r"[ \t]*(?:\n(?:[ \t]*>)*)?[ \t]*<?([A-Za-z0-9+.\-&#;\\ \t]{0,256})(:?)")
_BLANKS = re.compile(r"[\x00-\x20\x7f]+")
_SCHEME = re.compile(r"([a-z][a-z0-9+.\-]*):")
_DEST_CHARS = 256  # a scheme spelled with entities takes up to ten characters a letter


def _strip_comments(s: str) -> str:
    """Complete HTML comments removed; an unclosed one is left to ``_HTML``, which makes its ``<`` text."""
    out, i = [], 0
    while (j := s.find("<!--", i)) >= 0 and (k := s.find("-->", j + 4)) >= 0:
        out.append(s[i:j])
        i = k + 3
    out.append(s[i:])
    return "".join(out)


def _html(m: re.Match[str]) -> str:
    text = m.group(0)
    if text == "<":
        return "&lt;"
    link = _AUTOLINK.fullmatch(text)
    if link and (link.group(1) is None or link.group(1).lower() in SAFE_SCHEMES):
        return text
    return ""


def safe_destination(scheme_part: str, colon: str = "") -> bool:
    """Whether a link whose destination starts with ``scheme_part`` (then ``colon``) is relative or goes to
    http(s) or mailto, decoded as a viewer and then a browser decode it: entities, backslashes, and blanks and
    controls dropped."""
    if len(scheme_part) >= _DEST_CHARS:
        return False  # too long to tell: refused
    s = scheme_part
    if "&" in s or "\\" in s:
        s = html.unescape(s).replace("\\", "")
    m = _SCHEME.match(_BLANKS.sub("", s).lower() + colon)
    return m is None or m.group(1) in SAFE_SCHEMES


def _unsafe_after(s: str, pos: int) -> bool:
    dest = _DEST.match(s, pos)
    return dest is not None and not safe_destination(dest.group(1), dest.group(2))


def _neutralise_links(s: str) -> str:
    """Escape the brackets of images and of links to unsafe addresses. Brackets pair as a viewer pairs them (the
    nearest open one, backslash escapes skipped), so the whole link reads as text; and whatever the pairing, no
    ``](`` or ``]:`` before an unsafe address and no ``![`` is left as syntax."""
    marks: list[int] = []
    stack: list[tuple[int, bool]] = []
    for m in _BRACKET.finditer(s):
        at = m.start()
        if m.group(0) == "[":
            stack.append((at, at > 0 and s[at - 1] == "!"))
            continue
        if m.group(0) != "]":
            continue
        after = s[at + 1:at + 2]
        unsafe = after in ("(", ":") and _unsafe_after(s, at + 2)
        opener = stack.pop() if stack else None
        if opener is not None and (opener[1] or unsafe):
            marks.append(opener[0])
        if unsafe or (opener is not None and opener[1]):
            marks.append(at)
    marks += [at for at, image in stack if image]
    if not marks:
        return s
    out, last = [], 0
    for at in sorted(set(marks)):
        out += [s[last:at], "\\"]
        last = at
    out.append(s[last:])
    return "".join(out)


def sanitize(markdown: object) -> str:
    """Markdown we did not write (an LLM's, a schema's) kept as Markdown but made inert: no raw HTML (tags and
    comments go; a ``<`` that could still open one becomes ``&lt;``), no image, and no link to anything but
    http(s), mailto or a relative address, inline or by reference (their brackets are escaped: they read as
    text)."""
    return _neutralise_links(_HTML.sub(_html, _strip_comments(clean(markdown))))


# ---------------------------------------------------------------------- Markdown as HTML
# Markdown we did not write (a schema's or an LLM's guidelines) shown as HTML: in the offline page's guidelines
# panel and in Label Studio's instructions. Every character of the text is escaped; only the elements below are
# made, and a link only to http(s) or mailto. The syntax and its readings are the page's own in-browser renderer's
# (static/annotator/10-markdown.js, which still renders the answers), plus tables. Linear time whatever the text:
# inline syntax is one left-to-right scan whose closer searches are remembered, block patterns are anchored, and
# quotes nest at most QUOTE_DEPTH deep.
_WS = "\t\n\x0b\x0c\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"  # JavaScript's \s
_WS_CHARS = "\t\n\x0b\x0c\r \u00a0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff" + "".join(
    chr(c) for c in range(0x2000, 0x200B))
_SAFE_URL = re.compile(r"(?:https?://|mailto:)[^\x00-\x20" + _WS + r"]*", re.I)
_OPENERS = re.compile(r"[`*_\[]")
_URL_END = re.compile(r"[)" + _WS + "]")
_ALNUM = re.compile(r"[A-Za-z0-9]")
_LIST = re.compile(r"[" + _WS + r"]{0,3}([-*+]|[0-9]{1,9}[.)])[" + _WS + r"]+(.*)", re.S)
_HEAD = re.compile(r"[" + _WS + r"]{0,3}(#{1,6})[" + _WS + "]")
_HR = re.compile(r"[" + _WS + r"]{0,3}(?:[-*_][" + _WS + "]*){3,}")
_FENCE = re.compile(r"[" + _WS + r"]{0,3}(`{3,}|~{3,})[" + _WS + r"]*([A-Za-z0-9_+\-]*)")
_QUOTE = re.compile(r"[" + _WS + r"]{0,3}>")
_QUOTE_MARK = re.compile(r"[" + _WS + r"]{0,3}>[" + _WS + "]?")
_BLOCK = re.compile(r"[" + _WS + r"]{0,3}(?:```|~~~|#{1,6}[" + _WS + "]|>)")
_INDENT = re.compile(r"[" + _WS + "]")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_DELIMITER = re.compile(r"[" + _WS + r"]*:?-+:?[" + _WS + r"]*")
QUOTE_DEPTH = 8


def _t(s: str) -> str:
    return html.escape(s, quote=False)


def _trim(s: str) -> str:
    return s.strip(_WS_CHARS)


def _closers(text: str):
    """``next(key, start)``: where the next closer is at or after ``start`` (-1: none). Each answer is kept with the
    stretch it proved empty, so a run of openers that never close ("[](" × 30,000) costs one search, not one each."""
    memo: dict[str, tuple[int, int]] = {}

    def nxt(key: str, start: int) -> int:
        m = memo.get(key)
        if m and start >= m[0] and (m[1] < 0 or start <= m[1]):
            return m[1]
        if key == "url":
            found = _URL_END.search(text, start)
            at = found.start() if found else -1
        else:
            at = text.find(key, start)
        memo[key] = (start, at)
        return at

    return nxt


def _edge(s: str) -> bool:
    return len(s) > 0 and s[0] not in _WS_CHARS and s[-1] not in _WS_CHARS


def _inline(text: str, out: list[str]) -> None:
    """Code, **strong**, __strong__, *em*, _em_ and [text](url): each closer the next occurrence of its character,
    since no content may hold it; links only to http(s) and mailto, others stay text."""
    n, nxt = len(text), _closers(text)
    last = i = 0

    def emit(node: str, start: int, end: int) -> None:
        nonlocal last, i
        if start > last:
            out.append(_t(text[last:start]))
        out.append(node)
        last = i = end

    def inner(s: str) -> str:
        parts: list[str] = []
        _inline(s, parts)
        return "".join(parts)

    while i < n:
        m = _OPENERS.search(text, i)
        if m is None:
            break
        i = m.start()
        c = text[i]
        if c == "`":
            j = nxt("`", i + 1)
            if j > i + 1:
                emit(f"<code>{_t(text[i + 1:j])}</code>", i, j + 1)
                continue
        elif c in "*_":
            if text[i + 1:i + 2] == c:
                j = nxt(c, i + 2)
                if j > i + 2 and text[j + 1:j + 2] == c:
                    emit(f"<strong>{inner(text[i + 2:j])}</strong>", i, j + 2)
                    continue
            if c == "*" or not (i > 0 and _ALNUM.match(text[i - 1])):
                j = nxt(c, i + 1)
                body = text[i + 1:j] if j > i else ""
                if _edge(body) and (c == "*" or not (j + 1 < n and _ALNUM.match(text[j + 1]))):
                    emit(f"<em>{inner(body)}</em>", i, j + 1)
                    continue
        else:
            j = nxt("]", i + 1)
            if j >= 0 and text[j + 1:j + 2] == "(":
                k = nxt("url", j + 2)
                if k >= 0 and text[k] == ")":
                    url = text[j + 2:k]
                    if _SAFE_URL.fullmatch(url):
                        emit(f'<a rel="noopener noreferrer nofollow" target="_blank" href="{html.escape(url)}">'
                             f"{inner(text[i + 1:j])}</a>", i, k + 1)
                    else:
                        emit(_t(text[i:k + 1]), i, k + 1)
                    continue
        i += 1
    if last < n:
        out.append(_t(text[last:]))


def _inline_lines(lines: list[str], breaks: bool) -> str:
    out: list[str] = []
    for k, ln in enumerate(lines):
        if k:
            out.append("<br>" if breaks else " ")
        _inline(ln if breaks else _trim(ln), out)
    return "".join(out)


def _heading_text(ln: str, marker: int) -> str:
    """A heading's text: without the leading spaces and without closing #s and spaces."""
    end = len(ln)
    while end > marker and ln[end - 1] in _WS_CHARS:
        end -= 1
    while end > marker and ln[end - 1] == "#":
        end -= 1
    while end > marker and ln[end - 1] in _WS_CHARS:
        end -= 1
    start = marker
    while start < end and ln[start] in _WS_CHARS:
        start += 1
    return ln[start:end]


def _cells(ln: str) -> list[str]:
    s = _trim(ln)
    if s.startswith("|"):
        s = s[1:]
    if s.endswith("|") and not s.endswith("\\|"):
        s = s[:-1]
    return [_trim(c).replace("\\|", "|") for c in _CELL_SPLIT.split(s)]


def _table_at(lines: list[str], i: int) -> int:
    """The number of columns of a table whose header is line ``i`` (0: no table starts there): a row with a pipe
    over a delimiter row with a pipe (``|---|:--:|``) and as many cells."""
    if i + 1 >= len(lines) or "|" not in lines[i] or "|" not in lines[i + 1] or "-" not in lines[i + 1]:
        return 0
    delims = _cells(lines[i + 1])
    if not all(_DELIMITER.fullmatch(d) for d in delims):
        return 0
    return len(delims) if len(_cells(lines[i])) == len(delims) else 0


def _block_start(ln: str) -> bool:
    return bool(_BLOCK.match(ln) or _HR.fullmatch(ln) or _LIST.fullmatch(ln))


def to_html(markdown: object, *, breaks: bool = False, heading_offset: int = 1, deepest_heading: int = 4) -> str:
    """Markdown as inert HTML: paragraphs, headings, rules, quotes, lists, code blocks, tables, code spans,
    strong, emphasis and links to http(s) or mailto; everything else, raw HTML included, is text.

    ``breaks`` keeps single line breaks (model answers, poems; off for hand-wrapped guidelines). A heading of
    level n becomes ``h(n + heading_offset)``, at most ``h(deepest_heading)``."""
    return _blocks(clean(markdown).split("\n"), breaks, heading_offset, deepest_heading, 0)


def _blocks(lines: list[str], breaks: bool, offset: int, deepest: int, depth: int) -> str:
    out: list[str] = []
    i = 0
    while i < len(lines):
        ln = lines[i]
        if not _trim(ln):
            i += 1
            continue
        fence = _FENCE.match(ln)
        if fence:
            body = []
            i += 1
            while i < len(lines) and not _trim(lines[i]).startswith(fence.group(1)):
                body.append(lines[i])
                i += 1
            i += 1
            lang = f' data-lang="{html.escape(fence.group(2))}"' if fence.group(2) else ""
            out.append(f"<pre><code{lang}>{_t(chr(10).join(body))}</code></pre>")
            continue
        hd = _HEAD.match(ln)
        if hd:
            level = min(deepest, len(hd.group(1)) + offset)
            parts: list[str] = []
            _inline(_heading_text(ln, hd.end() - 1), parts)
            out.append(f"<h{level}>{''.join(parts)}</h{level}>")
            i += 1
            continue
        if _HR.fullmatch(ln):
            out.append("<hr>")
            i += 1
            continue
        if _QUOTE.match(ln) and depth < QUOTE_DEPTH:
            body = []
            while i < len(lines) and _QUOTE.match(lines[i]):
                body.append(_QUOTE_MARK.sub("", lines[i], count=1))
                i += 1
            out.append(f"<blockquote>{_blocks(body, breaks, offset, deepest, depth + 1)}</blockquote>")
            continue
        li = _LIST.fullmatch(ln)
        if li:
            ordered = li.group(1)[0].isdigit()
            start = int(li.group(1)[:-1]) if ordered else 1
            items = []
            while i < len(lines):
                m = _LIST.fullmatch(lines[i])
                if not m or m.group(1)[0].isdigit() != ordered:
                    break
                item = [m.group(2)]
                i += 1
                while (i < len(lines) and _trim(lines[i]) and not _LIST.fullmatch(lines[i])
                       and _INDENT.match(lines[i])):
                    item.append(_trim(lines[i]))
                    i += 1
                items.append(f"<li>{_inline_lines(item, breaks)}</li>")
            tag = "ol" if ordered else "ul"
            attr = f' start="{start}"' if ordered and start != 1 else ""
            out.append(f"<{tag}{attr}>{''.join(items)}</{tag}>")
            continue
        columns = _table_at(lines, i)
        if columns:
            table, i = _table(lines, i, columns)
            out.append(table)
            continue
        para: list[str] = []
        while (i < len(lines) and _trim(lines[i]) and not (para and (_block_start(lines[i]) or _table_at(lines, i)))):
            para.append(lines[i])
            i += 1
        out.append(f"<p>{_inline_lines(para, breaks)}</p>")
    return "".join(out)


def _table(lines: list[str], i: int, columns: int) -> tuple[str, int]:
    """The table whose header is line ``i``, every row padded or cut to the header's cells; and the line after it
    (a table ends at a blank line or where another block starts)."""
    def row(ln: str, tag: str) -> str:
        cells = []
        for c in (_cells(ln) + [""] * columns)[:columns]:
            parts: list[str] = []
            _inline(c, parts)
            cells.append(f"<{tag}>{''.join(parts)}</{tag}>")
        return f"<tr>{''.join(cells)}</tr>"

    head, body = row(lines[i], "th"), []
    i += 2
    while i < len(lines) and _trim(lines[i]) and not _block_start(lines[i]):
        body.append(row(lines[i], "td"))
        i += 1
    tbody = f"<tbody>{''.join(body)}</tbody>" if body else ""
    return f"<table><thead>{head}</thead>{tbody}</table>", i

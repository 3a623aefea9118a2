"""Markdown written from data: the one place that escapes dataset text and sanitises Markdown we did not write.

A reviewer opens labelloop's Markdown (``review --markdown``, ``guidelines``, ``dashboard --format md``) in a
viewer that renders raw HTML, follows links and loads images. Dataset text (prompts, answers, ids, names,
reasons, an LLM's explanation) is therefore escaped so that it reads as the same text and can never become
markup, a link or an image: ``escape`` for running text and table cells, ``code`` for a code span, ``quote``
for a block quote. Markdown that is Markdown by design (an LLM's guidelines, a schema's guidelines) keeps its
formatting through ``sanitize``: raw HTML, links to anything but http(s) and mailto, and images are taken out.

It sits at the top of the package, like ``errors``, because both ``assist`` and ``report`` write Markdown and
neither may import the other's modules the wrong way. Every function is linear in its input.
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

"""The self-contained page shell shared by the offline annotator and the dashboard.

Both pages are one HTML file a person opens from disk, so the same guarantees must hold in both and are written
once, here:
- every text from the data is escaped (``text``), and JSON embedded in a ``<script>`` element can neither close
  it nor start markup (``script_json``);
- the Content-Security-Policy (``policy``) allows only the page's own inline scripts and style, by SHA-256, no
  network of any kind, and Trusted Types with no policy, so even a bug cannot turn a string into HTML;
- our own inline sources are checked never to contain their closing tag (``own``), and a script split into
  ordered source files is one script on the page (``static_text``).

It sits at the bottom, beside ``markdown``, because ``annotate`` and ``report`` both write pages and neither may
import the other.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from collections.abc import Sequence
from importlib import resources
from typing import Any

from labelloop.markdown import clean

# str.replace runs in C: much faster than translate() on large payloads
_JSON_ESCAPES = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029"))
_CLOSERS = {"script": "</script", "style": "</style"}


def text(value: object) -> str:
    """Text as HTML (element content or a quoted attribute): escaped, and without the C0 controls (NUL…) that have
    no place in a page."""
    return html.escape(clean(value), quote=True)


def escape_json(encoded: str) -> str:
    """Already encoded JSON made safe inside ``<script>``: ``< > &`` and U+2028/U+2029 as ``\\u`` escapes."""
    for char, code in _JSON_ESCAPES:
        if char in encoded:
            encoded = encoded.replace(char, code)
    return encoded


def script_json(obj: Any) -> str:
    """JSON that is safe inside a ``<script>`` element: nothing in it can end the element or start markup."""
    return escape_json(json.dumps(obj, ensure_ascii=False, separators=(",", ":")))


def json_script(element_id: str, obj: Any) -> str:
    """A data block: ``obj`` as JSON in a ``<script type="application/json">`` the page's script reads."""
    return f'<script type="application/json" id="{text(element_id)}">{script_json(obj)}</script>'


def sha256(source: str) -> str:
    """The CSP hash source of an inline script or style: base64 of its UTF-8 SHA-256."""
    return base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii")


def policy(scripts: Sequence[str], styles: Sequence[str]) -> str:
    """The Content-Security-Policy of a page whose only code is ``scripts`` and ``styles`` (inline, exactly)."""
    return "; ".join([
        "default-src 'none'",
        "script-src " + " ".join(f"'sha256-{sha256(s)}'" for s in scripts),
        "style-src " + " ".join(f"'sha256-{sha256(s)}'" for s in styles),
        "img-src data:",
        "base-uri 'none'",
        "form-action 'none'",
        "require-trusted-types-for 'script'",
        "trusted-types 'none'",
    ])


def own(name: str, source: str, kind: str) -> str:
    """``source``, one of our own inline ``kind`` ("script" or "style") sources, checked not to hold its closing
    tag (it would end the element early)."""
    closer = _CLOSERS[kind]
    if closer in source.lower():  # pragma: no cover - guards our own static files
        raise RuntimeError(f"{name} contains {closer!r}")
    return source


def static_text(package: str, name: str) -> str:
    """A file under ``package``'s ``static/``; a folder is its ``.js``/``.css`` source files concatenated in name
    order (``00-…``, ``10-…``), which is how one page script is kept in a few files."""
    node = resources.files(package) / "static" / name
    if node.is_dir():
        parts = sorted((p for p in node.iterdir() if p.name.endswith((".js", ".css"))), key=lambda p: p.name)
        return "".join(p.read_text(encoding="utf-8") for p in parts)
    return node.read_text(encoding="utf-8")


def head(*, title: str, css: str, csp: str, color_scheme: str | None = None) -> str:
    """The document up to and including ``<body>``: doctype, charset, the CSP, viewport, no referrer, no favicon
    request, the title (escaped) and the page's one inline style."""
    attr = html.escape(csp, quote=False).replace('"', "&quot;")  # a policy holds no markup; kept so if one did
    scheme = f'<meta name="color-scheme" content="{text(color_scheme)}">\n' if color_scheme else ""
    return ("<!doctype html>\n"
            '<html lang="en">\n'
            "<head>\n"
            '<meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{attr}">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"{scheme}"
            '<meta name="referrer" content="no-referrer">\n'
            '<meta name="generator" content="labelloop">\n'
            f"<title>{text(title)}</title>\n"
            '<link rel="icon" href="data:,">\n'
            f"<style>{css}</style>\n"
            "</head>\n"
            "<body>\n")

"""``labelloop.markdown.to_html``: the one Markdown renderer of the offline page's guidelines (and of whoever else
shows Markdown as HTML). Exact output: every character of the text escaped, only the renderer's own elements."""

from __future__ import annotations

from html.parser import HTMLParser

from labelloop.markdown import to_html

LINK = '<a rel="noopener noreferrer nofollow" target="_blank" href="https://example.org/?a=1&amp;b=2">docs</a>'


def test_a_table_renders_as_a_table() -> None:
    md = ("Scores:\n"
          "| answer | when | note |\n"
          "|:-------|:----:|-----:|\n"
          "| **Tie** | equally good | `a\\|b` |\n"
          "| Both bad | neither \\| none |\n"
          "| x | y | z | extra |\n"
          "\n"
          "after")
    assert to_html(md) == (
        "<p>Scores:</p>"
        "<table><thead><tr><th>answer</th><th>when</th><th>note</th></tr></thead><tbody>"
        "<tr><td><strong>Tie</strong></td><td>equally good</td><td><code>a|b</code></td></tr>"
        "<tr><td>Both bad</td><td>neither | none</td><td></td></tr>"
        "<tr><td>x</td><td>y</td><td>z</td></tr>"
        "</tbody></table>"
        "<p>after</p>")


def test_a_table_cell_is_escaped_and_a_table_ends_where_another_block_starts() -> None:
    md = "a | b\n--- | ---\n<img src=x onerror=alert(1)> | [x](javascript:alert(1))\n# next"
    assert to_html(md) == (
        "<table><thead><tr><th>a</th><th>b</th></tr></thead><tbody>"
        "<tr><td>&lt;img src=x onerror=alert(1)&gt;</td><td>[x](javascript:alert(1))</td></tr>"
        "</tbody></table><h2>next</h2>")


def test_not_a_table_without_a_delimiter_row_of_as_many_cells() -> None:
    assert to_html("a | b\n|---|\nc") == "<p>a | b |---| c</p>"
    assert to_html("| a |\n| b |") == "<p>| a | | b |</p>"
    assert to_html("x | y\n---") == "<p>x | y</p><hr>"


def test_blocks_and_inline_as_the_page_renders_them() -> None:
    md = ("# Title ##\nSee [docs](https://example.org/?a=1&b=2), *em*, __strong__ and `<code>`.\n"
          "wrapped line\n\n> quoted\n\n3. three\n4. four\n- dash\n\n```py\n<b>\n```\n***\n&amp; <b>raw</b>")
    assert to_html(md) == (
        f"<h2>Title</h2><p>See {LINK}, <em>em</em>, <strong>strong</strong> and <code>&lt;code&gt;</code>. "
        "wrapped line</p><blockquote><p>quoted</p></blockquote>"
        '<ol start="3"><li>three</li><li>four</li></ol><ul><li>dash</li></ul>'
        '<pre><code data-lang="py">&lt;b&gt;</code></pre><hr><p>&amp;amp; &lt;b&gt;raw&lt;/b&gt;</p>')


def test_links_only_to_http_and_mailto_and_headings_shifted() -> None:
    assert to_html("[a](JavaScript:alert(1)) [b](mailto:x@example.org)") == (
        '<p>[a](JavaScript:alert(1)) <a rel="noopener noreferrer nofollow" target="_blank" '
        'href="mailto:x@example.org">b</a></p>')
    assert to_html("# one\n###### six", heading_offset=2, deepest_heading=6) == "<h3>one</h3><h6>six</h6>"
    assert to_html("a\nb", breaks=True) == "<p>a<br>b</p>"
    assert to_html("  \n\x00\n") == ""


def test_worst_cases_stay_linear_and_inert() -> None:
    """The patterns that froze regex renderers: each renders whole, as text (a slow one would time the suite out)."""
    assert to_html("[](" * 100_000) == "<p>" + "[](" * 100_000 + "</p>"
    assert to_html("# a" + " " * 3900 + "b") == "<h2>a" + " " * 3900 + "b</h2>"
    assert to_html(">" * 50_000) == "<blockquote>" * 8 + "<p>" + "&gt;" * (50_000 - 8) + "</p>" + "</blockquote>" * 8
    rows = to_html("|a|b|\n|-|-|\n" + "|<x>|y|\n" * 50_000)
    assert rows.count("<tr><td>&lt;x&gt;</td><td>y</td></tr>") == 50_000
    assert to_html("*a " * 50_000) == "<p>" + "*a " * 49_999 + "*a</p>"


HOSTILE = ["</script><script>window.__pwned=1</script>", "<img src=x onerror=alert(1)>",
           "[a](javascript:alert(1)) [b](  JaVaScRiPt:alert(1)) [c](java\tscript:alert(1)) [d](data:text/html,x)",
           "<a href=\"javascript:alert(1)\">a</a> <!-- c --> <svg onload=alert(1)>", "![t](https://example.org/p.png)",
           "| <b>h</b> | [x](vbscript:y) |\n|---|---|\n| <iframe srcdoc=x> | `</td>` |", "```\n</code></pre><script>\n```",
           "# <h1>x</h1>\n- <li>y\n> <blockquote>", "[ok](https://example.org/\"onmouseover=alert(1))"]
ALLOWED = {"p", "h2", "h3", "h4", "hr", "blockquote", "ul", "ol", "li", "pre", "code", "strong", "em", "a", "br",
           "table", "thead", "tbody", "tr", "th", "td"}


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def test_hostile_markdown_makes_only_the_renderers_elements() -> None:
    for md in HOSTILE:
        seen = _Elements()
        seen.feed(to_html(md))
        assert {t for t, _ in seen.tags} <= ALLOWED, md
        for tag, attrs in seen.tags:
            assert set(attrs) <= ({"rel", "target", "href"} if tag == "a" else {"start", "data-lang"}), md
            if tag == "a":
                assert attrs["href"].startswith("https://"), md
    shown = _Elements()
    shown.feed(to_html(HOSTILE[0]))
    assert "".join(shown.text) == HOSTILE[0]
    quoted = _Elements()
    quoted.feed(to_html(HOSTILE[-1]))  # the quote stays inside the address
    assert quoted.tags == [("p", {}), ("a", {"rel": "noopener noreferrer nofollow", "target": "_blank",
                                             "href": 'https://example.org/"onmouseover=alert(1'})]

"""Markdown written from hostile data (``review --markdown``, ``guidelines``, ``dashboard --format md``): every
piece of dataset text is escaped, an LLM's or a schema's Markdown is sanitised, and no C0 control gets through.

Each output is checked twice: exact escaped strings, and what a permissive viewer makes of it (markdown-it with raw
HTML on and every link scheme allowed, as a careless viewer would): no element from the data, no image, no
``javascript:`` link, and the hostile text reads exactly as it was written.
"""

from __future__ import annotations

import json
import re
import threading
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from markdown_it import MarkdownIt

from labelloop.assist.guidelines import draft_guidelines
from labelloop.assist.llm import get_provider
from labelloop.assist.review import review_dataset
from labelloop.data.model import Annotation, Candidate, DataSample, Dataset, Message
from labelloop.data.schema import AnnotationSchema, Option, Question
from labelloop.report import dashboard_markdown
from labelloop.templates import TEMPLATES

NAME = "eve<img src=x onerror=alert(1)>|[x](javascript:alert(1))\x00"
CID = "[c](javascript:alert(2))"
SID = "s<script>`![t](http://evil.example/t.png)"
PROMPT = "<script>alert(3)</script>\n![pixel](http://evil.example/p.png)\n[click](javascript:alert(4))\x00 | end"
T0 = datetime(2024, 5, 1, 9, 0, tzinfo=timezone.utc)

NAME_MD = r"eve&lt;img src=x onerror=alert\(1\)&gt;\|\[x\]\(javascript:alert\(1\)\)"
NAME_SHOWN = "eve<img src=x onerror=alert(1)>|[x](javascript:alert(1))"  # the NUL is gone


def hostile_dataset() -> Dataset:
    """Six pairwise samples; eve (a hostile name) always picks the candidate with a hostile id, once too fast."""
    samples = []
    for i in range(6):
        s = DataSample(id=SID if i == 0 else f"s{i}", prompt=[Message(role="user", content=PROMPT)],
                       candidates=[Candidate(id="0", content="zero <b>bold</b>"),
                                   Candidate(id=CID, content="[a](javascript:x)")])
        s.annotations.append(Annotation(annotator="judge", kind="prediction", values={"preference": "0"}, score=0.9))
        s.annotations.append(Annotation(annotator="gold", kind="reference", values={"preference": "0"}))
        for k, name in enumerate(["alice", "bob", NAME]):
            when = T0 + timedelta(minutes=10 * i + k)
            s.annotations.append(Annotation(annotator=name, values={"preference": CID if name == NAME else "0"},
                                            lead_time_s=0.5 if name == NAME and i == 0 else 20.0,
                                            created_at=when, updated_at=when))
        samples.append(s)
    return Dataset(name="set<b>|x\x00", samples=samples, schema=TEMPLATES.get("rewardbench")())


class _Viewer(HTMLParser):
    """What a viewer shows: the elements, their link and image addresses, and the text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.urls: list[str] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.urls += [v for k, v in attrs if k in ("href", "src") and v is not None]

    def handle_data(self, data):
        self.text.append(data)


def render(markdown: str) -> _Viewer:
    md = MarkdownIt("commonmark", {"html": True}).enable("table")
    md.validateLink = lambda url: True  # a careless viewer: every scheme allowed
    return _Viewer(md.render(markdown))


STRUCTURE = {"h1", "h2", "h3", "h4", "p", "ul", "ol", "li", "strong", "em", "code", "pre", "blockquote", "table",
             "thead", "tbody", "tr", "th", "td", "hr", "br", "a"}


def assert_inert(markdown: str, allowed_urls: tuple[str, ...] = ()) -> _Viewer:
    assert not re.search(r"[\x00-\x08\x0b-\x1f]", markdown)
    shown = render(markdown)
    assert shown.tags <= STRUCTURE, shown.tags - STRUCTURE
    assert [u for u in shown.urls if u not in allowed_urls] == []
    return shown


def test_review_markdown_escapes_every_piece_of_data() -> None:
    md = review_dataset(hostile_dataset()).to_markdown()
    lines = md.splitlines()
    assert lines[0] == r"# Annotation review: set&lt;b&gt;\|x"
    assert f"| {NAME_MD} | 6 | 13 | 20.0 | 1 | 6/6 | 6/6 |" in lines
    assert (f"- ``s<script>`![t](http://evil.example/t.png)`` · **{NAME_MD}**: 0.5 s on the task "
            r"\(threshold 5.0 s, median 20.0 s\)") in lines
    assert (f"- `s1` · **{NAME_MD}** · preference: answered " r'"\[c\]\(javascript:alert\(2\)\)"; pre-label by '
            r'judge \(score 0.90\) answered "0" \("\[c\]\(javascript:alert\(2\)\)" vs "0"\)') in lines
    shown = assert_inert(md)
    text = "".join(shown.text)
    assert f"{NAME_SHOWN}: 0.5 s on the task (threshold 5.0 s, median 20.0 s)" in text
    assert f"{SID} · {NAME_SHOWN}: 0.5 s" in text  # the id in a code span, literally
    assert 'answered "[c](javascript:alert(2))"' in text


def test_dashboard_markdown_passes_no_link_image_or_html() -> None:
    md = dashboard_markdown(hostile_dataset(), bootstrap=0)
    lines = md.splitlines()
    assert lines[0] == r"# set&lt;b&gt;\|x: annotation dashboard"
    assert f"| {NAME_MD} | 6 | 0 | 0 | 0 | 20.0 s | 13 |" in lines
    assert r"human answers: 0 12, \[c\]\(javascript:alert\(2\)\) 6, tie 0, both_bad 0" in lines
    assert (r"| s&lt;script&gt;\`\!\[t\]\(http://evil.example/t.png\) |  | preference | 1.417 | alice=0; bob=0; "
            rf"{NAME_MD}=\[c\]\(javascript:alert\(2\)\) |") in lines
    shown = assert_inert(md)
    assert "alice=0; bob=0; " + NAME_SHOWN + "=" + CID in shown.text


def hostile_schema() -> AnnotationSchema:
    """Plain-text schema fields with markup, and Markdown fields (guidelines, a description) with hostile parts."""
    good_md = ("Be **careful**. See [the docs](https://example.org/docs). <script>alert(5)</script>"
               "[bad](javascript:alert(6)) ![p](http://evil.example/q.png) <!-- hidden -->")
    return AnnotationSchema(name="evil<b>", guidelines=good_md, questions=[
        Question(name="preference", type="single_choice", title="Better? [t](javascript:alert(7))",
                 description=good_md, options_from_candidates=True,
                 options=[Option(value="tie", label="Tie <img src=x onerror=alert(8)>",
                                 description="equal | [d](data:text/html,x)")]),
    ])


SANITISED = (r"Be **careful**. See [the docs](https://example.org/docs). alert(5)\[bad\](javascript:alert(6)) "
             r"!\[p\](http://evil.example/q.png) ")


def test_guidelines_draft_escapes_data_and_sanitises_markdown() -> None:
    ds = hostile_dataset()
    md = draft_guidelines(hostile_schema(), ds.samples[:1], examples=1)
    lines = md.splitlines()
    assert lines[0] == "# Annotation guidelines: evil&lt;b&gt;"
    assert lines[4] == SANITISED  # the schema's guidelines: Markdown by design
    assert "### 1. Better? \\[t\\]\\(javascript:alert\\(7\\)\\)" in lines
    assert SANITISED in lines  # the question's description, the same way
    assert r"  - **Tie &lt;img src=x onerror=alert\(8\)&gt;** (`tie`): equal \| \[d\]\(data:text/html,x\)" in lines
    assert "### Example 1 (``s<script>`![t](http://evil.example/t.png)``)" in lines
    assert "> &lt;script&gt;alert\\(3\\)&lt;/script&gt;" in lines
    assert "> \\!\\[pixel\\]\\(http://evil.example/p.png\\)" in lines
    assert "> \\[click\\]\\(javascript:alert\\(4\\)\\) \\| end" in lines
    assert "> \\[a\\]\\(javascript:x\\)" in lines and "> zero &lt;b&gt;bold&lt;/b&gt;" in lines
    shown = assert_inert(md, allowed_urls=("https://example.org/docs",))
    text = "".join(shown.text)
    assert "<script>alert(3)</script>" in text and "[click](javascript:alert(4)) | end" in text


class _Writer:
    """A real HTTP server on 127.0.0.1 playing the OpenAI chat API: it answers with hostile guidelines."""

    REPLY = ("# Guidelines\n\nAnswer `preference` with care. <img src=x onerror=alert(9)><script>alert(10)</script>\n\n"
             "- [help](https://example.org/help) and [mail](mailto:lead@example.org)\n"
             "- [js](javascript:alert(11)) [js2]( JaVa&#115;cript:alert(12)) [data](data:text/html,hi)\n"
             "- ![track](https://evil.example/pixel.png) <https://example.org/auto> <javascript:alert(13)>\n\n"
             "[ref]: javascript:alert(14)\n[see][ref]\n")

    def __init__(self) -> None:
        reply = json.dumps({"markdown": self.REPLY})

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):  # noqa: N802
                self.rfile.read(int(self.headers.get("content-length", 0)))
                body = json.dumps({"id": "c1", "object": "chat.completion", "created": 0, "model": "writer-1",
                                   "choices": [{"index": 0, "finish_reason": "stop",
                                                "message": {"role": "assistant", "content": reply}}]}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def writer():
    w = _Writer()
    yield w
    w.httpd.shutdown()
    w.httpd.server_close()


def test_llm_guidelines_keep_markdown_but_lose_html_bad_links_and_images(writer) -> None:
    schema = AnnotationSchema(name="s", questions=[Question(name="preference", type="single_choice",
                                                            options=[Option(value="a"), Option(value="b")])])
    md = draft_guidelines(schema, provider=get_provider("compatible", model="writer", base_url=writer.url))
    assert md == ("# Guidelines\n\nAnswer `preference` with care. alert(10)\n\n"
                  "- [help](https://example.org/help) and [mail](mailto:lead@example.org)\n"
                  "- \\[js\\](javascript:alert(11)) \\[js2\\]( JaVa&#115;cript:alert(12)) \\[data\\](data:text/html,hi)\n"
                  "- !\\[track\\](https://evil.example/pixel.png) <https://example.org/auto> \n\n"
                  "\\[ref\\]: javascript:alert(14)\n[see][ref]\n")
    shown = assert_inert(md, allowed_urls=("https://example.org/help", "mailto:lead@example.org",
                                           "https://example.org/auto"))
    assert shown.tags >= {"h1", "code", "ul", "a"}  # still Markdown

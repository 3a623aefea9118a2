"""The offline annotator and the dashboard in a real headless Chromium (Debian's) on hostile and huge text.

Pages must not freeze: the worst cases for the old Markdown patterns and for layout ("[](" a hundred thousand
times, a heading padded with thousands of spaces, fifty thousand nested quotes, a 100,000-character word, a
300,000-character prompt) render within Playwright's timeout, long texts show folded with a "Show all" button,
and what they render stays inert text. The page's CSV export neutralises spreadsheet formulas.
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "annotate"))  # annot_pages, the page helpers

from annot_pages import Watched, all_types_schema  # noqa: E402

from labelloop.annotate.html.generator import build_annotator  # noqa: E402
from labelloop.data.model import Annotation, Candidate, DataSample, Dataset, Message  # noqa: E402
from labelloop.data.schema import AnnotationSchema, Question  # noqa: E402
from labelloop.report import build_dashboard  # noqa: E402
from labelloop.templates import TEMPLATES  # noqa: E402

BOUND_MS = 10_000  # Playwright's timeout for every step: a page that freezes fails the test, nothing is timed
FOLD = 4000
LINKS = "[](" * 100_000
HEADING = "# a" + " " * 3900 + "b"
QUOTES = ">" * 50_000
WORD = "x" * 100_000


@pytest.fixture
def open_page(browser):
    """Opens a page with watchers; any dialog, page error or CSP violation fails the test at teardown.

    ``browser`` is the shared Chromium of ``tests/conftest.py``, stopped once pytest leaves this module."""
    contexts, pages = [], []

    def _open(path: Path) -> Watched:
        ctx = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 900})
        ctx.set_default_timeout(BOUND_MS)
        ctx.set_default_navigation_timeout(BOUND_MS)
        contexts.append(ctx)
        w = Watched(ctx, path)
        pages.append(w)
        return w

    yield _open
    for w in pages:
        w.assert_clean()
    for ctx in contexts:
        ctx.close()


def annotator(tmp_path: Path, prompt: str, first: str = "short", *, schema=None, ids=("t1", "t2")) -> Path:
    samples = [DataSample(id=tid, prompt=[Message(role="user", content=prompt if k == 0 else "second task")],
                          candidates=[Candidate(id="0", content=first if k == 0 else "a"),
                                      Candidate(id="1", content="b")])
               for k, tid in enumerate(ids)]
    out = tmp_path / "page.html"
    build_annotator(Dataset(name="worst", samples=samples), schema or TEMPLATES.get("rewardbench")(), out)
    return out


def md_text(w: Watched, selector: str) -> str:
    return w.page.eval_on_selector(selector, "e => e.textContent")


def fold_bar(w: Watched) -> str:
    return w.page.eval_on_selector("#task .prompt .fold-bar", "e => e.textContent")


# ---------------------------------------------------------------------------------------------- worst cases
def test_link_syntax_repeated_renders_folded_and_inert(tmp_path: Path, open_page) -> None:
    head = ("[click](javascript:window.__pwned='md') **[b](data:text/html,x)** [ok](https://example.org/ok) "
            "<img src=x onerror=\"window.__pwned='img'\">")
    shown = "[click](javascript:window.__pwned='md') [b](data:text/html,x) ok <img src=x onerror=\"window.__pwned='img'\">"
    w = open_page(annotator(tmp_path, LINKS, head + LINKS))
    w.start("alice")
    assert w.task_id() == "t1"
    assert md_text(w, "#task .prompt .md") == LINKS[:FOLD]
    assert fold_bar(w) == "… 296,000 more characters Show all"
    cand = "#task .cand[data-cand='0'] .md"
    assert md_text(w, cand) == shown + LINKS[:FOLD - len(head)]
    assert w.page.eval_on_selector_all("#task a[href]", "els => els.map(a => a.href)") == ["https://example.org/ok"]
    assert w.page.eval_on_selector(f"{cand} strong", "e => e.textContent") == "[b](data:text/html,x)"
    w.page.click("#task .prompt .show-all")
    assert md_text(w, "#task .prompt .md") == LINKS
    assert w.page.query_selector("#task .prompt .show-all") is None
    w.page.keyboard.press("ArrowRight")
    w.page.keyboard.press("ArrowLeft")
    assert md_text(w, "#task .prompt .md") == LINKS  # "Show all" is remembered for the task
    assert w.page.evaluate("window.__pwned") is None
    assert w.page.evaluate("document.querySelectorAll('#task img').length") == 0


def test_heading_padded_with_spaces_renders(tmp_path: Path, open_page) -> None:
    w = open_page(annotator(tmp_path, HEADING, "## title ##   "))
    w.start("alice")
    assert w.page.eval_on_selector_all("#task .prompt h2", "els => els.map(e => e.textContent)") == \
        ["a" + " " * 3900 + "b"]
    assert w.page.eval_on_selector_all("#task .cand[data-cand='0'] .md h3", "els => els.map(e => e.textContent)") == \
        ["title"]


def test_deeply_nested_quotes_render_eight_deep(tmp_path: Path, open_page) -> None:
    w = open_page(annotator(tmp_path, QUOTES))
    w.start("alice")
    p = w.page
    assert p.evaluate("document.querySelectorAll('#task .prompt blockquote').length") == 8
    assert md_text(w, "#task .prompt blockquote blockquote blockquote blockquote blockquote blockquote blockquote "
                      "blockquote > p") == ">" * (FOLD - 8)
    assert fold_bar(w) == "… 46,000 more characters Show all"
    p.click("#task .prompt .show-all")
    assert md_text(w, "#task .prompt blockquote blockquote blockquote blockquote blockquote blockquote blockquote "
                      "blockquote > p") == ">" * (50_000 - 8)


def test_long_word_is_folded_and_wraps(tmp_path: Path, open_page) -> None:
    w = open_page(annotator(tmp_path, WORD, WORD))
    w.start("alice")
    p = w.page
    assert md_text(w, "#task .prompt .md") == WORD[:FOLD]
    assert fold_bar(w) == "… 96,000 more characters Show all"
    p.click("#task .cand[data-cand='0'] .show-all")
    body = "#task .cand[data-cand='0'] .md"
    assert md_text(w, body) == WORD
    assert p.eval_on_selector(body, "e => getComputedStyle(e).overflowWrap") == "anywhere"
    # the word wraps inside its column: no horizontal overflow
    assert p.eval_on_selector(body, "e => e.scrollWidth <= e.clientWidth")


def test_span_labels_on_a_folded_text(tmp_path: Path, open_page) -> None:
    """Spans are marked in the shown part; after "Show all" the offsets still count from the text's start."""
    prompt = "word " * 2000  # 10,000 characters
    w = open_page(annotator(tmp_path, prompt, schema=all_types_schema()))
    w.start("alice")
    p = w.page
    field = "#task .spanable[data-field='prompt']"
    assert md_text(w, field) == prompt[:FOLD]
    w.select_text("prompt", 5, 9)
    p.click("#questions .q[data-q='spans'] button[data-value='error']")
    assert p.eval_on_selector_all(f"{field} mark.span", "els => els.map(e => e.textContent)") == ["word"]
    p.click("#task .prompt .show-all")
    assert md_text(w, field) == prompt
    w.select_text("prompt", 9_000, 9_004)
    p.click("#questions .q[data-q='spans'] button[data-value='nice']")
    assert p.eval_on_selector_all(f"{field} mark.span", "els => els.map(e => e.textContent)") == ["word", "word"]
    res = w.export("json", tmp_path / "r.json")
    assert res["results"][0]["values"]["spans"] == [{"field": "prompt", "start": 5, "end": 9, "label": "error"},
                                                    {"field": "prompt", "start": 9000, "end": 9004,
                                                     "label": "nice"}]


# ---------------------------------------------------------------------------------------------- CSV export
def test_csv_export_neutralises_formulas(tmp_path: Path, open_page) -> None:
    ids = ("=SUM(A1:A2)", "+1", "-2", "@cmd", "\ttab", "\rcr", "plain", "'-3")
    reasons = ("=HYPERLINK(\"http://evil.example\",\"x\")", "+A1", "-A1", "@A1", "=1", "=2", "fine", "'=quoted")
    schema = AnnotationSchema(name="csv", questions=[
        Question(name="score", type="rating", min=-2, max=2, step=1, required=False)])
    w = open_page(annotator(tmp_path, "prompt", ids=ids, schema=schema))
    p = w.page
    w.start('=cmd|" /C calc"!A0')
    for k, reason in enumerate(reasons):
        if k:
            p.keyboard.press("ArrowRight")
        else:
            p.click("#questions .q[data-q='score'] button[data-value='-2']")
        p.keyboard.press("f")
        p.fill("#reason-input", reason)
        p.keyboard.press("Enter")
        p.wait_for_function("() => document.getElementById('task-status').textContent.startsWith('flagged')")
    w.export("csv", tmp_path / "r.csv")
    text = (tmp_path / "r.csv").read_bytes().decode("utf-8")  # as written: a CR inside a cell stays a CR
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    # text already quoted before such a character gets one more quote, so that reading back can drop exactly one
    assert [r["task_id"] for r in rows] == ["'=SUM(A1:A2)", "'+1", "'-2", "'@cmd", "'\ttab", "'\rcr", "plain",
                                           "''-3"]
    assert [r["reason"] for r in rows] == ["'=HYPERLINK(\"http://evil.example\",\"x\")", "'+A1", "'-A1", "'@A1",
                                          "'=1", "'=2", "fine", "''=quoted"]
    assert {r["seed"] for r in rows} == {"0"}
    assert [r["q.score"] for r in rows] == ["-2"] + [""] * 7  # a number, not a formula: as it is
    assert {r["annotator"] for r in rows} == {"'=cmd|\" /C calc\"!A0"}
    assert {r["status"] for r in rows} == {"flagged"}
    assert list(rows[0])[:3] == ["task_id", "annotator", "file_id"]


# ---------------------------------------------------------------------------------------------- dashboard
def dashboard_dataset() -> Dataset:
    """Two people disagree on every sample; the first sample has a 300,000-character prompt, and bob once picks
    a candidate whose id is a 5,000-character word; carol's name carries a NUL."""
    long_cid = "c" * 5000
    samples = []
    for i in range(3):
        prompt = ("lorem ipsum " * 25_000) if i == 0 else f"prompt {i}"
        cands = [Candidate(id="0", content="zero"), Candidate(id=long_cid if i == 0 else "1", content="one")]
        anns = [Annotation(annotator="alice", values={"preference": "0"}),
                Annotation(annotator="carol\x00", values={"preference": "0"}),
                Annotation(annotator="bob", values={"preference": cands[1].id})]
        samples.append(DataSample(id=f"s{i}", prompt=[Message(role="user", content=prompt)], candidates=cands,
                                  annotations=anns))
    return Dataset(name="dash", samples=samples, schema=TEMPLATES.get("rewardbench")())


def test_dashboard_folds_long_texts_and_keeps_no_control_characters(tmp_path: Path, open_page) -> None:
    html = build_dashboard(dashboard_dataset(), bootstrap=0, review=False)
    assert "\x00" not in html
    path = tmp_path / "dash.html"
    path.write_text(html, encoding="utf-8")
    w = open_page(path)
    p = w.page
    assert "carol" in p.eval_on_selector_all("#annotators tbody tr td:first-child", "els => els.map(e => e.textContent)")
    row = "#dtable tr.drow[data-i='0']"
    assert p.eval_on_selector(f"{row} td", "e => e.textContent") == "s0"
    # the long candidate id in the answers cell: 1,000 characters shown, the rest hidden until asked for
    cell = f"{row} ul.answers"
    assert p.eval_on_selector(f"{cell} .fold", "e => e.firstChild.textContent") == "c" * 1000
    assert p.eval_on_selector(f"{cell} .fold-rest", "e => e.hidden")
    p.click(f"{cell} .show-all")
    assert not p.eval_on_selector(f"{cell} .fold-rest", "e => e.hidden")
    assert p.eval_on_selector(f"{cell} .fold", "e => e.textContent") == "c" * 5000
    assert p.query_selector("#dtable tr.detail") is None  # pressing "Show all" did not open the row
    # opening the row: the 300,000-character prompt shows folded
    p.click(f"{row} td >> nth=0")
    detail = "#dtable tr.detail"
    prompt = "lorem ipsum " * 25_000
    assert p.eval_on_selector(f"{detail} .fold .sample-text", "e => e.firstChild.textContent") == prompt[:FOLD]
    assert p.inner_text(f"{detail} .fold .show-all") == "Show all 300,000 characters"
    assert p.eval_on_selector(f"{detail} .sample-text", "e => getComputedStyle(e).overflowWrap") == "anywhere"
    p.click(f"{detail} .fold .show-all")
    assert p.eval_on_selector(f"{detail} .fold .sample-text", "e => e.textContent") == prompt
    assert p.query_selector(detail) is not None  # still open

"""Helpers for driving the annotator page and building the datasets the tests label."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from labelloop.data.model import Annotation, Candidate, DataSample, Dataset, Message
from labelloop.data.schema import AnnotationSchema, Option, Question, RubricLevel

WATCH_SCRIPT = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
"""


class Watched:
    """A page on the annotator file that records dialogs, errors, CSP violations and every request."""

    def __init__(self, context, path: Path, *, goto: bool = True) -> None:
        self.path = Path(path)
        self.url = self.path.resolve().as_uri()
        self.page = context.new_page()
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.add_init_script(WATCH_SCRIPT)
        self.page.on("dialog", self._dialog)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("request", lambda r: self.requests.append(r.url))
        if goto:
            self.goto()

    def _dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def goto(self) -> None:
        self.page.goto(self.url)
        self.page.wait_for_selector("html[data-loaded='1']", state="attached")

    def reload(self) -> None:
        self.page.reload()
        self.page.wait_for_selector("html[data-loaded='1']", state="attached")

    def start(self, name: str = "alice") -> None:
        p = self.page
        p.wait_for_selector("#modal-name:not([hidden]), #who:has-text('" + name + "')")
        if p.is_visible("#modal-name") is False and p.inner_text("#who") == name:  # a page made for this person
            p.wait_for_selector("#task-id")
            return
        if p.is_visible(f"#name-choices button[data-name='{name}']"):
            p.click(f"#name-choices button[data-name='{name}']")
        else:
            p.fill("#name-input", name)
            p.click("#name-ok")
        p.wait_for_selector("#task-id")

    # ---------------------------------------------------------------- reading the page
    def task_id(self) -> str:
        return self.page.inner_text("#task-id")

    def order(self) -> list[str]:
        return self.page.eval_on_selector_all("#task .cand", "els => els.map(e => e.getAttribute('data-cand'))")

    def status(self) -> str:
        return self.page.inner_text("#task-status")

    def q(self, name: str) -> str:
        return f"#questions .q[data-q='{name}']"

    def pressed(self, selector: str) -> list[str]:
        return self.page.eval_on_selector_all(f"{selector} button[aria-pressed='true']",
                                              "els => els.map(e => e.getAttribute('data-value'))")

    def goto_task(self, task_id: str) -> None:
        """Click the task in the sidebar (searching for it first, so it is on screen in the virtual list)."""
        p = self.page
        p.fill("#search", task_id)
        p.click(f"#list .row:not([hidden]) >> text={task_id}")
        p.fill("#search", "")
        p.wait_for_function("id => document.getElementById('task-id').textContent === id", arg=task_id)
        p.focus("body")
        p.evaluate("document.activeElement && document.activeElement.blur()")

    def press(self, *keys: str) -> None:
        for k in keys:
            self.page.keyboard.press(k)

    def select_text(self, field: str, start: int, end: int) -> None:
        """Select characters [start, end) (UTF-16 units) of a span field, as a mouse drag would."""
        self.page.evaluate(
            """([field, start, end]) => {
              const el = document.querySelector(`#task .spanable[data-field="${field}"]`);
              const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
              let pos = 0, node, sNode, sOff, eNode, eOff;
              while ((node = walker.nextNode())) {
                const len = node.data.length;
                if (sNode === undefined && start <= pos + len) { sNode = node; sOff = start - pos; }
                if (end <= pos + len) { eNode = node; eOff = end - pos; break; }
                pos += len;
              }
              const r = document.createRange(); r.setStart(sNode, sOff); r.setEnd(eNode, eOff);
              const sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(r);
            }""",
            [field, start, end],
        )

    def export(self, fmt: str, dest: Path) -> dict[str, Any] | str:
        p = self.page
        with p.expect_download() as info:
            p.click("#btn-export")
            p.click(f"#export-menu [data-export='{fmt}']")
        info.value.save_as(dest)
        text = dest.read_text(encoding="utf-8")
        return json.loads(text) if fmt == "json" else text

    def assert_clean(self) -> None:
        violations = [] if self.page.is_closed() else self.page.evaluate("window.__violations")
        assert self.dialogs == [], f"the page opened dialogs: {self.dialogs}"
        assert self.errors == [], f"the page logged errors: {self.errors}"
        assert violations == [], f"CSP violations: {violations}"


# -------------------------------------------------------------------- data
RUBRIC = [RubricLevel(value=v, label=lab, description=f"{lab} answer.")
          for v, lab in ((1, "Bad"), (2, "Weak"), (3, "Fair"), (4, "Good"), (5, "Great"))]


def all_types_schema() -> AnnotationSchema:
    """One question of every type, including per-candidate ones, in a known row order."""
    return AnnotationSchema(
        name="all_types",
        questions=[
            Question(name="best", type="single_choice", title="Best answer", options_from_candidates=True,
                     options=[Option(value="tie", label="Tie")]),
            Question(name="issues", type="multi_choice", title="Issues", required=False,
                     options=[Option(value="wrong"), Option(value="rude"), Option(value="long")]),
            Question(name="quality", type="rating", title="Quality of each", rubric=RUBRIC, per_candidate=True),
            Question(name="ranking", type="ranking", title="Rank them", options_from_candidates=True),
            Question(name="comment", type="text", title="Comment", required=False),
            Question(name="spans", type="span", title="Mark problems", required=False,
                     options=[Option(value="error", label="Error"), Option(value="nice", label="Nice")]),
            Question(name="safe", type="single_choice", title="Safe?", per_candidate=True, required=False,
                     options=[Option(value="yes"), Option(value="no")]),
            Question(name="overall", type="rating", title="Overall", min=0, max=10, step=0.5, required=False),
        ],
        guidelines="Be **careful**.\n\nSee [the docs](https://example.org/docs).",
    )


def sample(i: int, n_cands: int = 3, ids: list[str] | None = None, prompt: str | None = None) -> DataSample:
    ids = ids or [str(k) for k in range(n_cands)]
    return DataSample(
        id=f"t{i}",
        prompt=[Message(role="system", content="Be brief."),
                Message(role="user", content=prompt or f"Question number {i}: what is {i} + {i}?")],
        candidates=[Candidate(id=c, content=f"Answer {c} to task {i}: the sum is {2 * i + k}. 🙂 End.",
                              model=f"secret-model-{k}") for k, c in enumerate(ids)],
        metadata={"subset": "math"},
    )


def labelling_dataset() -> Dataset:
    samples = [sample(i) for i in range(1, 8)]
    samples[2] = sample(3, ids=["x", "y"])
    samples[2].annotations.append(Annotation(annotator="judge-llm", kind="prediction", score=0.875,
                                             values={"best": "y", "ranking": ["y", "x"], "quality": {"x": 2, "y": 4},
                                                     "comment": "y is right"}))
    samples[0].annotations.append(Annotation(annotator="rb", kind="reference", values={"best": "0"}))
    return Dataset(name="labeltest", samples=samples, schema=None)

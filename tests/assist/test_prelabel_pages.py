"""Pre-labels reach people: a page built from a pre-labelled dataset shows the LLM's suggestion (real Chromium),
and drafted guidelines show in its guidelines panel."""

from __future__ import annotations

from labelloop.annotate.html import build_annotator
from labelloop.assist.guidelines import draft_guidelines
from labelloop.assist.llm import get_provider
from labelloop.assist.prelabel import prelabel
from labelloop.data.model import Candidate, DataSample, Dataset, Message
from labelloop.templates import TEMPLATES


def toy(n: int) -> Dataset:
    return Dataset(name="toy", samples=[
        DataSample(id=f"p{i}", prompt=[Message(role="user", content=f"Question {i}?")],
                   candidates=[Candidate(id="0", content=f"wrong {i}"), Candidate(id="1", content=f"right {i} [GOOD]")])
        for i in range(n)])


def test_page_from_prelabelled_dataset_shows_the_suggestion(llm_server, tmp_path, request):
    schema = TEMPLATES.get("rewardbench")()
    res = prelabel(toy(3), schema, get_provider("compatible", model="m1", base_url=llm_server.openai_url))
    assert res.summary.predicted == 3
    page = tmp_path / "page.html"
    guidelines = draft_guidelines(schema, res.dataset.samples, examples=1)
    build_annotator(res.dataset, schema, page, guidelines=guidelines)
    browser = request.getfixturevalue("browser")  # the root conftest's Chromium, after asyncio.run is done
    try:
        p = browser.new_page()
        errors: list[str] = []
        p.on("pageerror", lambda e: errors.append(str(e)))
        p.goto(page.resolve().as_uri())
        p.wait_for_selector("#modal-name:not([hidden])")
        p.fill("#name-input", "alice")
        p.click("#name-ok")
        p.wait_for_selector("#task-id")
        assert p.inner_text("#task-id") == "p0"
        sug = p.inner_text("#suggestion")
        assert "from llm:compatible/m1" in sug and "score 0.9" in sug
        order = p.eval_on_selector_all("#task .cand", "els => els.map(e => e.getAttribute('data-cand'))")
        assert sorted(order) == ["0", "1"]
        assert f"Which answer is better?: Answer {'AB'[order.index('1')]}" in sug  # in screen terms
        p.keyboard.press("a")  # accept
        pressed = p.eval_on_selector_all("#questions .q[data-q='preference'] button[aria-pressed='true']",
                                         "els => els.map(e => e.getAttribute('data-value'))")
        assert pressed == ["1"]
        body = p.inner_text("#guidelines-body")
        assert "Annotation guidelines: rewardbench" in body and "Skipping and flagging" in body
        assert body.count("Read the prompt, then both answers in full.") == 1  # the schema's text, once
        assert errors == []
    finally:
        p.close()

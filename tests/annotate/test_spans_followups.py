"""Follow-up questions in the offline annotator: shown when their option is chosen, answers dropped when it is
not, required ones counted only then; spans keep working beside them; the export validates under the schema."""

from __future__ import annotations

import pytest
from annot_pages import sample

from labelloop.annotate.html import build_annotator
from labelloop.data.model import Dataset
from labelloop.data.schema import AnnotationSchema, Option, Question


def followup_schema() -> AnnotationSchema:
    return AnnotationSchema(name="followups", questions=[
        Question(name="best", type="single_choice", title="Best", options_from_candidates=True,
                 options=[Option(value="tie", label="Tie", followups=[
                     Question(name="tie_why", type="text", title="Why a tie?")])]),
        Question(name="issues", type="multi_choice", title="Issues", required=False, options=[
            Option(value="unsafe", followups=[Question(name="severity", type="single_choice", title="How bad?",
                                                       options=[Option(value="low"), Option(value="high")])]),
            Option(value="wrong")]),
        Question(name="ok", type="single_choice", title="Acceptable?", per_candidate=True, required=False,
                 options=[Option(value="yes"), Option(value="no", followups=[
                     Question(name="fix", type="text", title="What to fix", per_candidate=True, required=False)])]),
        Question(name="spans", type="span", title="Mark problems", required=False,
                 options=[Option(value="error", label="Error", followups=[
                     Question(name="kind", type="single_choice", title="Kind", required=False,
                              options=[Option(value="fact"), Option(value="math")])])]),
    ])


@pytest.fixture
def page(tmp_path, open_page):
    ds = Dataset(name="fu", samples=[sample(1, n_cands=2)])
    html = tmp_path / "fu.html"
    build_annotator(ds, followup_schema(), html, seed=3)
    w = open_page(html)
    w.start("alice")
    return ds, w


def visible_questions(w) -> list[str]:
    return w.page.eval_on_selector_all("#questions .q", "els => els.map(e => e.getAttribute('data-q'))")


def test_followups_appear_record_and_go(page, tmp_path):
    ds, w = page
    p = w.page
    o = w.order()
    assert visible_questions(w) == ["best", "issues", "ok", "spans"]
    p.click(f"{w.q('best')} button[data-value='tie']")
    assert visible_questions(w) == ["best", "tie_why", "issues", "ok", "spans"]
    assert w.status() == "draft"  # the tie's required reason is missing
    p.fill(f"{w.q('tie_why')} textarea", "same facts")
    p.click("#task-head .tid")
    p.click(f"{w.q('issues')} button[data-value='unsafe']")
    p.click(f"{w.q('severity')} button[data-value='high']")
    p.click(f"{w.q('ok')} .subrow[data-cand='{o[1]}'] button[data-value='no']")
    p.click(f"{w.q('ok')} .subrow[data-cand='{o[0]}'] button[data-value='yes']")
    # only the candidate answered "no" is asked what to fix
    assert p.eval_on_selector_all(f"{w.q('fix')} .subrow", "els => els.map(e => e.dataset.cand)") == [o[1]]
    p.fill(f"{w.q('fix')} .subrow[data-cand='{o[1]}'] textarea", "add units")
    p.click("#task-head .tid")
    w.select_text(f"candidates.{o[0]}", 0, 6)
    p.click(f"{w.q('spans')} button[data-value='error']")
    p.click(f"{w.q('spans')} li[data-span='0'] .fu[data-q='kind'] button[data-value='math']")
    record = w.export("json", tmp_path / "r1.json")["results"][0]
    assert record["values"] == {"best": "tie", "tie_why": "same facts", "issues": ["unsafe"], "severity": "high",
                                "ok": {o[1]: "no", o[0]: "yes"}, "fix": {o[1]: "add units"},
                                "spans": [{"field": f"candidates.{o[0]}", "start": 0, "end": 6, "label": "error",
                                           "values": {"kind": "math"}}]}
    assert record["status"] == "submitted"
    s = ds.samples[0]
    assert followup_schema().validate_values(s, record["values"]) == []
    # choosing another option drops the follow-up's answer and hides it
    p.click(f"{w.q('best')} button[data-value='{o[0]}']")
    p.click(f"{w.q('issues')} button[data-value='unsafe']")
    p.click(f"{w.q('ok')} .subrow[data-cand='{o[1]}'] button[data-value='yes']")
    assert visible_questions(w) == ["best", "issues", "ok", "spans"]
    record = w.export("json", tmp_path / "r2.json")["results"][0]
    assert record["values"] == {"best": o[0], "ok": {o[1]: "yes", o[0]: "yes"},
                                "spans": [{"field": f"candidates.{o[0]}", "start": 0, "end": 6, "label": "error",
                                           "values": {"kind": "math"}}]}
    assert followup_schema().validate_values(s, record["values"]) == []
    w.assert_clean()


def test_followup_values_are_validated():
    sch = followup_schema()
    s = sample(1, n_cands=2)
    assert sch.validate_values(s, {"best": "0", "tie_why": "x"}) == [
        "sample 't1', question 'tie_why': answered, but option 'tie' of 'best' was not chosen"]
    assert sch.validate_values(s, {"best": "tie"}) == [
        "sample 't1', question 'tie_why': required follow-up of option 'tie' of 'best' is missing"]
    assert sch.validate_values(s, {"best": "1", "ok": {"0": "yes"}, "fix": {"0": "no need"}}) == [
        "sample 't1', question 'fix': candidate '0': answered, but option 'no' of 'ok' was not chosen"]
    spans = [{"field": "candidates.0", "start": 0, "end": 6, "label": "error", "values": {"kind": "chem"}}]
    assert sch.validate_values(s, {"best": "1", "spans": spans}) == [
        "sample 't1', question 'spans': span 0..6, 'kind': value 'chem' is not one of ['fact', 'math']"]
    with pytest.raises(ValueError, match="follow-up 'fix' of per-candidate question 'ok' must be per_candidate"):
        Question(name="ok", type="single_choice", per_candidate=True, options=[
            Option(value="no", followups=[Question(name="fix", type="text")])])
    with pytest.raises(ValueError, match="question names repeat: best"):
        AnnotationSchema(questions=[Question(name="best", type="single_choice", options=[
            Option(value="a", followups=[Question(name="best", type="text")])])])

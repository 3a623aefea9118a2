"""Templates without a server: label configs, screen positions -> candidate ids, and back."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from labelloop.annotate.labelstudio import reference_as_prelabels
from labelloop.data.model import Annotation, Candidate, DataSample, Dataset, Message
from labelloop.data.positions import candidate_order, position_index, position_label
from labelloop.data.schema import AnnotationSchema, FieldSpec, Option, Question, RubricLevel
from labelloop.errors import InputFileError, SchemaError
from labelloop.formats import load
from labelloop.formats.labelstudio.config import (
    LS_TEMPLATES,
    SchemaTemplate,
    get_template,
    register_template,
    template_from_config,
)
from labelloop.formats.labelstudio.instructions import guidelines_html


def sample(n: int = 3, sid: str = "q1") -> DataSample:
    return DataSample(id=sid, prompt=[Message(role="system", content="Be kind."),
                                      Message(role="user", content="Which is right?")],
                      candidates=[Candidate(id=f"c{k}", content=f"text {k}") for k in range(n)])


def controls_of(config: str) -> dict[str, ET.Element]:
    root = ET.fromstring(config)
    return {el.get("name"): el for el in root.iter() if el.get("name")}


def test_positions_are_letters_both_ways():
    assert [position_label(i) for i in (0, 1, 25, 26, 27, 701, 702)] == ["A", "B", "Z", "AA", "AB", "ZZ", "AAA"]
    assert all(position_index(position_label(i)) == i for i in range(800))
    assert position_index("a") is None and position_index("A1") is None and position_index("") is None


def test_rewardbench2_config_has_n_answers_and_its_controls():
    cfg = get_template("rewardbench2").label_config(5)
    c = controls_of(cfg)
    assert [f"answer_{p}" for p in "ABCDE"] == [n for n in c if n.startswith("answer_")]
    assert [n for n in c if n.startswith("rating_")] == [f"rating_{p}" for p in "ABCDE"]
    assert c["rating_C"].tag == "Rating" and c["rating_C"].get("toName") == "answer_C"
    assert c["rating_C"].get("maxRating") == "5"
    assert c["best"].tag == "Choices" and c["best"].get("choice") == "single-radio"
    assert [ch.get("value") for ch in c["best"]] == [f"Answer {p}" for p in "ABCDE"]
    assert c["best"].get("required") == "true"
    assert c["correct"].get("choice") == "multiple" and c["correct"].get("required") is None
    assert c["ranking"].tag == "Ranker" and c["ranking"].get("toName") == "ranking_items"
    assert c["ranking_items"].tag == "List"
    assert c["comment"].tag == "TextArea"
    assert "context" not in c
    assert "context" in controls_of(get_template("rewardbench2").label_config(2, context=True))


def test_rewardbench_has_tie_and_both_bad():
    c = controls_of(get_template("rewardbench").label_config(2))
    assert [ch.get("value") for ch in c["preference"]] == ["Answer A", "Answer B", "Tie", "Both bad"]


def test_screen_positions_map_to_candidate_ids():
    tpl = get_template("rewardbench2")
    s = sample(3)
    order = ["c2", "c0", "c1"]
    data = tpl.task_data(s, order, 4, context=True)
    assert data["answer_A"] == "text 2" and data["answer_B"] == "text 0" and data["answer_C"] == "text 1"
    assert data["answer_D"] == "(no answer D: this prompt has 3)"
    assert data["context"] == "system: Be kind." and data["prompt"] == "Which is right?"
    assert [i["id"] for i in data["ranking_items"]] == ["A", "B", "C"]
    result = [
        {"from_name": "best", "type": "choices", "value": {"choices": ["Answer A"]}},
        {"from_name": "ranking", "type": "ranker", "value": {"ranker": {"ranking": ["B", "A", "C"]}}},
        {"from_name": "rating_C", "type": "rating", "value": {"rating": 4}},
        {"from_name": "rating_A", "type": "rating", "value": {"rating": 1}},
        {"from_name": "correct", "type": "choices", "value": {"choices": ["Answer C", "Answer A"]}},
        {"from_name": "comment", "type": "textarea", "value": {"text": ["line one", "line two"]}},
    ]
    assert tpl.process_annotations(result, data) == {
        "best": "c2", "ranking": ["c0", "c2", "c1"], "rating": {"c1": 4, "c2": 1}, "correct": ["c1", "c2"],
        "comment": "line one\nline two"}
    # a position this task does not have, and a control no template knows, are kept aside, not dropped
    odd = [{"from_name": "best", "type": "choices", "value": {"choices": ["Answer D"]}},
           {"from_name": "rating_D", "type": "rating", "value": {"rating": 2}},
           {"from_name": "mystery", "type": "choices", "value": {"choices": ["x"]}}]
    kept = tpl.process_annotations(odd, data)
    assert (kept, kept.unmapped) == ({}, odd)


def test_values_round_trip_through_results():
    tpl = get_template("rewardbench2")
    s = sample(4)
    order = candidate_order(s, seed=5)
    data = tpl.task_data(s, order, 4)
    values = {"best": "c3", "ranking": ["c3", "c1", "c0", "c2"], "rating": {"c0": 2, "c3": 5},
              "correct": ["c1", "c3"], "comment": "ok"}
    result = tpl.to_result(values, data)
    best = next(r for r in result if r["from_name"] == "best")
    assert best["value"] == {"choices": [f"Answer {position_label(order.index('c3'))}"]}
    assert tpl.process_annotations(result, data) == values


def test_candidate_order_is_seeded_by_sample_id_not_row():
    a, b = sample(6, "x"), sample(6, "y")
    assert candidate_order(a, 0) == candidate_order(sample(6, "x"), 0)
    assert candidate_order(a, 0) != candidate_order(a, 1) or candidate_order(a, 0) != candidate_order(b, 0)
    assert sorted(candidate_order(a, 0)) == [c.id for c in a.candidates]
    assert candidate_order(a, 0, shuffle=False) == [c.id for c in a.candidates]


def test_generic_schema_all_question_types():
    schema = AnnotationSchema(
        name="all", fields=[FieldSpec(name="prompt"), FieldSpec(name="candidates", source="candidates"),
                            FieldSpec(name="topic", source="metadata.topic", title="Topic")],
        questions=[
            Question(name="ok", type="single_choice", options=[Option(value="yes"), Option(value="no")]),
            Question(name="score", type="rating", min=0, max=1, step=0.25),
            Question(name="likert", type="rating", per_candidate=True,
                     rubric=[RubricLevel(value=-1, label="worse"), RubricLevel(value=1, label="better")]),
            Question(name="tags", type="multi_choice", per_candidate=True, required=False,
                     options=[Option(value="long"), Option(value="rude")]),
            Question(name="spans", type="span", fields=["candidates"], options=[Option(value="bad", label="Bad")]),
        ])
    tpl = get_template(schema)
    assert tpl.name == "all"
    c = controls_of(tpl.label_config(2))
    assert c["score"].tag == "Number" and (c["score"].get("min"), c["score"].get("max"), c["score"].get("step")) == (
        "0", "1", "0.25")
    assert c["likert_B"].tag == "Choices" and [x.get("value") for x in c["likert_B"]] == ["-1: worse", "1: better"]
    assert c["tags_A"].get("choice") == "multiple" and c["tags_A"].get("toName") == "answer_A"
    assert c["spans_A"].tag == "Labels" and "spans__prompt" not in c
    assert c["meta_topic"].get("value") == "$meta_topic"
    s = sample(2)
    s.metadata["topic"] = {"area": "maths"}
    data = tpl.task_data(s, ["c1", "c0"], 2)
    assert data["meta_topic"] == '{"area": "maths"}'
    values = {"ok": "no", "score": 0.75, "likert": {"c0": -1, "c1": 1}, "tags": {"c1": ["rude", "long"]},
              "spans": [{"field": "candidates.c0", "start": 0, "end": 4, "label": "bad"}]}
    result = tpl.to_result(values, data)
    spans = [r for r in result if r["type"] == "labels"]
    assert spans == [{"id": "spans-0", "from_name": "spans_B", "to_name": "answer_B", "type": "labels",
                      "value": {"start": 0, "end": 4, "text": "text", "labels": ["Bad"]}}]
    assert tpl.process_annotations(result, data) == values


def test_config_describes_itself():
    schema = AnnotationSchema(name="tricky--name", guidelines="Use -- dashes -->",
                              questions=[Question(name="q", type="text")])
    cfg = get_template(schema).label_config(2)
    ET.fromstring(cfg)  # the schema comment never breaks the XML
    back = template_from_config(cfg)
    assert back is not None and back.schema == schema and back.name == "tricky--name"
    assert type(template_from_config(get_template("rewardbench").label_config(2))).__name__ == "RewardBenchTemplate"
    assert template_from_config("<View><Text name='t' value='$t'/></View>") is None


def test_custom_template_registers_and_clashing_names_fail():
    @register_template("test-custom-yesno")
    class YesNo(SchemaTemplate):
        def default_schema(self):
            return AnnotationSchema(name="yesno", questions=[
                Question(name="fine", type="single_choice", options=[Option(value="y", label="Yes"),
                                                                     Option(value="n", label="No")])])

    assert "test-custom-yesno" in LS_TEMPLATES
    tpl = get_template("test-custom-yesno")
    assert isinstance(tpl, YesNo) and tpl.name == "test-custom-yesno"
    data = tpl.task_data(sample(2), ["c0", "c1"], 2)
    assert tpl.process_annotations([{"from_name": "fine", "value": {"choices": ["No"]}}], data) == {"fine": "n"}
    clash = AnnotationSchema(questions=[Question(name="r", type="rating", min=1, max=5, per_candidate=True),
                                        Question(name="r_A", type="text")])
    with pytest.raises(SchemaError, match="clashing names: r_A"):
        get_template(clash).label_config(2)
    with pytest.raises(InputFileError, match="'no-such-template-anywhere' is neither a file nor a template"):
        get_template("no-such-template-anywhere")


def test_guidelines_are_escaped_html():
    assert guidelines_html("Pick **one** <b>\n\nTie is rare") == "<p>Pick <strong>one</strong> &lt;b&gt;</p><p>Tie is rare</p>"


def test_reference_as_prelabels_on_the_example():
    ds = load("examples/rewardbench2_example.jsonl")
    pre = reference_as_prelabels(ds)
    for before, after in zip(ds.samples, pre.samples):
        [ref] = [a for a in after.annotations if a.kind == "reference"]
        [pred] = [a for a in after.annotations if a.kind == "prediction"]
        assert pred.values == ref.values and pred.model_version == "reference-as-prelabel"
        assert len(before.annotations) == 1  # the input is untouched
    assert isinstance(pre, Dataset) and isinstance(pre.samples[0].annotations[0], Annotation)


# ---------------------------------------------------------------------- the labeling screen (issue 16)
HOSTILE = ('Hi <img src=x onerror="window.pwn=1"> <script>window.pwn=2</script> [run](javascript:window.pwn=3) '
           "[docs](https://example.com/a?b=1&c=2)\n\n```\n<b>raw</b>\n```\n\n**bold**\n\n| a | b |\n|---|---|\n| 1 | 2 |")


def test_single_turn_tasks_show_no_conversation_block():
    tpl = get_template("rewardbench2")
    cfg = tpl.label_config(2, context=True)
    assert '<Header value="$context_title" size="5"/>' in cfg
    assert '<HyperText name="context" value="$html_context" inline="true"/>' in cfg
    one = DataSample(id="one", prompt=[Message(role="user", content="Only turn")],
                     candidates=[Candidate(id="a", content="x"), Candidate(id="b", content="y")])
    data = tpl.task_data(one, ["a", "b"], 2, context=True)
    assert (data["context"], data["context_title"], data["html_context"]) == ("", "", "")
    data = tpl.task_data(sample(2), ["c0", "c1"], 2, context=True)
    assert (data["context"], data["context_title"]) == ("system: Be kind.", "Conversation so far")
    assert data["html_context"] == ('<div style="margin: 0 0 0.6em"><strong>system</strong>'
                                    '<p style="margin: 0 0 0.6em">Be kind.</p></div>')
    assert "context" not in tpl.task_data(one, ["a", "b"], 2) and "$context" not in tpl.label_config(2)


def test_markdown_is_rendered_inert_beside_the_plain_text():
    tpl = get_template("rewardbench")
    s = DataSample(id="m", prompt=[Message(role="user", content=HOSTILE)],
                   candidates=[Candidate(id="a", content="**A**"), Candidate(id="b", content="line 1\nline 2")])
    data = tpl.task_data(s, ["a", "b"], 2)
    assert data["prompt"] == HOSTILE and data["answer_A"] == "**A**"  # the plain text, for pulls and the backend
    p = '<p style="margin: 0 0 0.6em">'
    assert data["html_prompt"] == (
        f'{p}Hi &lt;img src=x onerror="window.pwn=1"&gt; &lt;script&gt;window.pwn=2&lt;/script&gt; '
        '[run](javascript:window.pwn=3) <a rel="noopener noreferrer nofollow" target="_blank" '
        'href="https://example.com/a?b=1&amp;c=2">docs</a></p>'
        '<pre style="background: #f4f4f4; padding: 6px 8px; border-radius: 4px; overflow-x: auto; white-space: '
        'pre-wrap; margin: 0 0 0.6em"><code style="font-family: monospace">&lt;b&gt;raw&lt;/b&gt;</code></pre>'
        f"{p}<strong>bold</strong></p>"
        '<table style="border-collapse: collapse; margin: 0 0 0.6em"><thead><tr>'
        '<th style="border: 1px solid #ccc; padding: 2px 8px">a</th>'
        '<th style="border: 1px solid #ccc; padding: 2px 8px">b</th></tr></thead><tbody><tr>'
        '<td style="border: 1px solid #ccc; padding: 2px 8px">1</td>'
        '<td style="border: 1px solid #ccc; padding: 2px 8px">2</td></tr></tbody></table>')
    assert data["html_answer_A"] == f"{p}<strong>A</strong></p>"
    assert data["html_answer_B"] == f"{p}line 1<br>line 2</p>"  # an answer's single line breaks are kept
    c = controls_of(tpl.label_config(2))
    assert [(c[k].tag, c[k].get("value"), c[k].get("inline")) for k in ("prompt", "answer_A", "answer_B")] == [
        ("HyperText", "$html_prompt", "true"), ("HyperText", "$html_answer_A", "true"),
        ("HyperText", "$html_answer_B", "true")]
    # results still bind to the objects by name: a prediction made from values reads back
    values = {"preference": "b", "rating": {"a": 4}}
    assert tpl.process_annotations(tpl.to_result(values, data), data) == values


def test_span_questions_and_plain_fields_keep_text():
    spans = AnnotationSchema(name="sp", questions=[
        Question(name="spans", type="span", fields=["candidates"], options=[Option(value="bad", label="Bad")])])
    tpl = get_template(spans)
    c = controls_of(tpl.label_config(2))
    assert (c["prompt"].tag, c["answer_A"].tag, c["answer_A"].get("value")) == ("HyperText", "Text", "$answer_A")
    data = tpl.task_data(sample(2), ["c0", "c1"], 2)
    assert "html_prompt" in data and "html_answer_A" not in data
    plain = AnnotationSchema(name="plain", fields=[FieldSpec(name="prompt", markdown=False),
                                                   FieldSpec(name="candidates", source="candidates")],
                             questions=[Question(name="ok", type="single_choice", options=[Option(value="y")])])
    c = controls_of(get_template(plain).label_config(2))
    assert (c["prompt"].tag, c["answer_B"].tag) == ("Text", "HyperText")


def test_field_titles_come_from_the_schema_as_on_the_offline_page():
    from labelloop.formats.datalabel.schema import schema_from_datalabel

    schema = schema_from_datalabel({
        "project_name": "dl", "annotation_config": {"type": "single_choice", "options": ["a", "b"]},
        "fields": [{"name": "instruction", "display_name": "Instruction"},
                   {"name": "response", "display_name": "Response"},
                   {"name": "topic", "display_name": "Topic area"}]})
    root = ET.fromstring(get_template(schema).label_config(2))
    assert [h.get("value") for h in root.iter("Header")][:5] == [
        "Instruction", "Topic area", "Response A", "Response B", "Choice"]
    # without titles: the offline page's own words
    root = ET.fromstring(get_template("rewardbench").label_config(2))
    assert [h.get("value") for h in root.iter("Header")][:3] == ["Prompt", "Answer A", "Rate each answer"]

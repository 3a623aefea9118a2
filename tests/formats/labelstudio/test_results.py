"""One result parser for every config: labelloop's templates (strict), another project's config read from its XML,
and an export with no config at all (questions inferred from the results)."""

from __future__ import annotations

import pytest

from labelloop.errors import SchemaError
from labelloop.formats.labelstudio.config import get_template, read_label_config
from labelloop.formats.labelstudio.results import InferredMapping, js_to_py, py_to_js

FOREIGN = """<View>
  <Text name="review" value="$text"/>
  <Choices name="sentiment" toName="review" choice="single"><Choice value="pos"/><Choice value="neg"/></Choices>
  <Choices name="topics" toName="review" choice="multiple"><Choice value="a"/><Choice value="b"/></Choices>
  <TextArea name="note" toName="review"/>
</View>"""


def test_another_projects_config_keeps_single_choices_as_picked_and_lists_the_rest():
    cfg = read_label_config(FOREIGN)
    assert cfg.template is None
    assert cfg.controls == {"sentiment": ("choices", "review"), "topics": ("choices", "review"),
                            "note": ("textarea", "review")}
    assert [(q.name, [o.value for o in q.options]) for q in cfg.schema.questions] == [("sentiment", ["pos", "neg"])]
    result = [{"from_name": "sentiment", "to_name": "review", "type": "choices", "value": {"choices": ["mixed"]}},
              {"from_name": "topics", "to_name": "review", "type": "choices", "value": {"choices": ["a", "b"]}},
              {"from_name": "sentiment", "to_name": "review", "type": "choices", "value": {"choices": [3]}}]
    values = cfg.values(result, {"text": "fine"})
    assert (values, values.unmapped) == ({"sentiment": "mixed"}, result[1:])


@pytest.mark.parametrize(("xml", "message"), [
    ("", "label config is empty"),
    ("<View><Text", "label config is not valid XML (unclosed token: line 1, column 6)"),
    ("<View><Text name='t' value='$t'/></View>", "label config has no control tags (Choices, Rating, …) to predict"),
])
def test_a_config_that_cannot_be_read_says_why(xml, message):
    with pytest.raises(SchemaError) as err:
        read_label_config(xml)
    assert str(err.value) == message


def test_our_own_config_read_back_is_strict_and_maps_the_27th_position_to_AA():
    tpl = get_template("rewardbench2")
    xml = tpl.label_config(27)
    assert '<HyperText name="answer_AA" value="$html_answer_AA" inline="true"/>' in xml and "answer_A26" not in xml
    cfg = read_label_config(xml)
    assert cfg.template is not None and cfg.controls["rating_AA"] == ("rating", "answer_AA")
    order = [f"c{i}" for i in range(27)]
    data = {"labelloop_order": order, **{f"answer_{k}": "x" for k in ("A", "Z", "AA")}}
    result = [{"from_name": "rating_AA", "to_name": "answer_AA", "type": "rating", "value": {"rating": 4.0}},
              {"from_name": "best", "to_name": "prompt", "type": "choices", "value": {"choices": ["Answer AA"]}},
              {"from_name": "best", "to_name": "prompt", "type": "choices", "value": {"choices": ["Answer AB"]}},
              {"from_name": "ranking", "to_name": "ranking_items", "type": "ranker",
               "value": {"ranker": {"ranking": ["AA", "A", "Z"]}}}]
    values = cfg.values(result, data)
    assert values == {"rating": {"c26": 4}, "best": "c26", "ranking": ["c26", "c0", "c25"]}
    assert values.unmapped == [result[2]]


def test_an_export_without_config_infers_its_questions_and_reads_them_open():
    inferred = InferredMapping()
    result = [
        {"from_name": "ok_A", "to_name": "answer_A", "type": "choices", "value": {"choices": ["Good"]}},
        {"from_name": "ok_B", "to_name": "answer_B", "type": "choices", "value": {"choices": ["Bad"]}},
        {"from_name": "order", "to_name": "items", "type": "ranker", "value": {"ranker": {"x": ["B", "Answer A"]}}},
        {"from_name": "side", "to_name": "pair", "type": "pairwise", "value": {"selected": "right"}},
        {"from_name": "score", "to_name": "prompt", "type": "number", "value": {"number": 2.5}},
        {"from_name": "err__prompt", "to_name": "prompt", "type": "labels",
         "value": {"start": 2, "end": 4, "labels": ["typo"]}},
        {"from_name": "ok_C", "to_name": "answer_C", "type": "choices", "value": {"choices": ["Good"]}},
        {"from_name": "what", "to_name": "prompt", "type": "taxonomy", "value": {"taxonomy": [["a"]]}},
    ]
    for item in result:
        inferred.observe(item)
    schema = inferred.schema()
    assert [(q.name, q.type, q.per_candidate) for q in schema.questions] == [
        ("ok", "single_choice", True), ("order", "ranking", False), ("side", "single_choice", False),
        ("score", "rating", False), ("err", "span", False)]
    data = {"prompt": "\U0001F600 abc", "answer_A": "a", "answer_B": "b"}
    values = inferred.values(result, data, ["x", "y"], {"prompt": "prompt"})
    assert values == {"ok": {"x": "Good", "y": "Bad"}, "order": ["y", "x"], "side": "y", "score": 2.5,
                      "err": [{"field": "prompt", "start": 1, "end": 3, "label": "typo"}]}
    assert values.unmapped == result[6:]


def test_offsets_count_utf16_code_units_as_label_studio_does():
    text = "\U0001F600ab"  # one character, two UTF-16 code units
    assert [js_to_py(text, i) for i in range(5)] == [0, 1, 1, 2, 3]
    assert [py_to_js(text, i) for i in range(4)] == [0, 2, 3, 4]

from __future__ import annotations

import pytest

from labelloop import TEMPLATES, AnnotationSchema, Candidate, DataSample, Option, Question, RubricLevel
from labelloop.errors import AnnotationValueError


def _sample():
    return DataSample(id="s1", candidates=[Candidate(id="0", content="hello world"), Candidate(id="1", content="b")],
                      prompt=[{"role": "user", "content": "say hi"}])


def test_rewardbench_template_accepts_good_values():
    schema = TEMPLATES.get("rewardbench")()
    vals = {"preference": "1", "rating": {"0": 2, "1": 5}, "comment": "ok"}
    assert schema.validate_values(_sample(), vals) == []
    assert schema.validate_values(_sample(), {"preference": "tie"}) == []


def test_errors_name_sample_question_and_value():
    schema = TEMPLATES.get("rewardbench")()
    problems = schema.validate_values(_sample(), {"preference": "2", "rating": {"0": 7}, "extra": 1})
    assert problems == [
        "sample 's1': unknown question 'extra' (value 1)",
        "sample 's1', question 'preference': value '2' is not one of ['0', '1', 'tie', 'both_bad']",
        "sample 's1', question 'rating': candidate '0': rating 7 is not one of the rubric values [1, 2, 3, 4, 5]",
    ]
    with pytest.raises(AnnotationValueError, match=r"sample 's1': unknown question 'extra' \(value 1\) \(and 2 more\)"):
        schema.raise_for_values(_sample(), {"preference": "2", "rating": {"0": 7}, "extra": 1})


def test_required_missing_and_partial():
    schema = TEMPLATES.get("rewardbench")()
    assert schema.validate_values(_sample(), {}) == ["sample 's1', question 'preference': required answer is missing"]
    assert schema.validate_values(_sample(), {}, partial=True) == []


def test_rating_range_step_ranking_multi_text_span():
    schema = AnnotationSchema(questions=[
        Question(name="r", type="rating", min=0, max=1, step=0.25),
        Question(name="rk", type="ranking", options_from_candidates=True),
        Question(name="m", type="multi_choice", options=[Option(value="a"), Option(value="b")]),
        Question(name="t", type="text"),
        Question(name="sp", type="span", options=[Option(value="err")], required=False),
    ])
    s = _sample()
    assert schema.validate_values(s, {"r": 0.75, "rk": ["1", "0"], "m": ["a"], "t": "",
                                      "sp": [{"field": "candidates.0", "start": 0, "end": 5, "label": "err"}]}) == []
    bad = schema.validate_values(s, {"r": 0.3, "rk": ["0", "0"], "m": "a", "t": 3,
                                     "sp": [{"field": "candidates.0", "start": 3, "end": 99, "label": "err"}]})
    assert bad == [
        "sample 's1', question 'r': rating 0.3 is not on the step 0.25 from 0",
        "sample 's1', question 'rk': ranking ['0', '0'] repeats an item",
        "sample 's1', question 'm': value 'a' is not a list",
        "sample 's1', question 't': value 3 is not text",
        "sample 's1', question 'sp': span 3..99 is outside field 'candidates.0' (length 11)",
    ]
    # True is not a rating even though bool is an int subclass
    assert schema.validate_values(s, {"r": True}, partial=True) == ["sample 's1', question 'r': rating True is not a number"]


def test_schema_definition_errors():
    with pytest.raises(ValueError, match="choice question with no options"):
        Question(name="q", type="single_choice")
    with pytest.raises(ValueError, match="needs min and max or a rubric"):
        Question(name="q", type="rating")
    with pytest.raises(ValueError, match="question names repeat: q"):
        AnnotationSchema(questions=[Question(name="q", type="text"), Question(name="q", type="text")])
    assert Question(name="q", type="rating", rubric=[RubricLevel(value=1)]).measurement_level == "ordinal"

"""The judge's prompt names answers by the position labels every other screen uses (A … Z, AA, …)."""

from __future__ import annotations

from labelloop.assist.prompt import View, build_user_message, describe_question, parse_answer
from labelloop.data.model import Candidate, DataSample, Message
from labelloop.data.positions import candidate_order
from labelloop.data.schema import AnnotationSchema, Question

BEST = Question(name="best", type="single_choice", options_from_candidates=True)


def _many(n: int = 28) -> DataSample:
    return DataSample(id="many", prompt=[Message(role="user", content="Which?")],
                      candidates=[Candidate(id=f"c{k}", content=f"answer {k}") for k in range(n)])


def test_the_27th_answer_is_AA_as_in_label_studio_and_datalabel():
    s = _many()
    view = View([c.id for c in s.candidates])
    assert [view.label_of[f"c{k}"] for k in (0, 25, 26, 27)] == ["A", "Z", "AA", "AB"]  # was A26, A27
    assert view.id_of["AA"] == "c26"
    user = build_user_message(AnnotationSchema(name="b", questions=[BEST]), s, view)
    assert '<answer label="AA">\nanswer 26\n</answer>' in user and "A26" not in user
    assert describe_question(BEST, list(view.id_of)[24:]).endswith('exactly one of: "Y", "Z", "AA", "AB".')
    parsed = parse_answer('{"values": {"best": "AB"}, "confidence": 0.9, "rationale": "r"}',
                          AnnotationSchema(name="b", questions=[BEST]), s, view)
    assert (parsed.values, parsed.problems) == ({"best": "c27"}, [])


def test_the_prompt_shows_the_seeded_screen_order():
    s = _many(4)
    view = View(candidate_order(s, 0))
    assert view.order == ["c2", "c1", "c0", "c3"]
    assert view.label_of == {"c2": "A", "c1": "B", "c0": "C", "c3": "D"}

"""Named, ready schemas. ``TEMPLATES.get(name)()`` returns a fresh ``AnnotationSchema``."""

from __future__ import annotations

from collections.abc import Callable

from labelloop.data.schema import AnnotationSchema, Option, Question, RubricLevel
from labelloop.registry import Registry

TEMPLATES: Registry[Callable[[], AnnotationSchema]] = Registry("template")

QUALITY_RUBRIC = [
    RubricLevel(value=1, label="Very poor", description="Wrong, harmful or off-topic."),
    RubricLevel(value=2, label="Poor", description="Major errors or omissions."),
    RubricLevel(value=3, label="Acceptable", description="Mostly right; noticeable flaws."),
    RubricLevel(value=4, label="Good", description="Right and helpful; minor flaws."),
    RubricLevel(value=5, label="Excellent", description="Right, complete, clear."),
]

PAIRWISE_GUIDELINES = """\
Read the prompt, then both answers in full. Pick the answer that better satisfies the request:
correct first, then helpful, then clear. Choose **Tie** only when they are equally good and
**Both bad** when neither is acceptable. The answers are shown in random order.
"""

BEST_OF_N_GUIDELINES = """\
Read the prompt and every answer. Pick the best answer, then rank all answers from best to
worst, and rate each on the 1–5 scale. Answers are shown in random order.
"""


def _rating(name: str = "rating", title: str = "Rate each answer") -> Question:
    return Question(name=name, type="rating", title=title, rubric=QUALITY_RUBRIC, per_candidate=True,
                    required=False)


def _comment() -> Question:
    return Question(name="comment", type="text", title="Comment", required=False)


@TEMPLATES.register("rewardbench")
def rewardbench() -> AnnotationSchema:
    """Which of two answers is better (A, B, tie, both bad), a 1–5 rating of each, a comment."""
    return AnnotationSchema(
        name="rewardbench",
        questions=[
            Question(
                name="preference", type="single_choice", title="Which answer is better?",
                options_from_candidates=True,
                options=[Option(value="tie", label="Tie"), Option(value="both_bad", label="Both bad")],
            ),
            _rating(),
            _comment(),
        ],
        guidelines=PAIRWISE_GUIDELINES,
    )


@TEMPLATES.register("rewardbench2")
def rewardbench2() -> AnnotationSchema:
    """Best of N answers, a full ranking (equally good answers may share a tier), a rating of each and a comment;
    N comes from the data."""
    return AnnotationSchema(
        name="rewardbench2",
        questions=[
            Question(name="best", type="single_choice", title="Which answer is best?", options_from_candidates=True),
            Question(name="ranking", type="ranking", title="Rank all answers, best first",
                     options_from_candidates=True, ties=True),
            _rating(),
            Question(name="correct", type="multi_choice", title="Which answers are correct?",
                     options_from_candidates=True, required=False),
            _comment(),
        ],
        guidelines=BEST_OF_N_GUIDELINES,
    )


@TEMPLATES.register("single_choice")
def single_choice() -> AnnotationSchema:
    return AnnotationSchema(name="single_choice", questions=[
        Question(name="label", type="single_choice", title="Is the answer acceptable?",
                 options=[Option(value="good", label="Good"), Option(value="bad", label="Bad")])])


@TEMPLATES.register("multi_choice")
def multi_choice() -> AnnotationSchema:
    return AnnotationSchema(name="multi_choice", questions=[
        Question(name="issues", type="multi_choice", title="Which problems does the answer have?", required=False,
                 options=[Option(value=v, label=v.replace("_", " ").capitalize())
                          for v in ("incorrect", "unhelpful", "unsafe", "off_topic", "badly_written")])])


@TEMPLATES.register("rating")
def rating() -> AnnotationSchema:
    return AnnotationSchema(name="rating", questions=[_rating("quality", "Rate each answer").model_copy(
        update={"required": True})])


@TEMPLATES.register("ranking")
def ranking() -> AnnotationSchema:
    return AnnotationSchema(name="ranking", questions=[
        Question(name="ranking", type="ranking", title="Rank the answers, best first", options_from_candidates=True)])


@TEMPLATES.register("text")
def text() -> AnnotationSchema:
    return AnnotationSchema(name="text", questions=[
        Question(name="answer", type="text", title="Write a better answer or a critique")])


@TEMPLATES.register("span")
def span() -> AnnotationSchema:
    return AnnotationSchema(name="span", questions=[
        Question(name="spans", type="span", title="Mark problems in the answers", required=False,
                 options=[Option(value="error", label="Factual error"),
                          Option(value="hallucination", label="Hallucination"),
                          Option(value="unsafe", label="Unsafe")])])

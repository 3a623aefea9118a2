"""The datasets the dashboard tests write: ten pairwise samples, three annotators over four days (times,
screen orders, a skip and a flag), a model's scored pre-labels and reference labels; optionally hostile."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from labelloop.data.model import Annotation, Candidate, DataSample, Dataset, Message
from labelloop.data.schema import AnnotationSchema, Option, Question, RubricLevel

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=timezone.utc)
PEOPLE = ("alice", "bob", "carol")
# sample -> person -> (choice, rating of candidate "0", rating of "1"); "SKIP" / "FLAG" are statuses
ANSWERS = {
    "s01": {"alice": ("0", 5, 2), "bob": ("0", 4, 2), "carol": ("0", 5, 1)},
    "s02": {"alice": ("1", 2, 4), "bob": ("1", 2, 5), "carol": ("1", 3, 4)},
    "s03": {"alice": ("0", 4, 3), "bob": ("1", 3, 4), "carol": ("0", 4, 2)},
    "s04": {"alice": ("tie", 3, 3), "bob": ("0", 4, 3), "carol": ("1", 3, 4)},
    "s05": {"alice": ("1", 1, 5), "bob": ("1", 2, 5), "carol": "SKIP"},
    "s06": {"alice": ("0", 5, 3), "bob": ("0", 5, 2), "carol": ("0", 4, 2)},
    "s07": {"alice": ("1", 2, 4), "bob": ("0", 4, 2), "carol": ("1", 2, 5)},
    "s08": {"alice": ("0", 4, 1), "bob": "FLAG", "carol": ("0", 5, 1)},
    "s09": {"alice": ("both_bad", 1, 1), "bob": ("both_bad", 1, 2), "carol": ("1", 2, 3)},
    "s10": {"alice": ("1", 3, 5), "bob": ("1", 2, 4)},
}
REFERENCE = {"s01": "0", "s02": "1", "s03": "0", "s04": "0", "s05": "1", "s06": "0", "s07": "1", "s08": "0",
             "s09": "both_bad", "s10": "1"}
MODEL = {"s01": ("0", 0.95), "s02": ("1", 0.9), "s03": ("1", 0.55), "s04": ("0", 0.6), "s05": ("1", 0.85),
         "s06": ("0", 0.92), "s07": ("0", 0.45), "s08": ("0", 0.88), "s09": ("0", 0.3), "s10": ("1", 0.7)}
# the order each person saw: candidate "1" first on odd samples for alice, always "0" first for bob, mixed for carol
LEAD = {"alice": 30.0, "bob": 50.0, "carol": 20.0}


def schema(hostile: bool = False) -> AnnotationSchema:
    tie = Option(value="tie", label="<img src=x onerror=\"window.__pwned='label'\">" if hostile else "Tie")
    rubric = [RubricLevel(value=v, label=f"level {v}") for v in range(1, 6)]
    return AnnotationSchema(name="pairwise", questions=[
        Question(name="preference", type="single_choice", options_from_candidates=True,
                 options=[tie, Option(value="both_bad", label="Both bad")]),
        Question(name="rating", type="rating", per_candidate=True, rubric=rubric, required=False),
        Question(name="comment", type="text", required=False),
    ])


def project_dataset(hostile: bool = False) -> Dataset:
    """Ten pairwise samples labelled by three people over four days, with a model's scored pre-labels."""
    evil = "</script><script>window.__pwned='script'</script><img src=x onerror=\"window.__pwned='img'\">"
    names = {p: (p if not hostile or p != "carol" else "carol<img src=x onerror=\"window.__pwned='name'\">")
             for p in PEOPLE}
    samples = []
    for n, (sid, by_person) in enumerate(ANSWERS.items()):
        anns = []
        for k, (person, answer) in enumerate(by_person.items()):
            when = T0 + timedelta(days=n // 3, minutes=10 * k + n)
            if person == "alice":
                order = ["1", "0"] if n % 2 else ["0", "1"]
            elif person == "bob":
                order = ["0", "1"]
            else:
                order = ["1", "0"] if n % 3 == 0 else ["0", "1"]
            meta = {"order": order, "results_file": "results.json"}
            if answer in ("SKIP", "FLAG"):
                anns.append(Annotation(annotator=names[person], status="skipped" if answer == "SKIP" else "flagged",
                                       created_at=when, updated_at=when, lead_time_s=5.0, metadata=meta))
                continue
            choice, r0, r1 = answer
            values = {"preference": choice, "rating": {"0": r0, "1": r1}}
            if hostile and person == "alice":
                values["comment"] = evil
            anns.append(Annotation(annotator=names[person], values=values, created_at=when, updated_at=when,
                                   lead_time_s=LEAD[person] + n, metadata=meta))
        choice, score = MODEL[sid]
        anns.append(Annotation(annotator="judge-v1", kind="prediction", values={"preference": choice}, score=score,
                               metadata={"shown_order": ["0", "1"]}))
        anns.append(Annotation(annotator="gold", kind="reference", values={"preference": REFERENCE[sid]}))
        prompt = f"Question {sid}?" + (" " + evil if hostile else "")
        samples.append(DataSample(id=sid, prompt=[Message(role="user", content=prompt)], candidates=[
            Candidate(id="0", content=f"Answer A to {sid}" + (evil if hostile else ""), model="m-a"),
            Candidate(id="1", content=f"Answer B to {sid}", model="m-b")], annotations=anns))
    return Dataset(name="pairs<b>bold</b>" if hostile else "pairs", samples=samples, schema=schema(hostile))

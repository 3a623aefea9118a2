"""Can an LLM judge stand in for people: kappas against the merged label, each person and between people (checked
with scikit-learn's cohen_kappa_score), the verdict per subset, calibration and position bias."""

from __future__ import annotations

import random
from itertools import combinations

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from labelloop.data.model import Annotation, Candidate, DataSample, Dataset
from labelloop.ops.decisions import evaluate
from labelloop.quality.judges import judge_agreement
from labelloop.templates import TEMPLATES

PAIR = TEMPLATES.get("rewardbench")()
PEOPLE = (("alice", 0.1), ("bob", 0.15), ("carol", 0.2))


def flip(v: str) -> str:
    return "1" if v == "0" else "0"


def dataset() -> Dataset:
    """40 pairs in two subsets; three people who err 10–20% of the time; judge-good errs 8%; judge-first picks
    what it was shown first 70% of the time on safety."""
    rng = random.Random(3)
    samples = []
    for k in range(40):
        subset = "chat" if k < 20 else "safety"
        truth = rng.choice("01")
        anns = [Annotation(annotator=who, values={"preference": truth if rng.random() > err else flip(truth)})
                for who, err in PEOPLE]
        good = truth if rng.random() > 0.08 else flip(truth)
        order = ["0", "1"] if rng.random() < 0.5 else ["1", "0"]
        first = order[0] if subset == "safety" and rng.random() < 0.7 else good
        anns += [Annotation(annotator="judge-good", kind="prediction", values={"preference": good}, score=0.9,
                            metadata={"shown_order": order}),
                 Annotation(annotator="judge-first", kind="prediction", values={"preference": first}, score=0.8,
                            metadata={"shown_order": order})]
        samples.append(DataSample(id=f"s{k}", candidates=[Candidate(id="0", content="a"),
                                                          Candidate(id="1", content="b")],
                                  annotations=anns, metadata={"subset": subset}))
    return Dataset(name="judges", samples=samples, schema=PAIR)


def values(ds: Dataset, who: str, subset: str | None) -> list[str]:
    return [next(a.values["preference"] for a in s.annotations if a.annotator == who) for s in ds.samples
            if subset is None or s.metadata["subset"] == subset]


def majority(ds: Dataset, subset: str | None) -> list[str]:
    out = []
    for s in ds.samples:
        if subset is None or s.metadata["subset"] == subset:
            votes = [a.values["preference"] for a in s.annotations if a.kind == "human"]
            out.append(max(set(votes), key=votes.count))
    return out


@pytest.mark.parametrize("subset", ["chat", "safety", None])
def test_kappas_match_scikit_learn(subset: str | None) -> None:
    ds = dataset()
    report = judge_agreement(ds)
    assert report["question"] == "preference" and report["people"] == ["alice", "bob", "carol"]
    people = {who: values(ds, who, subset) for who, _ in PEOPLE}
    pairs = [cohen_kappa_score(people[a], people[b]) for a, b in combinations(sorted(people), 2)]
    for j in report["judges"]:
        row = next(r for r in j["subsets"] if r["subset"] == (subset or "all"))
        jv = values(ds, j["judge"], subset)
        assert row["items"] == len(jv)
        assert row["kappa_merged"]["value"] == pytest.approx(cohen_kappa_score(jv, majority(ds, subset)), abs=1e-12)
        assert [k["value"] for k in row["kappa_people"]] == pytest.approx(
            [cohen_kappa_score(jv, people[p]) for p in sorted(people)], abs=1e-12)
        assert row["people_kappa_mean"] == pytest.approx(np.mean(pairs), abs=1e-12)
        assert row["accuracy_merged"] == pytest.approx(np.mean(np.array(jv) == np.array(majority(ds, subset))))


def test_verdicts_calibration_and_position() -> None:
    report = judge_agreement(dataset())
    verdicts = {j["judge"]: [(r["subset"], r["verdict"]) for r in j["subsets"]] for j in report["judges"]}
    # judge-first passes over all items but not on safety, where it picks the first answer shown
    assert verdicts == {"judge-first": [("chat", "can stand in"), ("safety", "not yet"), ("all", "can stand in")],
                        "judge-good": [("chat", "can stand in"), ("safety", "can stand in"), ("all", "can stand in")]}
    first = next(j for j in report["judges"] if j["judge"] == "judge-first")
    safety = first["subsets"][1]
    assert (round(safety["kappa_people_mean"], 4), round(safety["people_kappa_mean"], 4)) == (0.1257, 0.2722)
    assert safety["why"] == ("the judge agrees with people less (mean kappa 0.13) than people agree with each other "
                             "(0.27)")
    assert first["position"][0]["counts"] == {"A": 28, "B": 12}
    assert first["position"][0]["p_adjusted"] == pytest.approx(0.016589, abs=1e-6)
    assert first["calibration"]["mean_score"] == pytest.approx(0.8) and first["calibration"]["items"] == 40
    few = judge_agreement(dataset(), min_items=21)
    assert [r["verdict"] for r in few["judges"][0]["subsets"]] == ["not enough data", "not enough data",
                                                                  "can stand in"]


def test_evaluate_reports_judges_and_people() -> None:
    r = evaluate(dataset(), rounds=0)
    assert [e["scorer"] for e in r.data["scorers"]] == ["judge-first", "judge-good"]
    assert r.data["people"]["judges"][1]["subsets"][1]["verdict"] == "can stand in"
    assert "## Can the judge stand in for people?" in r.text
    assert "| safety | 20 | 0.30 | 0.13 | 0.27 | 65.0% | not yet |" in r.text


def test_dashboard_section(tmp_path) -> None:
    """The dashboard shows the same verdicts on the page and in the Markdown."""
    from labelloop.formats import save
    from labelloop.ops.report import dashboard

    save(dataset(), tmp_path / "j.jsonl")
    md = dashboard([tmp_path / "j.jsonl"], None, "md", bootstrap=0).text
    assert "## Can the judge stand in for people?" in md
    assert "| safety | 20 | 0.30 | 0.13 | 0.27 | 65.0% | not yet |" in md
    page = dashboard([tmp_path / "j.jsonl"], tmp_path / "d.html", "html", bootstrap=0)
    html = (tmp_path / "d.html").read_text(encoding="utf-8")
    assert '<a href="#judges">Judges</a>' in html and 'data-fig="judge_kappa_people:judge-first:safety"' in html
    assert page.data["judges"]["judges"][0]["subsets"][1]["verdict"] == "not yet"

"""Agreement on best-of-N questions (the options are the candidates): Bennett's S with each sample's own chance,
alpha over the pairwise preferences, and perfect agreement that reads as such (issue 17)."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import krippendorff
import numpy as np
import pytest

from labelloop.cli import main
from labelloop.data.model import Annotation, Candidate, DataSample, Dataset, Message
from labelloop.data.schema import AnnotationSchema, Option, Question
from labelloop.formats import load, save
from labelloop.quality.agreement import agreement, question_agreement
from labelloop.quality.alpha import krippendorff_alpha
from labelloop.quality.best_of_n import FIRST, SECOND, TIE, bennett_s, pairwise_alpha, pairwise_ratings
from labelloop.quality.units import Ratings
from labelloop.templates import TEMPLATES

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "rewardbench2_example.jsonl"
BEST = Question(name="best", type="single_choice", options_from_candidates=True)
NAN = np.nan

# sample: (number of candidates, {annotator: best answer})
HAND = {
    "s1": (4, {"A": "0", "B": "0", "C": "1"}),
    "s2": (2, {"A": "1", "B": "1"}),
    "s3": (3, {"A": "2", "B": "0"}),
    "s4": (3, {"A": "0"}),  # one answer: not pairable
}


def _dataset(spec: dict[str, tuple[int, dict[str, str]]], question: Question = BEST) -> Dataset:
    samples = [DataSample(id=sid, prompt=[Message(role="user", content=f"Q {sid}?")],
                          candidates=[Candidate(id=str(i), content=f"answer {i} to {sid}") for i in range(n)],
                          annotations=[Annotation(annotator=a, values={question.name: v}) for a, v in votes.items()])
               for sid, (n, votes) in spec.items()]
    return Dataset(name="hand", samples=samples, schema=AnnotationSchema(name="best", questions=[question]))


def test_bennett_s_by_hand() -> None:
    # per sample: observed agreement Σ n(n-1) / (m(m-1)), chance 1 / number of answers
    #   s1: "0" twice, "1" once -> 2·1 / (3·2) = 1/3;  chance 1/4
    #   s2: "1" twice          -> 2·1 / (2·1) = 1;    chance 1/2
    #   s3: "2", "0"           -> 0;                  chance 1/3
    #   s4: one answer, left out
    # P_o = (1/3 + 1 + 0) / 3 = 4/9;  P_e = (1/4 + 1/2 + 1/3) / 3 = 13/36
    # S = (4/9 - 13/36) / (1 - 13/36) = (3/36) / (23/36) = 3/23
    ds = _dataset(HAND)
    s = bennett_s(ds.samples, BEST)
    assert s.value == pytest.approx(3 / 23, abs=1e-15) and s.n_items == 3
    assert s.extra["observed"] == pytest.approx(4 / 9, abs=1e-15)
    assert s.extra["chance"] == pytest.approx(13 / 36, abs=1e-15)
    assert s.extra["answers"] == "2 to 4"
    assert float(Fraction(4, 9) - Fraction(13, 36)) / float(1 - Fraction(13, 36)) == pytest.approx(s.value)


def test_pairwise_alpha_by_hand() -> None:
    # each answer as a preference on every pair of the sample's candidates: F (first), S (second), T (tie)
    #   s1 (0,1) (0,2) (0,3) (1,2) (1,3) (2,3)     s2 (0,1)     s3 (0,1) (0,2) (1,2)
    #   A "0": F F F T T T                          A "1": S     A "2": T S S
    #   B "0": F F F T T T                          B "1": S     B "0": F F T
    #   C "1": S T T F F T
    # coincidences (a unit of m values adds each ordered pair with weight 1 / (m - 1)):
    #   FF 3, TT 5, SS 2, FT = TF 5, FS = SF 2, ST = TS 1;  n_F 10, n_T 11, n_S 5, n 26
    # nominal alpha = 1 - (n - 1) Σ_{c≠k} o_ck / (n² - Σ n_c²) = 1 - 25 · 16 / (676 - 246) = 1 - 400/430 = 3/43
    ds = _dataset(HAND)
    a = pairwise_alpha(ds.samples, BEST)
    assert a.value == pytest.approx(3 / 43, abs=1e-15)
    assert a.n_items == 10 and a.name == "pairwise_alpha"
    F, T, S = FIRST, TIE, SECOND
    units = {"A": [F, F, F, T, T, T, S, T, S, S, F, F, F], "B": [F, F, F, T, T, T, S, F, F, T] + [NAN] * 3,
             "C": [S, T, T, F, F, T] + [NAN] * 7}
    data = np.array(list(units.values()), dtype=float)
    assert a.value == pytest.approx(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"),
                                    abs=1e-12)
    # the same units through the library's own ratings and alpha
    ratings = pairwise_ratings(ds.samples, BEST)
    assert (ratings.n_items, len(ratings)) == (13, 6 * 3 + 1 * 2 + 3 * 2 + 3)
    by_hand = Ratings.from_matrix(data.T)
    assert krippendorff_alpha(by_hand, "nominal").value == pytest.approx(3 / 43, abs=1e-15)


def test_pairwise_alpha_equals_the_agreement_of_the_pairs_as_questions() -> None:
    # every (sample, pair) asked as its own question "which of the two, or tie": agreement.py's nominal alpha
    ds = _dataset(HAND)
    pair_q = Question(name="pair", type="single_choice",
                      options=[Option(value="first"), Option(value="second"), Option(value="tie")])
    names = {FIRST: "first", SECOND: "second", TIE: "tie"}
    samples = []
    for s in ds.samples:
        ids = [c.id for c in s.candidates]
        for j in range(len(ids)):
            for k in range(j + 1, len(ids)):
                anns = []
                for ann in s.annotations:
                    v = ann.values["best"]
                    pref = FIRST if v == ids[j] else SECOND if v == ids[k] else TIE
                    anns.append(Annotation(annotator=ann.annotator, values={"pair": names[pref]}))
                samples.append(DataSample(id=f"{s.id}:{ids[j]}-{ids[k]}", prompt=s.prompt,
                                          candidates=[s.candidates[j], s.candidates[k]], annotations=anns))
    qa = question_agreement(samples, pair_q)
    assert qa.stats["alpha"].value == pytest.approx(pairwise_alpha(ds.samples, BEST).value, abs=1e-12)


def test_two_candidates_pairwise_alpha_is_the_nominal_alpha(pairs: Dataset) -> None:
    # with two answers per sample the pairwise form is a renaming of the answers ("0" first, "1" second, tie)
    qa = agreement(pairs).question("preference")
    assert qa.stats["pairwise_alpha"].value == pytest.approx(qa.stats["alpha"].value, abs=1e-12)
    # Bennett's S: every sample offers 4 answers (0, 1, tie, both_bad): P_e = 1/4, P_o = 13/18 (percent agreement)
    # S = (13/18 - 1/4) / (3/4) = 17/27
    assert qa.stats["bennett_s"].value == pytest.approx(17 / 27, abs=1e-15)
    assert qa.stats["percent_agreement"].value == pytest.approx(13 / 18, abs=1e-15)


def _example_two_people(tmp_path: Path, agree_on: int = 10) -> Path:
    ds = load(EXAMPLE)
    for i, s in enumerate(ds.samples[:10]):
        s.annotations += [Annotation(annotator="ana", values={"best": "0"}),
                          Annotation(annotator="ben", values={"best": "0" if i < agree_on else "1"})]
    path = tmp_path / "two.jsonl"
    save(ds, path)
    return path


def test_bundled_example_two_people_agreeing_read_perfect_agreement(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    path = _example_two_people(tmp_path)
    qa = agreement(load(path), questions=["best"]).question("best")
    assert qa.stats["bennett_s"].value == 1.0 and qa.stats["bennett_s"].n_items == 10
    assert qa.stats["bennett_s"].extra["chance"] == 0.25
    assert qa.stats["pairwise_alpha"].value == 1.0 and qa.stats["pairwise_alpha"].n_items == 60
    # the pooled coefficients stay undefined (every pooled answer is "0"), and say that agreement was perfect
    for st in (qa.stats["alpha"], qa.stats["fleiss_kappa"], qa.pairs[0]["none"]):
        assert st.value is None and st.extra["perfect_agreement"] is True
        assert st.reason.startswith("perfect agreement; the coefficient is undefined: ")
        assert st.text() == "perfect agreement (coefficient undefined)"
    capsys.readouterr()
    main(["agreement", str(path), "--question", "best", "--json"])
    best = json.loads(capsys.readouterr().out)["questions"][0]
    assert best["stats"]["bennett_s"]["value"] == 1.0 and best["stats"]["pairwise_alpha"]["value"] == 1.0
    assert best["stats"]["alpha"]["perfect_agreement"] is True
    assert best["stats"]["alpha"]["undefined"] == ("perfect agreement; the coefficient is undefined: all pairable "
                                                   "values are the same, so disagreement expected by chance is zero")
    main(["agreement", str(path), "--question", "best"])
    text = capsys.readouterr().out
    assert "Bennett's S" in text and "perfect agreement" in text
    assert "undefined (" not in text


def test_bundled_example_one_disagreement(tmp_path: Path) -> None:
    # ben picks "1" on the last of the 10 samples (4 answers each)
    # S: P_o = 9/10, P_e = 1/4 -> (9/10 - 1/4) / (3/4) = 13/15
    # pairwise: 60 units, two values each (weight 1 / (m - 1) = 1, so a unit adds its two ordered pairs)
    #   9 agreeing samples, each 3 F units and 3 T units: FF = 9·3·2 = 54, TT = 54
    #   sample 10, ana "0" = F F F T T T, ben "1" = S T T F F T on (0,1) (0,2) (0,3) (1,2) (1,3) (2,3):
    #   FS = SF = 1; FT = TF = 4 ((0,2), (0,3), (1,2), (1,3)); TT += 2 ((2,3))
    #   n_F = 54 + 1 + 4 = 59, n_S = 1, n_T = 56 + 4 = 60, n = 120; disagreeing coincidences 2 + 8 = 10
    #   alpha = 1 - 119 · 10 / (120² - 59² - 1² - 60²) = 1 - 1190 / (14400 - 3481 - 1 - 3600) = 1 - 1190/7318
    path = _example_two_people(tmp_path, agree_on=9)
    qa = agreement(load(path), questions=["best"]).question("best")
    assert qa.stats["bennett_s"].value == pytest.approx(13 / 15, abs=1e-15)
    assert qa.stats["pairwise_alpha"].value == pytest.approx(1 - 1190 / 7318, abs=1e-15)
    assert qa.stats["percent_agreement"].value == pytest.approx(9 / 10, abs=1e-15)


def test_best_of_n_bootstrap_is_seeded() -> None:
    ds = _dataset(HAND)
    one = bennett_s(ds.samples, BEST, bootstrap=200, seed=3)
    two = bennett_s(ds.samples, BEST, bootstrap=200, seed=3)
    assert one.ci == two.ci and one.ci is not None and one.bootstrap == 200
    # the pairwise alpha resamples samples (3 pairable ones), each with all its pairs
    pa = pairwise_alpha(ds.samples, BEST, bootstrap=200, seed=3)
    assert pa.ci == pairwise_alpha(ds.samples, BEST, bootstrap=200, seed=3).ci and pa.ci is not None
    assert (pa.value, pa.n_items, pa.bootstrap) == (pytest.approx(3 / 43, abs=1e-15), 10, 200)
    assert pa.ci[0] <= pa.value <= pa.ci[1]


def test_no_pairable_sample_is_undefined_with_its_reason() -> None:
    ds = _dataset({"s1": (3, {"A": "0"})})
    assert bennett_s(ds.samples, BEST).reason == "no sample has two or more answers"
    assert pairwise_alpha(ds.samples, BEST).reason == "no item has two or more ratings"


def test_only_candidate_questions_get_the_figures(pairs: Dataset) -> None:
    report = agreement(pairs)
    assert "bennett_s" not in report.question("rating").stats
    assert TEMPLATES.get("rewardbench2")().question("best").options_from_candidates


def test_three_people_agreeing_on_everything_never_read_undefined(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    ds = load(EXAMPLE)
    for s in ds.samples[:10]:
        s.annotations += [Annotation(annotator=n, values={"best": "0"}) for n in ("ana", "ben", "cy")]
    path = tmp_path / "three.jsonl"
    save(ds, path)
    qa = agreement(load(path), questions=["best"]).question("best")
    assert [r["alpha_without"] for r in qa.per_annotator] == [None, None, None]
    assert all(r["alpha_without_undefined"] == "perfect agreement; the coefficient is undefined: all pairable values "
               "are the same, so disagreement expected by chance is zero" for r in qa.per_annotator)
    capsys.readouterr()
    main(["agreement", str(path), "--question", "best"])
    text = capsys.readouterr().out
    assert "undefined (" not in text and "│    undefined │" not in text
    block = text.split("Each annotator against the others")[1].split("Accuracy against the reference")[0]
    assert block.count("perfect") == 3 and block.count("agreement │") == 3 and "undefined" not in block

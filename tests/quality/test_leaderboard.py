"""The model leaderboard: hand-worked cases with exact values, crowd-kit's BradleyTerry and choix on simulated data,
FastChat's maximum-likelihood Elo method (its published procedure, written here), the bootstrap, position."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from labelloop.cli import main
from labelloop.data.model import Annotation, Candidate, DataSample, Dataset
from labelloop.errors import LabelloopError, ParameterError
from labelloop.quality.bradley_terry import fit_strengths
from labelloop.quality.leaderboard import leaderboard, pairwise
from labelloop.templates import TEMPLATES

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "rewardbench2_example.jsonl"
PAIR = TEMPLATES.get("rewardbench")()
RB2 = TEMPLATES.get("rewardbench2")()
ELO = 400.0 / math.log(10.0)


def battle(k: int, a: str, b: str, winner: str, order: list[str] | None = None, annotator: str = "p") -> DataSample:
    """One pairwise vote: ``winner`` is 'a', 'b' or 'tie'."""
    value = {"a": "0", "b": "1", "tie": "tie", "both_bad": "both_bad"}[winner]
    return DataSample(id=f"s{k}", candidates=[Candidate(id="0", content="x", model=a),
                                              Candidate(id="1", content="y", model=b)],
                      annotations=[Annotation(annotator=annotator, values={"preference": value},
                                              metadata={"order": order} if order else {})])


def dataset(battles: list[tuple[str, str, str]]) -> Dataset:
    return Dataset(name="t", samples=[battle(k, *b) for k, b in enumerate(battles)], schema=PAIR)


def scores(report) -> dict[str, float]:
    return {r["model"]: r["score"] for r in report.models}


# ---------------------------------------------------------------------- hand-worked cases
def test_three_to_one_is_log10_three() -> None:
    """A beat B 3 times, lost once: P = 3/4, so the gap is 400·log10(3) = 190.848 points around the mean 1000."""
    r = leaderboard(dataset([("A", "B", "a")] * 3 + [("A", "B", "b")]), rounds=0)
    assert scores(r) == pytest.approx({"A": 1000 + 200 * math.log10(3), "B": 1000 - 200 * math.log10(3)}, abs=1e-6)
    assert scores(r)["A"] == pytest.approx(1095.4243, abs=1e-4)
    assert r.mle_exists and r.prior == 0.0 and r.comparisons == 4 and r.votes == 4
    assert r.win_rate == {"A": {"B": 0.75}, "B": {"A": 0.25}}
    assert r.pair_counts == {"A": {"B": 4}, "B": {"A": 4}}


def test_ties_count_half_a_win() -> None:
    """One win and two ties: A scored 2 of 3, odds 2:1, gap 400·log10(2) = 120.412; both bad is a tie too."""
    for tie in ("tie", "both_bad"):
        r = leaderboard(dataset([("A", "B", "a"), ("A", "B", tie), ("B", "A", tie)]), rounds=0)
        assert scores(r)["A"] - scores(r)["B"] == pytest.approx(400 * math.log10(2), abs=1e-6)
        assert r.win_rate["A"]["B"] == pytest.approx(2 / 3)


def test_a_chain_fits_each_pair_exactly() -> None:
    """A–B 2:1 and B–C 2:1, A and C never met: a tree of comparisons is fitted pair by pair, so A = 1000 +
    400·log10 2, B = 1000, C = 1000 − 400·log10 2 (1120.412, 1000, 879.588)."""
    r = leaderboard(dataset([("A", "B", "a"), ("A", "B", "a"), ("A", "B", "b"),
                             ("B", "C", "a"), ("B", "C", "a"), ("B", "C", "b")]), rounds=0, min_comparisons=3)
    assert scores(r) == pytest.approx({"A": 1120.412, "B": 1000.0, "C": 879.588}, abs=1e-3)
    assert [m["rank"] for m in r.models] == [1, 2, 3]
    assert r.win_rate["A"]["C"] is None and r.pair_counts["A"]["C"] == 0
    assert r.under_compared == [{"models": ["A", "C"], "comparisons": 0}]


def test_anchor_at_a_value_or_a_model() -> None:
    data = dataset([("A", "B", "a")] * 3 + [("A", "B", "b")])
    assert scores(leaderboard(data, rounds=0, anchor=1500)) == pytest.approx({"A": 1595.4243, "B": 1404.5757},
                                                                              abs=1e-4)
    got = scores(leaderboard(data, rounds=0, anchor=1114, anchor_model="B"))
    assert got == pytest.approx({"A": 1114 + 400 * math.log10(3), "B": 1114.0}, abs=1e-6)
    with pytest.raises(ParameterError, match="anchor_model 'Z' is none of the ranked models: A, B"):
        leaderboard(data, rounds=0, anchor_model="Z")


def test_no_maximum_likelihood_adds_ties_and_says_so() -> None:
    """A beat B 3–0: no finite maximum; with 0.5 ties each way A has 3.5 of 4, odds 7:1, gap 400·log10 7."""
    r = leaderboard(dataset([("A", "B", "a")] * 3), rounds=0)
    assert not r.mle_exists and r.prior == 0.5
    assert scores(r)["A"] - scores(r)["B"] == pytest.approx(400 * math.log10(7), abs=1e-6)
    assert r.warnings[0].startswith("The maximum-likelihood scores do not exist: some models never lost or never won "
                                    "against the others (never lost: A; never won: B); the fit adds 0.5 ties")
    # the same as the MM fit of labelloop's bradley-terry aggregator with the same prior
    s = fit_strengths(["A", "B"], [("A", "B", 1.0)] * 3, prior=0.5)
    assert scores(r)["A"] - scores(r)["B"] == pytest.approx(ELO * math.log(s["A"] / s["B"]), abs=1e-6)


def test_prior_given_matches_the_mm_fit_on_more_models() -> None:
    battles = [("A", "B", "a")] * 4 + [("B", "C", "a")] * 2 + [("C", "A", "a"), ("A", "C", "a"), ("B", "A", "a")]
    r = leaderboard(dataset(battles), rounds=0, prior=0.5)
    s = fit_strengths(["A", "B", "C"], [(a, b, 1.0) for a, b, _ in battles], prior=0.5)
    logs = {m: ELO * math.log(v) for m, v in s.items()}
    mean = sum(logs.values()) / 3
    assert scores(r) == pytest.approx({m: v - mean + 1000 for m, v in logs.items()}, abs=1e-5)


def test_models_never_compared_together_are_refused() -> None:
    with pytest.raises(LabelloopError, match=r"groups never compared with each other.*: \{A, B\}; \{C, D\}\.$"):
        leaderboard(dataset([("A", "B", "a"), ("B", "A", "a"), ("C", "D", "a"), ("D", "C", "a")]), rounds=0)
    with pytest.raises(LabelloopError, match="No two models to rank"):
        leaderboard(Dataset(samples=[DataSample(id="x", candidates=[Candidate(id="0", content="a")])], schema=PAIR))


def test_what_gives_no_comparison_is_counted() -> None:
    data = dataset([("A", "B", "a"), ("A", "B", "b"), ("A", "A", "a")])
    data.samples[0].candidates[1].model = None
    r = leaderboard(data, rounds=0, min_comparisons=0)
    assert r.comparisons == 1 and r.skipped == {"comparisons with a candidate without a model": 1,
                                                 "comparisons of a model with itself": 1}


def test_pairwise_reads_every_preference_question() -> None:
    ranking, best, correct, rating = (RB2.question(n) for n in ("ranking", "best", "correct", "rating"))
    ids = ["0", "1", "2"]
    assert pairwise(ranking, ["2", "0", "1"], ids) == [("2", "0", 1.0), ("2", "1", 1.0), ("0", "1", 1.0)]
    assert pairwise(best, "1", ids) == [("1", "0", 1.0), ("1", "2", 1.0)]
    assert pairwise(correct, ["0", "2"], ids) == [("0", "1", 1.0), ("2", "1", 1.0)]
    assert pairwise(rating, {"0": 4, "1": 4, "2": 1}, ids) == [("0", "2", 1.0), ("1", "2", 1.0), ("0", "1", 0.5)]
    assert pairwise(rating, {"0": 3, "1": 3}, ids) == [("0", "1", 0.5)]


def test_sources_and_annotators() -> None:
    s = battle(0, "A", "B", "a")
    s.annotations += [Annotation(annotator="q", values={"preference": "1"}),
                      Annotation(annotator="m", kind="aggregate", values={"preference": "1"}),
                      Annotation(annotator="j", kind="prediction", values={"preference": "0"})]
    t = battle(1, "A", "B", "b")
    data = Dataset(samples=[s, t], schema=PAIR)
    assert leaderboard(data, rounds=0).source == "human"
    assert leaderboard(data, rounds=0, annotators=["p"]).votes == 2
    r = leaderboard(data, rounds=0, source="human", prior=0)
    assert r.votes == 3 and r.voters == 2 and r.win_rate["A"]["B"] == pytest.approx(1 / 3)
    with pytest.raises(ParameterError, match="Unknown source 'judge' for source"):
        leaderboard(data, source="judge")


# ---------------------------------------------------------------------- reference libraries on simulated data
def simulated(n_models: int = 8, n: int = 20000, seed: int = 1):
    rng = np.random.default_rng(seed)
    truth = np.linspace(-1.5, 1.5, n_models)
    a = rng.integers(0, n_models, n)
    b = rng.integers(0, n_models - 1, n)
    b = b + (b >= a)
    win = rng.random(n) < 1 / (1 + np.exp(-(truth[a] - truth[b])))
    return truth, a, b, np.where(win, a, b), np.where(win, b, a)


def fast_dataset(a, b, w, names) -> Dataset:
    samples = [battle(k, names[i], names[j], "a" if wk == i else "b") for k, (i, j, wk) in enumerate(zip(a, b, w))]
    return Dataset(name="sim", samples=samples, schema=PAIR)


@pytest.fixture(scope="module")
def sim():
    truth, a, b, w, loser = simulated()
    names = [f"m{i}" for i in range(len(truth))]
    report = leaderboard(fast_dataset(a, b, w, names), rounds=0)
    ours = np.array([scores(report)[m] for m in names])
    return truth, a, b, w, loser, names, ours


def elo_from_log(x: np.ndarray) -> np.ndarray:
    x = ELO * np.asarray(x, float)
    return x - x.mean() + 1000


def test_same_as_choix_on_simulated_data(sim) -> None:
    import choix

    truth, a, b, w, loser, names, ours = sim
    theirs = elo_from_log(choix.ilsr_pairwise(len(names), list(zip(w, loser)), alpha=0.0, tol=1e-12))
    assert np.abs(ours - theirs).max() < 1e-6
    assert list(np.argsort(-ours)) == list(np.argsort(-truth))  # the simulated truth's order


def test_same_as_crowd_kit_bradley_terry_on_simulated_data(sim) -> None:
    """crowd-kit 1.4.2's BradleyTerry stops after its second MM step whatever ``tol`` says (it compares the new
    strengths with themselves), so run to ``n_iter`` with a negative ``tol``: then the fits agree to 1e-6 points.
    With its default stop the order is still the same."""
    import pandas as pd
    from crowdkit.aggregation import BradleyTerry

    truth, a, b, w, loser, names, ours = sim
    frame = pd.DataFrame({"worker": "w", "left": [names[i] for i in a], "right": [names[i] for i in b],
                          "label": [names[i] for i in w]})
    full = BradleyTerry(n_iter=20000, tol=-1.0).fit(frame).scores_
    assert np.abs(ours - elo_from_log(np.log(full[names].to_numpy()))).max() < 1e-6
    early = BradleyTerry(n_iter=20000).fit(frame).scores_
    assert list(early[names].to_numpy().argsort()[::-1]) == list(np.argsort(-ours))


# ---------------------------------------------------------------------- FastChat's method
ARENA = ([("A", "B", "a")] * 12 + [("A", "B", "b")] * 5 + [("A", "B", "tie")] * 3 + [("B", "C", "a")] * 9
         + [("B", "C", "b")] * 6 + [("C", "D", "a")] * 7 + [("C", "D", "b")] * 4 + [("C", "D", "tie")] * 2
         + [("A", "D", "a")] * 6 + [("A", "D", "b")] * 2 + [("B", "D", "b")] * 3 + [("B", "D", "a")] * 5)


def fastchat_style(battles, rounds: int, seed: int = 0):
    """FastChat's compute_elo_mle_with_tie and its bootstrap, as fastchat/serve/monitor/elo_analysis.py describes
    them (written here): unique (model_a, model_b, outcome) rows with ties 0.5, the BT loss in base 10 minimised
    by L-BFGS-B (maxiter 100, gtol 1e-6) from zeros, rating·400 + 1000; the bootstrap draws the rows'
    counts from a multinomial and takes the 2.5 and 97.5 percentiles."""
    from scipy.optimize import minimize
    from scipy.special import expit

    models = sorted({m for a, b, _ in battles for m in (a, b)})
    ix = {m: i for i, m in enumerate(models)}
    rows = np.array([[ix[a], ix[b], {"a": 2, "b": 0, "tie": 1}[w]] for a, b, w in battles])
    uniq, counts = np.unique(rows, axis=0, return_counts=True)
    match, out = uniq[:, :2], uniq[:, 2] / 2.0

    def fit(weights):
        def loss(r):
            p = expit(math.log(10) * (r[match[:, 0]] - r[match[:, 1]]))
            g = -math.log(10) * (out - p) * weights
            grad = np.zeros(len(models))
            np.add.at(grad, match[:, 0], g)
            np.add.at(grad, match[:, 1], -g)
            return -((np.log(p) * out + np.log(1 - p) * (1 - out)) * weights).sum(), grad
        res = minimize(loss, np.zeros(len(models)), jac=True, method="L-BFGS-B", options={"maxiter": 100,
                                                                                       "gtol": 1e-6})
        return res.x * 400 + 1000

    point = fit(counts.astype(float))
    draws = np.random.RandomState(seed).multinomial(len(battles), counts / counts.sum(), size=rounds)
    boot = np.array([fit(d / len(battles)) for d in draws])
    lo, hi = np.percentile(boot, [2.5, 97.5], axis=0)
    return {m: (point[i], lo[i], hi[i]) for m, i in ix.items()}


def test_fastchat_mle_and_bootstrap_on_a_small_arena() -> None:
    """90 battles among four models with ties. The scores agree with FastChat's to 0.01 points (its optimiser
    stops at gtol 1e-6); the 95% intervals, from different random draws, within 12 points at 4000 rounds
    (the Monte Carlo error of a 2.5% percentile here is about 3 points)."""
    ref = fastchat_style(ARENA, rounds=4000)
    r = leaderboard(dataset(ARENA), rounds=4000, seed=0)
    for row in r.models:
        point, lo, hi = ref[row["model"]]
        assert row["score"] == pytest.approx(point, abs=0.01)
        assert row["ci_low"] == pytest.approx(lo, abs=12) and row["ci_high"] == pytest.approx(hi, abs=12)
    assert {m: round(s, 2) for m, s in scores(r).items()} == {"A": 1126.31, "B": 1009.61, "C": 960.46,
                                                              "D": 903.62}


def test_bootstrap_is_seeded() -> None:
    one = leaderboard(dataset(ARENA), rounds=200, seed=3)
    two = leaderboard(dataset(ARENA), rounds=200, seed=3)
    other = leaderboard(dataset(ARENA), rounds=200, seed=4)
    assert one.models == two.models and one.models != other.models
    for row in one.models:
        assert row["ci_low"] < row["score"] < row["ci_high"]
    assert [row["rank_ci"] for row in one.models] == [[1, 2], [1, 4], [1, 4], [2, 4]]


# ---------------------------------------------------------------------- the screen position
def test_position_bias_is_seen_and_adjusted_for() -> None:
    """People pick what is shown first with log-odds ln 3 (190.8 points); A is shown first 80% of the time. The
    picks are far from chance, and the ranking with position as a covariate finds the true gaps (A +100 over B,
    B +100 over C) and the position effect, where the plain fit inflates A."""
    rng = np.random.default_rng(7)
    truth = {"A": 100.0, "B": 0.0, "C": -100.0}
    samples = []
    pairs = [("A", "B"), ("A", "C"), ("B", "C")]
    for k in range(9000):
        a, b = pairs[k % 3]
        first, second = (a, b) if rng.random() < (0.8 if a == "A" else 0.5) else (b, a)
        logit = (truth[first] - truth[second]) / ELO + math.log(3)
        winner = first if rng.random() < 1 / (1 + math.exp(-logit)) else second
        order = ["0", "1"] if first == a else ["1", "0"]
        samples.append(battle(k, a, b, "a" if winner == a else "b", order=order))
    r = leaderboard(Dataset(samples=samples, schema=PAIR), rounds=0)
    pos = r.position
    assert pos["far_from_chance"] and pos["recorded"] == 9000
    assert pos["picks"][0]["most_picked"] == "A" and pos["picks"][0]["share"] > 0.7
    adj = {m["model"]: m["score"] for m in pos["adjusted"]["models"]}
    assert adj["A"] - adj["B"] == pytest.approx(100, abs=15) and adj["B"] - adj["C"] == pytest.approx(100, abs=15)
    assert pos["adjusted"]["position_effects"]["B"] == pytest.approx(-400 * math.log10(3), abs=12)
    plain = scores(r)
    assert plain["A"] - plain["B"] > adj["A"] - adj["B"] + 30
    assert any(w.startswith("Position A was picked in ") for w in r.warnings)
    off = leaderboard(Dataset(samples=samples, schema=PAIR), rounds=0, position="off")
    assert off.position["adjusted"] is None and off.position["far_from_chance"]


def test_no_position_model_when_picks_are_within_chance() -> None:
    samples = [battle(k, "A", "B", w, order=o) for k, (w, o) in
               enumerate([("a", ["0", "1"]), ("b", ["0", "1"]), ("a", ["1", "0"]), ("b", ["1", "0"])] * 5)]
    r = leaderboard(Dataset(samples=samples, schema=PAIR), rounds=0)
    assert not r.position["far_from_chance"] and r.position["adjusted"] is None
    assert r.position["picks"][0]["counts"] == {"A": 10, "B": 10}


# ---------------------------------------------------------------------- the command
def test_cli_on_the_bundled_example(capsys: pytest.CaptureFixture[str]) -> None:
    main(["leaderboard", str(EXAMPLE), "--rounds", "50", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert data["source"] == "reference" and data["votes"] == 25 and data["comparisons"] == 100
    assert [m["model"] for m in data["models"]][0] == "model-a" and data["prior"] == 0.5
    main(["leaderboard", str(EXAMPLE), "--rounds", "50"])
    text = capsys.readouterr().out
    assert text.startswith("# rewardbench2_example: model leaderboard\n\n25 reference votes by 1 annotator(s) give "
                           "100 comparisons. Bradley-Terry scores: 400 × log10 of the odds, the mean at 1000; 95% "
                           "intervals from 50 bootstrap rounds over votes, seed 0.")
    assert "| 1 | model-a | 1562.5 |" in text and "### Win rate" in text and "### Screen position" in text


def test_cli_errors_name_the_flag(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for args, sentence in ((["--source", "judge"], "Unknown source 'judge' for --source; known: auto, human, "
                                                    "aggregate, reference, prediction."),
                           (["--rounds", "-1"], "--rounds must be 0 or more, not -1."),
                           (["--anchor-model", "gpt"], "--anchor-model 'gpt' is none of the ranked models")):
        with pytest.raises(SystemExit) as exc:
            main(["leaderboard", str(EXAMPLE), *args])
        assert exc.value.code == 1
        assert sentence in capsys.readouterr().err
    out = tmp_path / "lb.md"
    main(["leaderboard", str(EXAMPLE), "--rounds", "0", "-o", str(out)])
    assert out.read_text(encoding="utf-8").startswith("# rewardbench2_example: model leaderboard")


def test_dashboard_section(tmp_path: Path) -> None:
    """The dashboard's leaderboard section shows the same figures as the command (Markdown and the page)."""
    from labelloop.ops.report import dashboard

    md = dashboard([EXAMPLE], None, "md", bootstrap=20).text
    assert "## Model leaderboard\n\n25 reference votes by 1 annotator(s) give 100 comparisons." in md
    assert "| 1 | model-a | 1562.5 |" in md
    page = dashboard([EXAMPLE], tmp_path / "d.html", "html", bootstrap=20)
    assert page.data["leaderboard"]["models"][0]["model"] == "model-a"
    html = (tmp_path / "d.html").read_text(encoding="utf-8")
    assert '<a href="#leaderboard">Leaderboard</a>' in html and 'data-fig="score:model-a"' in html

"""``labelloop review``: every check on a dataset whose problems were planted, and LLM explanations."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
from scipy.stats import binomtest

from labelloop.assist.cache import AnswerCache
from labelloop.assist.llm import get_provider
from labelloop.assist.review import review_dataset, strong_difference
from labelloop.data.model import Annotation, Candidate, DataSample, Dataset, Message
from labelloop.errors import LabelloopError
from labelloop.formats import save
from labelloop.templates import TEMPLATES

N = 24
T0 = datetime(2024, 5, 1, 9, 0, tzinfo=timezone.utc)


def truth(i: int) -> str:
    return "0" if i % 3 else "1"


def order(i: int) -> list[str]:
    return ["0", "1"] if i % 2 == 0 else ["1", "0"]


def answers(i: int) -> dict[str, str]:
    """alice is right; bob is right but for s05; carol always picks the answer shown first."""
    other = "1" if truth(i) == "0" else "0"
    return {"alice": truth(i), "bob": other if i == 5 else truth(i), "carol": order(i)[0]}


def prediction(i: int) -> tuple[str, float]:
    if i == 10:
        return "1", 0.9  # a confident wrong pre-label: everyone who is right disagrees with it
    if i == 11:
        return ("1" if truth(i) == "0" else "0"), 0.5  # wrong but unsure: not a strong disagreement
    return truth(i), 0.9


def make_dataset() -> Dataset:
    samples = []
    for i in range(N):
        s = DataSample(id=f"s{i:02d}", prompt=[Message(role="user", content=f"What is {i} + {i}?")],
                       candidates=[Candidate(id="0", content=f"{2 * i}"), Candidate(id="1", content=f"{2 * i + 1}")])
        value, score = prediction(i)
        s.annotations.append(Annotation(annotator="llm:compatible/judge", kind="prediction",
                                        values={"preference": value}, score=score, model_version="judge-1"))
        for k, (name, pick) in enumerate(answers(i).items()):
            lead = {"alice": 20.0, "bob": 1.0 if i == 7 else 25.0, "carol": 15.0}[name]
            values: dict = {"preference": pick}
            if i == 3:
                values["rating"] = {"0": 5, "1": 1} if name == "bob" else {"0": 1, "1": 5}
            meta = {"order": order(i)} if name != "bob" else {"labelstudio": {"order": order(i)}}
            s.annotations.append(Annotation(annotator=name, values=values, lead_time_s=lead,
                                            created_at=T0 + timedelta(minutes=i, seconds=k), metadata=meta))
        samples.append(s)
    return Dataset(name="planted", samples=samples, schema=TEMPLATES.get("rewardbench")())


def expected_prediction_flags() -> list[tuple[str, str]]:
    out = []
    for i in range(N):
        value, score = prediction(i)
        if score < 0.7:
            continue
        out += [(f"s{i:02d}", name) for name, pick in answers(i).items() if pick != value]
    return sorted(out)


def expected_majority_flags() -> list[tuple[str, str, str | None]]:
    out = []
    for i in range(N):
        votes = answers(i)
        major = max(set(votes.values()), key=list(votes.values()).count)
        out += [(f"s{i:02d}", name, None) for name, pick in votes.items() if pick != major]
    return sorted(out + [("s03", "bob", "0"), ("s03", "bob", "1")])


def by_kind(report, kind):
    return [f for f in report.flags if f["kind"] == kind]


def test_a_screen_order_recorded_as_shown_order_counts_too():
    # every reader of the screen order takes the same keys (order, shown_order, labelstudio.order); the
    # review used to ignore shown_order, so this straight-lining, position-biased carol went unflagged
    ds = make_dataset()
    for s in ds.samples:
        for a in s.annotations:
            if a.annotator == "carol":
                a.metadata = {"shown_order": a.metadata.pop("order")}
    report = review_dataset(ds)
    assert [(f["annotator"], f["most_picked"], f["counts"]) for f in by_kind(report, "position_bias")] == [
        ("carol", "A", {"A": N, "B": 0})]
    assert [(f["annotator"], f["run"], f["answer_key"]) for f in by_kind(report, "straight_lining")] == [
        ("carol", N, "answer A on screen")]


def test_strong_difference_by_question_type():
    sch = TEMPLATES.get("rewardbench2")()
    best, ranking, rating, correct = (sch.question(n) for n in ("best", "ranking", "rating", "correct"))
    assert strong_difference(best, "0", "1", 2) == '"0" vs "1"'
    assert strong_difference(best, "0", "0", 2) is None
    assert strong_difference(ranking, ["0", "1", "2"], ["0", "2", "1"], 2) is None  # same top pick
    assert strong_difference(ranking, ["1", "0"], ["0", "1"], 2) == "top 1 vs 0"
    assert strong_difference(rating, {"0": 5, "1": 3}, {"0": 4, "1": 1}, 2) == "candidate 1: 3 vs 1"
    assert strong_difference(rating, {"0": 5, "1": 3}, {"0": 4, "1": 2}, 2) is None
    assert strong_difference(correct, ["0", "1"], ["0"], 2) == '["0", "1"] vs ["0"]'  # Jaccard distance 0.5
    assert strong_difference(correct, ["0", "1", "2"], ["0", "1"], 2) is None  # 1/3


def test_review_finds_every_planted_problem():
    report = review_dataset(make_dataset())
    pred = by_kind(report, "prediction_disagreement")
    assert sorted((f["sample_id"], f["annotator"]) for f in pred) == expected_prediction_flags()
    assert {(f["sample_id"], f["annotator"]) for f in pred if f["sample_id"] == "s10"} == {
        ("s10", "alice"), ("s10", "bob"), ("s10", "carol")}
    assert all(f["other_by"] == "llm:compatible/judge" and f["other_score"] == 0.9 for f in pred)

    major = by_kind(report, "majority_disagreement")
    assert sorted((f["sample_id"], f["annotator"], f["candidate_id"]) for f in major) == expected_majority_flags()
    s05 = next(f for f in major if f["sample_id"] == "s05" and f["question"] == "preference")
    assert (s05["annotator"], s05["answer"], s05["other"], s05["other_score"]) == ("alice", "0", "1", 2 / 3)
    rating = [f for f in major if f["question"] == "rating"]
    assert [(f["candidate_id"], f["answer"], f["other"]) for f in rating] == [("0", 5, 1), ("1", 1, 5)]
    # the item's disagreement comes from labelloop.quality.agreement (alpha's per-unit D_o / D_e)
    assert all(f["item_disagreement"] is not None and f["item_disagreement"] > 0 for f in major)

    fast = by_kind(report, "too_fast")
    assert [(f["sample_id"], f["annotator"], f["lead_time_s"], f["threshold_s"]) for f in fast] == [
        ("s07", "bob", 1.0, 5.0)]
    assert (report.median_lead_time_s, report.fast_threshold_s) == (20.0, 5.0)

    runs = by_kind(report, "straight_lining")
    assert [(f["annotator"], f["question"], f["run"], f["answer_key"], f["first_sample"], f["last_sample"])
            for f in runs] == [("carol", "preference", N, "answer A on screen", "s00", f"s{N - 1:02d}")]

    pos = by_kind(report, "position_bias")
    assert [(f["annotator"], f["most_picked"], f["counts"], f["candidates"]) for f in pos] == [
        ("carol", "A", {"A": N, "B": 0}, 2)]
    assert pos[0]["p_adjusted"] == pytest.approx(2 * binomtest(N, N, 0.5, alternative="greater").pvalue, rel=1e-9)
    alice_pos = next(a for a in report.annotators if a["annotator"] == "alice")["positions"]["preference"][0]
    hits_a = sum(order(i)[0] == truth(i) for i in range(N))
    assert alice_pos["counts"] == {"A": hits_a, "B": N - hits_a}
    assert alice_pos["p_adjusted"] > 0.01  # honest work is not flagged

    s = report.summary()
    assert s["by_kind"] == {"contradiction": 0, "prediction_disagreement": len(expected_prediction_flags()),
                            "majority_disagreement": len(expected_majority_flags()), "too_fast": 1,
                            "straight_lining": 1, "position_bias": 1}
    assert (s["human_annotations"], s["annotators"], s["samples"]) == (3 * N, 3, N)
    bob = next(a for a in report.annotators if a["annotator"] == "bob")
    assert (bob["too_fast"], bob["prediction_comparisons"], bob["median_lead_time_s"]) == (1, N - 1, 25.0)
    assert s["explanations"] is None and all("explanation" not in f for f in report.flags)


def test_thresholds_are_options():
    ds = make_dataset()
    r = review_dataset(ds, straight_run=N + 1, min_seconds=0.5, fast_ratio=0.0, prediction_min_score=0.4,
                       position_min_answers=N + 1)
    assert [by_kind(r, k) for k in ("straight_lining", "too_fast", "position_bias")] == [[], [], []]
    assert ("s11", "alice") in {(f["sample_id"], f["annotator"]) for f in by_kind(r, "prediction_disagreement")}
    with pytest.raises(LabelloopError, match="Unknown review option 'straightrun'"):
        review_dataset(ds, straightrun=3)


def explainer(req, n):
    text = next(m["content"] for m in req["messages"] if m["role"] == "user")
    assert "## Disagreement" in text
    if "What is 10 + 10?" in text:
        return {"answer": "not json at all"}  # never usable: those flags must carry no explanation
    return {"answer": {"explanation": "The annotator chose the wrong sum.", "likely_right": "other"}}


def test_llm_explains_each_disagreement_cached_and_never_invented(llm_server, tmp_path):
    llm_server.policy = explainer
    ds = make_dataset()
    prov = get_provider("compatible", model="judge", base_url=llm_server.openai_url, seed=0)
    cache = AnswerCache(tmp_path / "cache")
    report = review_dataset(ds, provider=prov, cache=cache, concurrency=4, max_attempts=2)
    cache.close()
    wanted = [f for f in report.flags if f["kind"] in ("prediction_disagreement", "majority_disagreement")]
    broken = [f for f in wanted if f["sample_id"] == "s10"]
    assert len(broken) == 3 and all(f["explanation"] is None for f in broken)
    assert all(f["explanation_error"].startswith("no usable explanation after 2 attempts: the reply is not valid "
                                                 "JSON") for f in broken)
    good = [f for f in wanted if f["sample_id"] != "s10"]
    assert all(f["explanation"] == {"text": "The annotator chose the wrong sum.", "likely_right": "other",
                                    "by": "llm:compatible/judge", "model_version": "judge-1-2024-06"} for f in good)
    e = report.explanations
    prompts = len({llm_server.first_user(r) for r in llm_server.requests})
    assert (e["asked"], e["explained"], e["failed"], e["cached"]) == (len(wanted), len(good), 3, 0)
    broken_prompts = {llm_server.first_user(r) for r in llm_server.requests if "What is 10 + 10?" in
                      llm_server.first_user(r)}
    assert len(broken_prompts) == 1  # alice, bob and carol gave the same answer: one question, asked once
    assert e["calls"] == len(llm_server.requests) == prompts + 1  # one retry of the broken prompt
    assert e["prompts"] == prompts < len(wanted)
    assert llm_server.max_in_flight <= 4
    # the candidates are shown under display labels, and the values in them
    s05 = next(r for r in llm_server.requests if "What is 5 + 5?" in llm_server.first_user(r))
    assert '<answer label="A">' in llm_server.first_user(s05) and '"0"' not in llm_server.first_user(s05).split(
        "## Disagreement")[1]

    before = len(llm_server.requests)
    again = review_dataset(ds, provider=get_provider("compatible", model="judge", base_url=llm_server.openai_url),
                           cache=AnswerCache(tmp_path / "cache"), concurrency=4, max_attempts=2)
    # every valid explanation came from the cache; the broken prompt (not kept) was asked again, with its retry
    assert len(llm_server.requests) == before + 2
    assert again.explanations["cached"] == prompts - 1 and again.explanations["calls"] == 2
    assert [f.get("explanation") for f in again.flags] == [f.get("explanation") for f in report.flags]


def test_provider_down_leaves_flags_without_explanations(llm_server):
    llm_server.policy = lambda req, n: {"status": 503, "body": {"error": {"message": "overloaded"}}}
    prov = get_provider("compatible", model="judge", base_url=llm_server.openai_url, max_retries=1,
                        backoff_base=0.01)
    report = review_dataset(make_dataset(), provider=prov, max_explanations=2)
    asked = [f for f in report.flags if "explanation" in f]
    assert len(asked) == 2 and all(f["explanation"] is None for f in asked)
    assert all("answered HTTP 503: overloaded" in f["explanation_error"] for f in asked)
    assert report.explanations["explained"] == 0 and report.explanations["failed"] == 2


def test_review_cli_writes_json_and_markdown(tmp_path):
    data = tmp_path / "planted.jsonl"
    save(make_dataset(), data)
    out, md = tmp_path / "report.json", tmp_path / "report.md"
    p = subprocess.run([sys.executable, "-m", "labelloop.cli", "review", str(data), "-o", str(out), "--markdown",
                        str(md), "--json"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    summary = json.loads(p.stdout)
    assert summary["by_kind"] == {"contradiction": 0, "prediction_disagreement": len(expected_prediction_flags()),
                                  "majority_disagreement": len(expected_majority_flags()), "too_fast": 1,
                                  "straight_lining": 1, "position_bias": 1}
    assert summary["flagged_annotators"] == ["alice", "bob", "carol"]
    report = json.loads(out.read_text())
    assert report["options"]["straight_run"] == 10 and len(report["flags"]) == summary["flags"]
    text = md.read_text()
    assert text.startswith("# Annotation review: planted\n")
    assert "| Same screen position | 1 |" in text
    assert "- **carol** · preference: picked answer A on screen 24 of 24 times with 2 answers shown" in text
    # the detail carries data, so its Markdown is escaped (parentheses included); it reads the same rendered
    assert "- `s07` · **bob**: 1.0 s on the task \\(threshold 5.0 s, median 20.0 s\\)" in text

    p = subprocess.run([sys.executable, "-m", "labelloop.cli", "review", str(data), "-o", str(out),
                        "--straight-run", "1"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and "Traceback" not in p.stderr  # click's own range check
    p = subprocess.run([sys.executable, "-m", "labelloop.cli", "review", str(data), "-o", str(out), "--model", "x"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 1 and p.stderr.strip() == "error: --model, --base-url and --api-key-env need --provider."


def test_explanations_through_the_anthropic_api(llm_server):
    llm_server.policy = explainer
    prov = get_provider("anthropic", model="claude-x", base_url=llm_server.root, api_key="sk-ant")
    report = review_dataset(make_dataset(), provider=prov, max_explanations=2)
    asked = [f for f in report.flags if "explanation" in f]
    assert [f["explanation"] for f in asked] == [
        {"text": "The annotator chose the wrong sum.", "likely_right": "other", "by": "llm:anthropic/claude-x",
         "model_version": "judge-1-2024-06"}] * 2
    assert {r["api"] for r in llm_server.requests} == {"anthropic"}
    assert llm_server.requests[0]["tool_choice"] == {"type": "tool", "name": "record_labels"}


def test_a_malformed_cache_record_is_asked_again_not_a_crash(llm_server, tmp_path):
    llm_server.policy = explainer
    ds = make_dataset()

    def review():
        prov = get_provider("compatible", model="judge", base_url=llm_server.openai_url, seed=0)
        cache = AnswerCache(tmp_path)
        try:
            return review_dataset(ds, provider=prov, cache=cache, concurrency=2, max_explanations=8)
        finally:
            cache.close()

    first = review()
    records = [json.loads(line) for line in (tmp_path / "answers.jsonl").read_text().splitlines()]
    n = len(records)
    assert n == 8 and first.explanations["cached"] == 0
    # hand-edited or damaged, each in its own way; the rest left as written
    breakages = [lambda r: r.pop("explanation"), lambda r: r.update(explanation="The annotator chose."),
                 lambda r: r["explanation"].update(text=42), lambda r: r["explanation"].update(text="  "),
                 lambda r: r["explanation"].update(likely_right="bob"), lambda r: r.update(model_version=["v"]),
                 lambda r: r["explanation"].pop("likely_right")]
    for rec, breakage in zip(records, breakages):
        breakage(rec)
    records[-1]["explanation"]["note"] = "an extra field is dropped, the record still used"
    (tmp_path / "answers.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))

    before = len(llm_server.requests)
    again = review()
    assert len(llm_server.requests) - before == len(breakages)  # each broken record asked again, nothing else
    e = again.explanations
    assert (e["cached"], e["calls"], e["explained"], e["failed"]) == (n - len(breakages), len(breakages),
                                                                      first.explanations["explained"], 0)
    assert [f.get("explanation") for f in again.flags] == [f.get("explanation") for f in first.flags]

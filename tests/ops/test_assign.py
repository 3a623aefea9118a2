"""labelloop assign end to end on the bundled example: the plan file, its guarantees, gold, the pages, bad input
(one sentence, non-zero exit, nothing written) and the next round."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from labelloop.cli import main
from labelloop.data.model import Annotation
from labelloop.formats import load, save
from labelloop.ops import assign

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "rewardbench2_example.jsonl"
TEAM = "ana,ben,cai,dee"


def run(capsys: pytest.CaptureFixture[str], *args: object) -> str:
    capsys.readouterr()
    main([str(a) for a in args])
    return capsys.readouterr().out


def fails(capsys: pytest.CaptureFixture[str], *args: object) -> str:
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:
        main([str(a) for a in args])
    assert exc.value.code != 0
    return capsys.readouterr().err.strip().splitlines()[-1]  # notes (the format read) come before the error


def test_plan_on_the_example(capsys, tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    out = run(capsys, "assign", EXAMPLE, "--annotators", TEAM, "--overlap", 2, "--gold-rate", 0.05, "-o", plan)
    assert out.splitlines() == [
        f"Wrote {plan}: 24 sample(s) x 2 people; tasks per person: ana 13 (1 gold), ben 13 (1 gold), "
        "cai 13 (1 gold), dee 13 (1 gold).",
        "Every pair of people shares 4 to 4 sample(s) (even spread: 4)."]
    doc = json.loads(plan.read_text())
    assert (doc["labelloop_plan"], doc["kind"], doc["seed"]) == (1, "overlap", 0)
    assert doc["settings"] == {"annotators": ["ana", "ben", "cai", "dee"], "overlap": 2, "capacity": {},
                               "gold_rate": 0.05, "gold_file": None, "seed": 0}
    gold = doc["gold"]["ids"]
    assert gold == ["factuality-009"] and doc["gold"]["per_annotator"] == dict.fromkeys("ana ben cai dee".split(), 1)
    ids = [s.id for s in load(EXAMPLE).samples]
    seen: dict[str, list[str]] = {}
    for who, lst in doc["assignments"].items():
        assert len(lst) == len(set(lst)) == 13 and sum(i in gold for i in lst) == 1
        for i in lst:
            seen.setdefault(i, []).append(who)
    assert sorted(seen) == sorted(ids)
    assert all(len(v) == (4 if k in gold else 2) for k, v in seen.items())
    assert set(doc["summary"]["pairs"].values()) == {4}
    # the same seed writes the same file; another seed another plan
    again = tmp_path / "again.json"
    run(capsys, "assign", EXAMPLE, "--annotators", TEAM, "--gold-rate", 0.05, "-o", again)
    assert again.read_bytes() == plan.read_bytes()
    other = tmp_path / "other.json"
    run(capsys, "assign", EXAMPLE, "--annotators", TEAM, "--gold-rate", 0.05, "--seed", 1, "-o", other)
    assert json.loads(other.read_text())["assignments"] != doc["assignments"]


def test_capacity_and_short(capsys, tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    out = run(capsys, "assign", EXAMPLE, "--annotators", "ana,ben,cai", "--overlap", 3, "--capacity", "ana=5",
              "-o", plan)
    doc = json.loads(plan.read_text())
    assert {k: len(v) for k, v in doc["assignments"].items()} == {"ana": 5, "ben": 25, "cai": 25}
    assert len(doc["summary"]["short"]) == 20 and set(doc["summary"]["short"].values()) == {2}
    assert "20 sample(s) got fewer than 3 people (capacity ran out): " in out


def _no_refs(tmp_path: Path) -> Path:
    ds = load(EXAMPLE)
    for s in ds.samples:
        s.annotations = []
    path = tmp_path / "norefs.jsonl"
    save(ds, path)
    return path


def test_bad_input_is_one_sentence_and_writes_nothing(capsys, tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    norefs = _no_refs(tmp_path)
    cases = [
        (("--annotators", TEAM, "--overlap", 5), "error: --overlap 5 needs between 1 and 4 people (the annotators "
                                                 "given: ana, ben, cai, dee)."),
        (("--annotators", TEAM, "--capacity", "eve=10"), "error: --capacity names 'eve', who is not among the "
                                                         "annotators (ana, ben, cai, dee)."),
        (("--annotators", TEAM, "--capacity", "ana:10"), "error: --capacity entry 'ana:10' is not NAME=TASKS (for "
                                                         "instance ana=300)."),
        (("--annotators", TEAM, "--capacity", "ana=-3"), "error: --capacity for ana must be a whole number of "
                                                         "tasks, 0 or more, not '-3'."),
        (("--annotators", "ana,ben,ana"), "error: --annotators names ana more than once; each person once."),
        (("--annotators", TEAM, "--gold-rate", 0.6), "error: --gold-rate must be at least 0 and under 0.5, not 0.6."),
        (("--annotators", TEAM, "--gold", norefs), f"error: --gold file {norefs} has no sample with a reference "
                                                   "label; gold samples need the answer they are checked against."),
        (("--annotators", TEAM, "--gold", EXAMPLE), f"error: --gold file {EXAMPLE} shares sample ids with the "
                                                    "dataset (factuality-007, factuality-008, factuality-009, "
                                                    "factuality-010, factuality-011); gold samples need ids of "
                                                    "their own."),
    ]
    for args, want in cases:
        assert fails(capsys, "assign", EXAMPLE, *args, "-o", plan).strip() == want
        assert not plan.exists()
    assert fails(capsys, "assign", norefs, "--annotators", TEAM, "--gold-rate", 0.05, "-o", plan).strip() == (
        f"error: --gold-rate 0.05 takes gold from the dataset's reference-labelled samples, and {norefs} has none; "
        "give a gold file with --gold.")
    assert not plan.exists()


def test_gold_file_and_pages(capsys, tmp_path: Path) -> None:
    ds = load(EXAMPLE)
    gold = ds.model_copy(update={"samples": [s.model_copy(update={"id": "g-" + s.id}) for s in ds.samples[:3]]})
    gold_path = tmp_path / "gold.jsonl"
    save(gold, gold_path)
    work = _no_refs(tmp_path)
    plan = tmp_path / "plan.json"
    run(capsys, "assign", work, "--annotators", TEAM, "--gold", gold_path, "-o", plan)
    doc = json.loads(plan.read_text())
    assert doc["gold"]["file"] == str(gold_path) and doc["settings"]["gold_rate"] == 0.05
    assert doc["gold"]["per_annotator"] == dict.fromkeys("ana ben cai dee".split(), 1)
    assert all(sum(i.startswith("g-") for i in lst) == 1 for lst in doc["assignments"].values())
    # 25 samples x 2 = 50 tasks: 12 or 13 each, and one gold
    assert {k: len(v) for k, v in doc["assignments"].items()} == {"ana": 13, "ben": 14, "cai": 14, "dee": 13}
    r = assign.create_pages(work, plan, tmp_path / "pages")
    assert r.tasks == {"ana": 13, "ben": 14, "cai": 14, "dee": 13}
    assert sorted(p.name for p in (tmp_path / "pages").iterdir()) == ["ana.html", "ben.html", "cai.html", "dee.html"]
    # a plan for another dataset is refused by name
    other = tmp_path / "other.json"
    doc["assignments"]["ana"].append("nope-1")
    other.write_text(json.dumps(doc))
    err = fails(capsys, "create", work, "--plan", other, "-o", tmp_path / "p2")
    assert err.strip() == ("error: --plan gives ana sample(s) nope-1 that the dataset rewardbench2_example does not hold; was it "
                           "made for another dataset?")
    assert fails(capsys, "create", work, "--plan", plan, "--annotators", "x").strip() == (
        "error: --annotators does not go with --plan: the plan names each page's annotator.")


def test_next_round(capsys, tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    run(capsys, "assign", EXAMPLE, "--annotators", TEAM, "--gold-rate", 0.05, "-o", plan)
    doc = json.loads(plan.read_text())
    ds = load(EXAMPLE)
    by_id = ds.by_id()
    truth = {s.id: s.annotations[0].values.get("best") or s.annotations[0].values["correct"][0] for s in ds.samples}
    # ana, ben and cai answer the reference; dee always the last answer
    for who, lst in doc["assignments"].items():
        for i in lst:
            s = by_id[i]
            v = truth[i] if who != "dee" else s.candidates[-1].id
            s.annotations.append(Annotation(annotator=who, kind="human", values={"best": v}))
    labelled = tmp_path / "labelled.jsonl"
    save(ds, labelled)
    r2 = tmp_path / "round2.json"
    out = run(capsys, "assign", "--next-round", labelled, "--annotators", TEAM, "--plan", plan, "--target", 0.9,
              "--max-per-sample", 3, "-o", r2)
    got = json.loads(r2.read_text())
    assert got["kind"] == "next_round" and got["settings"]["question"] == "best"
    states = got["summary"]["states"]
    assert "factuality-009" not in states and len(states) == 24
    # dee's answers (always the last one) lose against the others' (her gold check failed): every sample is
    # settled on the reference answer and no more labels are asked for
    assert all(st["settled"] and st["label"] == truth[i] for i, st in states.items())
    assert got["assignments"] == dict.fromkeys(["ana", "ben", "cai", "dee"], [])
    assert "Every sample is settled or at its maximum: no more labels needed." in out


def test_next_round_before_anyone_labelled(capsys, tmp_path: Path) -> None:
    # no label yet: nothing is settled, whatever the priors say; each sample goes to someone the plan did not
    # already give it to
    plan = tmp_path / "plan.json"
    run(capsys, "assign", EXAMPLE, "--annotators", TEAM, "--gold-rate", 0.05, "-o", plan)
    doc = json.loads(plan.read_text())
    r = assign.next_round(EXAMPLE, TEAM, tmp_path / "r2.json", plan=plan)
    assert (r.settled, r.unsettled, r.assigned, r.loads) == (0, 24, 24, dict.fromkeys(TEAM.split(","), 6))
    for s in r.states:
        assert s.next_annotator is not None and s.sample_id not in doc["assignments"][s.next_annotator]

    # round 3 from round 2's plan: nobody gets a sample they had in round 1 or 2
    r2 = tmp_path / "r2.json"
    second = json.loads(r2.read_text())
    had = second["had"]
    assert all(set(had[n]) == set(doc["assignments"][n]) | set(second["assignments"][n]) for n in TEAM.split(","))
    assert second["gold"]["ids"] == doc["gold"]["ids"] == ["factuality-009"]
    r3 = assign.next_round(EXAMPLE, TEAM, tmp_path / "r3.json", plan=r2)
    assert r3.assigned == 24
    for s in r3.states:
        assert s.sample_id not in had[s.next_annotator]

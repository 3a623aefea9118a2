"""Rankings with ties through the formats (issue 17): the value given is the value stored is the value read back,
and it makes the training pairs it implies, none inside a tier."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from labelloop.data.model import Annotation, Candidate, DataSample, Dataset, Message
from labelloop.formats import load, save
from labelloop.formats.datalabel import load_results
from labelloop.formats.datalabel.schema import schema_from_datalabel
from labelloop.formats.dpo import sample_pairs
from labelloop.templates import TEMPLATES

TIERED = [["p11", "p13"], "n12", "n15"]


def _dataset(ranking=TIERED) -> Dataset:
    cands = [Candidate(id=c, content=c[1:]) for c in ("p11", "p13", "n12", "n15")]
    ann = Annotation(annotator="ana", values={"best": "p11", "ranking": ranking, "correct": ["p11", "p13"]})
    s = DataSample(id="prime", prompt=[Message(role="user", content="Name a prime between 10 and 20.")],
                   candidates=cands, annotations=[ann])
    return Dataset(name="ties", samples=[s], schema=TEMPLATES.get("rewardbench2")())


def _human(ds: Dataset) -> list:
    return [a.values.get("ranking") for s in ds.samples for a in s.annotations if a.kind == "human"]


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet", ".json"])
def test_labelloop_files_keep_tiers(tmp_path: Path, suffix: str) -> None:
    ds = _dataset()
    save(ds, tmp_path / f"d{suffix}")
    back = load(tmp_path / f"d{suffix}")
    assert _human(back) == [TIERED]
    assert sample_pairs(back.samples[0], back.schema, label_source="human", question="ranking")[0] == [
        ("p11", "n12"), ("p13", "n12"), ("p11", "n15"), ("p13", "n15")]


def test_labelbox_writes_tiers_as_text_and_reads_them_back(tmp_path: Path) -> None:
    ds = _dataset()
    save(ds, tmp_path / "lb.jsonl", "labelbox")
    lines = [json.loads(x) for x in (tmp_path / "lb.labels.ndjson").read_text().splitlines()]
    answers = [x["answer"] for x in lines if x.get("name") == "ranking"]
    assert answers == ["Response A = Response B > Response C > Response D"]
    onto = json.loads((tmp_path / "lb.ontology.json").read_text())
    rank = next(c for c in onto["classifications"] if c["name"] == "ranking")
    assert rank["instructions"] == ("Rank all answers, best first (best first, separated by '>'; equally good answers "
                                    "joined by '=')")
    assert _human(load(tmp_path / "lb.jsonl")) == [TIERED]


def test_datalabel_results_with_tiers(tmp_path: Path) -> None:
    cfg = {"project_name": "rank", "annotation_config": {
        "type": "ranking", "options": [{"value": "a"}, {"value": "b"}, {"value": "c"}]}}
    schema = schema_from_datalabel(cfg)
    schema.questions[0] = schema.questions[0].model_copy(update={"ties": True})
    doc = {"schema": cfg, "metadata": {},
           "responses": [{"task_id": "x", "data": {"prompt": "p", "response_a": "A", "response_b": "B",
                                                   "response_c": "C"}, "ranking": [["c", "a"], "b"]}]}
    path = tmp_path / "rank.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    (s,) = load_results([path], schema).samples
    assert s.annotations[0].values == {"ranking": [["c", "a"], "b"]}
    # DataLabel's own ranking has no ties: a tier under its schema is one sentence
    with pytest.raises(Exception, match="does not allow ties"):
        load(path)


def test_rm_gallery_tiers_share_a_rank_and_all_equal_is_one_tier(tmp_path: Path) -> None:
    ds = _dataset()
    save(ds, tmp_path / "rm.jsonl", "rm_gallery")
    rec = json.loads((tmp_path / "rm.jsonl").read_text())
    data = rec["output"][0]["answer"]["label"]["annotation_data"]
    assert {k: v["choices"] for k, v in data["choices"].items() if k.endswith("_rank")} == {
        "answer1_rank": ["1"], "answer2_rank": ["1"], "answer3_rank": ["2"], "answer4_rank": ["3"]}
    assert data["processed"]["answer_rankings"] == {"answer_1": 1, "answer_2": 1, "answer_3": 2, "answer_4": 3}
    assert [o["answer"]["label"]["preference"] for o in rec["output"]] == ["chosen", "chosen", "rejected",
                                                                           "rejected"]
    assert _human(load(tmp_path / "rm.jsonl")) == [TIERED]
    # RM-Gallery's best_answer 'all_equal' (before: kept in metadata.rm_gallery.unmapped) is a tie of every answer
    for o in rec["output"]:
        o["answer"]["label"]["annotation_data"] = {
            "choices": {"best_answer": {"choices": ["all_equal"], "type": "choices"}}, "ratings": {},
            "text_areas": {}, "raw_results": []}
        o["answer"]["label"].pop("labelloop_annotations", None)
    (tmp_path / "eq.jsonl").write_text(json.dumps(rec) + "\n", encoding="utf-8")
    back = load(tmp_path / "eq.jsonl")
    (ann,) = [a for a in back.samples[0].annotations if a.kind == "human"]
    assert ann.values == {"ranking": [["p11", "p13", "n12", "n15"]]} and "unmapped" not in ann.metadata["rm_gallery"]
    assert sample_pairs(back.samples[0], back.schema, label_source="human")[0] == []  # a tie: no pair
    # and a tie of every answer goes out as all_equal
    save(back, tmp_path / "eq2.jsonl", "rm_gallery")
    data = json.loads((tmp_path / "eq2.jsonl").read_text())["output"][0]["answer"]["label"]["annotation_data"]
    assert data["choices"] == {"best_answer": {"choices": ["all_equal"], "type": "choices"}}

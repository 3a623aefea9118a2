"""A ranking with ties is a Ranker with one
Bucket per place, titled "1st", "2nd", …; a person's tiers come back as the tiered ranking and a tiered
prediction goes into the buckets (issue 17)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from labelloop.data.model import Candidate, DataSample, Message
from labelloop.formats.labelstudio.config import get_template


def test_rewardbench2_ranking_with_ties_has_a_bucket_per_place_and_reads_tiers():
    t = get_template("rewardbench2")
    root = ET.fromstring(t.label_config(4))
    ranker = next(e for e in root.iter("Ranker") if e.get("name") == "ranking")
    assert [(b.get("name"), b.get("title")) for b in ranker.iter("Bucket")] == [
        ("tier_1", "1st"), ("tier_2", "2nd"), ("tier_3", "3rd"), ("tier_4", "4th")]
    sample = DataSample(id="s", prompt=[Message(role="user", content="prime?")],
                        candidates=[Candidate(id=c, content=c) for c in ("11", "13", "12", "15")])
    data = t.task_data(sample, ["11", "13", "12", "15"], 4)
    result = t.to_result({"ranking": [["11", "13"], "12", "15"]}, data)
    rk = next(r for r in result if r["from_name"] == "ranking")
    assert rk["value"]["ranker"] == {"tier_1": ["A", "B"], "tier_2": ["C"], "tier_3": ["D"], "_": []}
    assert t.process_annotations(result, data)["ranking"] == [["11", "13"], "12", "15"]
    person = [{"from_name": "ranking", "to_name": "ranking_items", "type": "ranker",
               "value": {"ranker": {"_": [], "tier_1": ["B", "A", "C", "D"], "tier_2": [], "tier_3": [],
                                    "tier_4": []}}}]
    assert t.process_annotations(person, data)["ranking"] == [["13", "11", "12", "15"]]

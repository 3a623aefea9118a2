"""A ranking is what a person dragged into the Ranker's bucket: Label Studio 1.17.0 and 1.23.2 save a Ranker even
when nobody touched it (every item still in ``_``, screen order), which must not read as a ranking in screen order.
The result shapes below are the ones both versions saved from their labeling screen (tests/labelstudio/
test_ranker_live.py makes them through the browser)."""

from __future__ import annotations

from labelloop.data.schema import Question
from labelloop.formats.labelstudio.results import RANKED_BUCKET, Control, parse_result, value_to_result

ORDER = ["c1", "c2", "c3"]  # candidate id at screen positions A, B, C
Q = Question(name="ranking", type="ranking", options_from_candidates=True)


def _read(ranker, *, open_=False, bucket=RANKED_BUCKET):
    c = Control("ranking", Q, "ranker", "ranking_items", open=open_, bucket=bucket)
    item = {"from_name": "ranking", "to_name": "ranking_items", "type": "ranker", "value": {"ranker": ranker}}
    values = parse_result([item], lambda _: c, {}, ORDER)
    return dict(values), values.unmapped


def test_an_untouched_ranker_is_no_answer_not_the_screen_order():
    assert _read({"_": ["A", "B", "C"], "ranked": []}) == ({}, [])


def test_the_bucket_order_is_the_ranking_in_candidate_ids():
    assert _read({"_": [], "ranked": ["C", "A", "B"]}) == ({"ranking": ["c3", "c1", "c2"]}, [])


def test_a_ranking_that_leaves_answers_out_is_reported_not_read():
    item_value = {"_": ["B"], "ranked": ["C", "A"]}
    values, unmapped = _read(item_value)
    assert values == {}
    assert [u["value"]["ranker"] for u in unmapped] == [item_value]


def test_a_plain_ranker_of_an_older_project_still_reads():
    assert _read({"ranking": ["B", "A", "C"]}, bucket=None) == ({"ranking": ["c2", "c1", "c3"]}, [])


def test_another_projects_ranker_with_buckets_is_reported_and_an_untouched_one_is_no_answer():
    assert _read({"_": ["A", "B", "C"], "pos": [], "neg": []}, open_=True) == ({}, [])
    values, unmapped = _read({"_": ["C"], "pos": ["A"], "neg": ["B"]}, open_=True)
    assert values == {} and len(unmapped) == 1
    assert _read({"rank": ["C", "B", "A"]}, open_=True) == ({"ranking": ["c3", "c2", "c1"]}, [])


def test_a_prediction_is_written_into_the_bucket_and_reads_back():
    c = Control("ranking", Q, "ranker", "ranking_items", bucket=RANKED_BUCKET)
    result = value_to_result(c, ["c2", "c3", "c1"], {cid: i for i, cid in enumerate(ORDER)})
    assert result == [{"from_name": "ranking", "to_name": "ranking_items", "type": "ranker",
                       "value": {"ranker": {"ranked": ["B", "C", "A"], "_": []}}}]
    assert _read(result[0]["value"]["ranker"]) == ({"ranking": ["c2", "c3", "c1"]}, [])


def test_ranking_items_show_an_answer_as_clean_text_not_markdown():
    from labelloop.data.model import Candidate, DataSample, Message
    from labelloop.formats.labelstudio.config import get_template

    sample = DataSample(id="s", prompt=[Message(role="user", content="17 × 24?")], candidates=[
        Candidate(id="a", content="17 × 24 = 408. **Answer: 408**"),
        Candidate(id="b", content="`x < y` and <b>raw</b>\n\n| n | v |\n|---|---|\n| 1 | 2 |")])
    items = get_template("rewardbench2").task_data(sample, ["b", "a"], 2)["ranking_items"]
    assert [(i["id"], i["body"]) for i in items] == [("A", "x < y and <b>raw</b> n v 1 2"),
                                                     ("B", "17 × 24 = 408. Answer: 408")]


# ---------------------------------------------------------------- rankings with ties (issue 17): one Bucket per place
TIED = Question(name="ranking", type="ranking", options_from_candidates=True, ties=True)


def _read_tied(ranker, question=TIED, bucket=None):
    from labelloop.formats.labelstudio.results import TIER_BUCKET

    c = Control("ranking", question, "ranker", "ranking_items", bucket=bucket or TIER_BUCKET)
    item = {"from_name": "ranking", "to_name": "ranking_items", "type": "ranker", "value": {"ranker": ranker}}
    values = parse_result([item], lambda _: c, {}, ORDER)
    return dict(values), len(values.unmapped)


def test_tier_buckets_read_as_a_tiered_ranking():
    assert _read_tied({"_": [], "tier_1": ["C", "A"], "tier_2": [], "tier_3": ["B"]}) == (
        {"ranking": [["c3", "c1"], "c2"]}, 0)
    assert _read_tied({"_": [], "tier_2": ["B"], "tier_1": ["A"], "tier_10": ["C"]}) == (
        {"ranking": ["c1", "c2", "c3"]}, 0)  # by the place number, not the key order; one per place: flat
    assert _read_tied({"_": ["A", "B", "C"], "tier_1": [], "tier_2": [], "tier_3": []}) == ({}, 0)  # untouched
    assert _read_tied({"_": ["B"], "tier_1": ["C", "A"]}) == ({}, 1)  # an answer left out: reported, not read
    # a question without ties does not take a tier; a ranker of another project with tier buckets does
    assert _read_tied({"_": [], "tier_1": ["C", "A"], "tier_2": ["B"]},
                      question=Q, bucket=RANKED_BUCKET) == ({}, 1)
    c = Control("ranking", Q, "ranker", "ranking_items", open=True)
    item = {"from_name": "ranking", "to_name": "ranking_items", "type": "ranker",
            "value": {"ranker": {"_": [], "tier_1": ["B", "C"], "tier_2": ["A"]}}}
    assert dict(parse_result([item], lambda _: c, {}, ORDER)) == {"ranking": [["c2", "c3"], "c1"]}


def test_a_tiered_prediction_is_written_into_tier_buckets_and_reads_back():
    from labelloop.formats.labelstudio.results import TIER_BUCKET, tier_bucket_names

    c = Control("ranking", TIED, "ranker", "ranking_items", bucket=TIER_BUCKET)
    result = value_to_result(c, [["c2", "c3"], "c1"], {cid: i for i, cid in enumerate(ORDER)})
    assert result == [{"from_name": "ranking", "to_name": "ranking_items", "type": "ranker",
                       "value": {"ranker": {"tier_1": ["B", "C"], "tier_2": ["A"], "_": []}}}]
    assert _read_tied(result[0]["value"]["ranker"]) == ({"ranking": [["c2", "c3"], "c1"]}, 0)
    assert tier_bucket_names(4) == [("tier_1", "1st"), ("tier_2", "2nd"), ("tier_3", "3rd"), ("tier_4", "4th")]
    assert [t for _, t in tier_bucket_names(13)][10:] == ["11th", "12th", "13th"]

"""Labelbox files: labelloop -> data rows + NDJSON + ontology -> labelloop keeps everything; documented payloads parse."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from labelloop.data.model import Annotation, Candidate, DataSample, Dataset, Message
from labelloop.data.schema import AnnotationSchema, Option, Question, RubricLevel
from labelloop.errors import FormatError
from labelloop.formats import load, save
from labelloop.formats.labelbox import ontology_from_schema, schema_from_ontology

DOCS = Path(__file__).resolve().parents[1] / "data" / "labelbox"


def schema() -> AnnotationSchema:
    return AnnotationSchema(name="pref", questions=[
        Question(name="preference", type="single_choice", options_from_candidates=True,
                 options=[Option(value="tie", label="Tie", followups=[Question(name="tie_reason", type="text")])]),
        Question(name="flags", type="multi_choice", required=False, options=[
            Option(value="unsafe", followups=[Question(name="severity", type="single_choice",
                                                       options=[Option(value="low"), Option(value="high")])]),
            Option(value="wrong")]),
        Question(name="quality", type="rating", per_candidate=True, required=False,
                 rubric=[RubricLevel(value=1, label="bad"), RubricLevel(value=2), RubricLevel(value=3, label="good")]),
        Question(name="ok", type="single_choice", per_candidate=True, required=False, options=[
            Option(value="yes"), Option(value="no", followups=[Question(name="fix", type="text", per_candidate=True)])]),
        Question(name="ranking", type="ranking", options_from_candidates=True, required=False),
        Question(name="spans", type="span", required=False, options=[
            Option(value="error", followups=[Question(name="kind", type="single_choice",
                                                      options=[Option(value="fact"), Option(value="math")])]),
            Option(value="good")]),
        Question(name="comment", type="text", required=False),
    ])


def dataset(ids: tuple[str, str] = ("x", "y")) -> Dataset:
    a, b = ids
    s = DataSample(
        id="s1", prompt=[Message(role="system", content="Be brief."), Message(role="user", content="What is 2+2? 😀 ok")],
        candidates=[Candidate(id=a, content="It is 5.", model="m1"), Candidate(id=b, content="4", model="m2")],
        annotations=[
            Annotation(annotator="judge", kind="prediction", model_version="j1", score=0.8,
                       values={"preference": b, "quality": {a: 1, b: 3}}),
            Annotation(annotator="a@x", kind="human", values={
                "preference": "tie", "tie_reason": "both", "flags": ["unsafe", "wrong"], "severity": "high",
                "ok": {a: "no", b: "yes"}, "fix": {a: "say 4"}, "ranking": [b, a], "comment": "hm",
                "spans": [{"field": "candidates." + a, "start": 6, "end": 7, "label": "error", "values": {"kind": "math"}},
                          {"field": "prompt", "start": 8, "end": 13, "label": "good"},
                          {"field": "prompt.0", "start": 0, "end": 2, "label": "good"}]}),
            Annotation(annotator="b@x", kind="human", values={"preference": a}, lead_time_s=2.5),
            Annotation(annotator="merge", kind="aggregate", values={"preference": b}),
            Annotation(annotator="rb", kind="reference", values={"preference": b}),
        ])
    s2 = DataSample(id="s2", prompt=[Message(role="user", content="Hi")],
                    candidates=[Candidate(id=a, content="Hello"), Candidate(id=b, content="Hey")],
                    annotations=[Annotation(annotator="a@x", kind="human", values={"preference": a})])
    return Dataset(name="lbtest", samples=[s, s2], schema=schema(), metadata={"source": "unit"})


def test_values_are_valid_under_the_schema():
    ds = dataset()
    assert [schema().validate_values(ds.samples[0], a.values, partial=True)
            for a in ds.samples[0].annotations] == [[], [], [], [], []]


def test_round_trip_keeps_every_value_span_nesting_kind_and_author(tmp_path):
    ds = dataset()
    assert save(ds, tmp_path / "lb.jsonl", "labelbox") == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "lb.jsonl", "lb.labelloop.json", "lb.labels-2.ndjson", "lb.labels-3.ndjson", "lb.labels-4.ndjson",
        "lb.labels.ndjson", "lb.mal.ndjson", "lb.ontology.json"]
    back = load(tmp_path / "lb.jsonl")  # recognised by its columns
    assert back.model_dump() == ds.model_dump()


def test_mal_and_ground_truth_lines_match_labelbox_payloads(tmp_path):
    save(dataset(), tmp_path / "lb.jsonl", "labelbox")
    mal = [json.loads(x) for x in (tmp_path / "lb.mal.ndjson").read_text().splitlines()]
    assert [{k: v for k, v in x.items() if k != "uuid"} for x in mal] == [
        {"name": "preference", "answer": {"name": "Response B"}, "dataRow": {"globalKey": "s1"}},
        {"name": "quality", "answer": {"name": "1"}, "messageId": "Response A", "dataRow": {"globalKey": "s1"}},
        {"name": "quality", "answer": {"name": "3"}, "messageId": "Response B", "dataRow": {"globalKey": "s1"}}]
    gt = [json.loads(x) for x in (tmp_path / "lb.labels.ndjson").read_text().splitlines()]
    gt = [x for x in gt if x["dataRow"] == {"globalKey": "s1"}]
    by_name = {}
    for x in gt:
        by_name.setdefault(x["name"], []).append({k: v for k, v in x.items() if k not in ("uuid", "dataRow")})
    assert by_name["preference"] == [{"name": "preference", "answer": {"name": "tie", "classifications": [
        {"name": "tie_reason", "answer": "both"}]}}]
    assert by_name["flags"][0]["answer"] == [
        {"name": "unsafe", "classifications": [{"name": "severity", "answer": {"name": "high"}}]}, {"name": "wrong"}]
    assert by_name["ok"][0] == {"name": "ok", "answer": {"name": "no", "classifications": [
        {"name": "fix", "answer": "say 4"}]}, "messageId": "Response A"}
    assert by_name["error"] == [{"name": "error", "location": {"start": 6, "end": 6}, "messageId": "Response A",
                                 "classifications": [{"name": "kind", "answer": {"name": "math"}}]}]
    assert by_name["good"] == [{"name": "good", "location": {"start": 8, "end": 12}, "messageId": "message-1"},
                               {"name": "good", "location": {"start": 0, "end": 1}, "messageId": "message-0"}]
    assert by_name["ranking"][0]["answer"] == "Response B > Response A"
    rows = [json.loads(x) for x in (tmp_path / "lb.jsonl").read_text().splitlines()]
    assert rows[0]["global_key"] == "s1"
    assert rows[0]["row_data"]["modelOutputs"] == [
        {"title": "Response A", "content": "It is 5.", "modelConfigName": "m1"},
        {"title": "Response B", "content": "4", "modelConfigName": "m2"}]
    assert [m["user"]["userId"] for m in rows[0]["row_data"]["messages"]] == ["system", "user"]


def test_without_the_sidecar_values_spans_nesting_and_kinds_survive(tmp_path):
    ds = dataset(("0", "1"))
    save(ds, tmp_path / "lb.jsonl", "labelbox")
    (tmp_path / "lb.labelloop.json").unlink()
    back = load(tmp_path / "lb.jsonl", format="labelbox")
    s = back.samples[0]
    # ontology-derived schema: candidates are the "Response A/B" options, ratings radio option names
    assert [(a.kind, a.annotator) for a in s.annotations] == [
        ("human", "labelbox:lb.labels"), ("human", "labelbox:lb.labels-2"), ("human", "labelbox:lb.labels-3"),
        ("human", "labelbox:lb.labels-4"), ("prediction", "labelbox:lb.mal")]
    human = s.annotations[0].values
    assert human["preference"] == "tie" and human["tie_reason"] == "both"
    assert human["flags"] == ["unsafe", "wrong"] and human["severity"] == "high"
    assert human["ok"] == {"0": "no", "1": "yes"} and human["fix"] == {"0": "say 4"}
    assert human["entities"] == [  # the ontology names the span question "entities"
        {"field": "candidates.0", "start": 6, "end": 7, "label": "error", "values": {"kind": "math"}},
        {"field": "prompt", "start": 8, "end": 13, "label": "good"},
        {"field": "prompt.0", "start": 0, "end": 2, "label": "good"}]
    # "Response B" names the second model output, so the ontology's candidate options answer in candidate ids
    assert s.annotations[4].values == {"preference": "1", "quality": {"0": "1", "1": "3"}}


def test_ontology_matches_the_schema_and_reads_back():
    ont = ontology_from_schema(schema(), 2)
    assert [(t["tool"], t["name"]) for t in ont["tools"]] == [("named-entity", "error"), ("named-entity", "good")]
    assert ont["tools"][0]["classifications"][0]["name"] == "kind"
    pref = ont["classifications"][0]
    assert (pref["type"], pref["scope"], [o["value"] for o in pref["options"]]) == (
        "radio", "global", ["Response A", "Response B", "tie"])
    assert pref["options"][2]["options"][0] == {"type": "text", "instructions": "tie_reason", "name": "tie_reason",
                                                "required": True, "options": [], "schemaNodeId": None,
                                                "featureSchemaId": None}
    quality = next(c for c in ont["classifications"] if c["name"] == "quality")
    assert (quality["type"], quality["scope"], [o["label"] for o in quality["options"]]) == (
        "radio", "index", ["1: bad", "2", "3: good"])
    back = schema_from_ontology(ont)
    assert [q.name for q in back.all_questions()] == ["preference", "tie_reason", "flags", "severity", "quality",
                                                      "ok", "fix", "ranking", "comment", "entities"]
    assert back.question("entities").followups()[0][1].name == "kind"


def test_documented_payloads_parse(tmp_path):
    for p in DOCS.iterdir():
        shutil.copy(p, tmp_path / p.name)
    ds = load(tmp_path / "pairwise.jsonl")
    s = ds.samples[0]
    assert s.id == "pairwise_shopping_asset"
    assert [m.role for m in s.prompt] == ["assistant", "user"]
    assert [(c.id, c.model) for c in s.candidates] == [("0", "GPT-3.5 with temperature 0"),
                                                       ("1", "Fine Tuned GPT-3.5 with demo data")]
    assert [(a.kind, a.annotator) for a in s.annotations] == [("human", "labelbox:pairwise.labels"),
                                                             ("prediction", "labelbox:pairwise.mal")]
    assert s.annotations[0].values == {
        "entities": [{"field": "prompt", "start": 0, "end": 9, "label": "ner"}],
        "Choose the best response": "1",
        "Provide a reason for your choice": "This is the more concise answer",
        # message-scoped on the user's turn (message-1): questions about the prompt, plain values
        "checklist_convo": ["first_checklist_answer", "second_checklist_answer"],
        "nested_checklist_question": ["first_checklist_answer"],
        "sub_checklist_question": ["first_sub_checklist_answer"],
        "nested_radio_question": "first_radio_answer",
        "sub_radio_question": "first_sub_radio_answer",
    }
    assert s.annotations[1].values == {"Choose the best response": "1",
                                       "Provide a reason for your choice": "This is the more concise answer"}
    assert ds.schema is not None and ds.schema.parent_of("sub_radio_question")[1] == "first_radio_answer"


def test_bad_lines_name_the_file_and_line(tmp_path):
    for p in DOCS.iterdir():
        shutil.copy(p, tmp_path / p.name)
    (tmp_path / "pairwise.mal.ndjson").write_text('{"name": "x", "answer": "y"}\n')
    with pytest.raises(FormatError, match=r"pairwise.mal.ndjson:1: the annotation has no dataRow"):
        load(tmp_path / "pairwise.jsonl")
    (tmp_path / "pairwise.mal.ndjson").write_text(
        '{"name": "x", "answer": "y", "messageId": "nope", "dataRow": {"globalKey": "pairwise_shopping_asset"}}\n')
    with pytest.raises(FormatError, match=r"pairwise.mal.ndjson:1: messageId 'nope' of 'x'"):
        load(tmp_path / "pairwise.jsonl")

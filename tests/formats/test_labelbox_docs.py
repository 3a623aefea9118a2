"""Labelbox's documented payloads, written literally by the tests, read and written back with their meaning.

Sources (the examples are copied as they stand there):
- LLM pairwise comparison: https://github.com/Labelbox/labelbox-notebooks/blob/main/annotation_import/conversational_LLM.ipynb
  (the ``pairwise_shopping_2`` row data, its ontology and its NDJSON annotations; the same payloads are on
  https://docs.labelbox.com/reference/import-multimodal-chat-annotations, "Import multimodal chat annotations")
- nested classifications under a tool and under a classification, one name (``sub_radio_question``) under both:
  https://github.com/Labelbox/labelbox-notebooks/blob/main/annotation_import/conversational.ipynb and the
  "bbox_with_radio_subclass" / "nested_radio_question" examples of
  https://github.com/Labelbox/labelbox-notebooks/blob/main/annotation_import/image.ipynb
- a project export (Export v2: ``data_row``, ``projects -> labels -> annotations``):
  https://docs.labelbox.com/reference/export-conversational-text-annotations and
  https://docs.labelbox.com/reference/export-multimodal-chat-annotations
"""

from __future__ import annotations

import json
from pathlib import Path

from labelloop.formats import load, save
from labelloop.formats.export import export_dataset

PAIRWISE_SHOPPING_2 = {
    "type": "application/vnd.labelbox.conversational",
    "version": 1,
    "messages": [
        {"messageId": "message-0", "timestampUsec": 1530718491, "content": "Hi! How can I help?",
         "user": {"userId": "Bot 002", "name": "Bot"}, "align": "left", "canLabel": False},
        {"messageId": "message-1", "timestampUsec": 1530718503,
         "content": "I just bought a vacuum cleaner from you guys like a week ago and it's already broken!!",
         "user": {"userId": "User 00686", "name": "User"}, "align": "right", "canLabel": True},
    ],
    "modelOutputs": [
        {"title": "Response A",
         "content": "I'm really sorry to hear that your vacuum cleaner is not working as expected. We certainly "
                    "understand how frustrating this can be, especially with a recent purchase. I assure you, "
                    "we're here to help!\n\n To proceed with resolving this issue, could you please provide some "
                    "details about the problem you're experiencing with the vacuum cleaner? Additionally, if you "
                    "could share your order number or receipt details, that would be very helpful. We will "
                    "definitely look into the available options for you, which may include a replacement or a "
                    "refund, depending on the specific circumstances and our return policy.\n\n Your "
                    "satisfaction is our priority, and we'll do our best to resolve this matter promptly and to "
                    "your satisfaction.",
         "modelConfigName": "GPT-3.5 with temperature 0"},
        {"title": "Response B",
         "content": "I'm sorry about the issue with your vacuum cleaner. Please send us the order number or "
                    "receipt details so we can quickly assist you with a replacement. Your satisfaction is "
                    "important to us!",
         "modelConfigName": "Fine Tuned GPT-3.5 with demo data"},
    ],
}
GLOBAL_KEY = "pairwise_shooping_asset"  # sic, as in the notebook


def _option(value, options=()):
    return {"schemaNodeId": None, "featureSchemaId": None, "label": value, "value": value, "options": list(options)}


def _classification(kind, name, options=(), scope=None):
    out = {"type": kind, "instructions": name, "name": name, "required": False, "options": list(options),
           "schemaNodeId": None, "featureSchemaId": None}
    if scope:
        out["scope"] = scope
    return out


#: the notebook's OntologyBuilder(...).asdict()
PAIRWISE_ONTOLOGY = {
    "tools": [{"tool": "named-entity", "name": "ner", "required": False, "color": "#ff0000", "classifications": [],
               "schemaNodeId": None, "featureSchemaId": None}],
    "classifications": [
        _classification("radio", "Choose the best response",
                        [_option("Response A"), _option("Response B"), _option("Tie")], "global"),
        _classification("text", "Provide a reason for your choice", scope="global"),
        _classification("checklist", "checklist_convo",
                        [_option("first_checklist_answer"), _option("second_checklist_answer")], "index"),
        _classification("checklist", "nested_checklist_question", [_option("first_checklist_answer", [
            _classification("checklist", "sub_checklist_question", [_option("first_sub_checklist_answer")])])],
            "index"),
        _classification("radio", "nested_radio_question", [_option("first_radio_answer", [
            _classification("radio", "sub_radio_question", [_option("first_sub_radio_answer")])])], "global"),
    ],
}

#: the notebook's ner / radio / text / checklist / nested checklist / nested radio NDJSON annotations
PAIRWISE_NDJSON = [
    {"name": "ner", "location": {"start": 0, "end": 8}, "messageId": "message-1"},
    {"name": "Choose the best response", "answer": {"name": "Response B"}},
    {"name": "Provide a reason for your choice", "answer": "This is the more concise answer"},
    {"name": "checklist_convo", "answers": [{"name": "first_checklist_answer"}, {"name": "second_checklist_answer"}],
     "messageId": "message-1"},
    {"name": "nested_checklist_question", "messageId": "message-1",
     "answer": [{"name": "first_checklist_answer", "classifications": [
         {"name": "sub_checklist_question", "answer": {"name": "first_sub_checklist_answer"}}]}]},
    {"name": "nested_radio_question", "answer": {"name": "first_radio_answer", "classifications": [
        {"name": "sub_radio_question", "answer": {"name": "first_sub_radio_answer"}}]}},
]

PAIRWISE_VALUES = {
    "entities": [{"field": "prompt", "start": 0, "end": 9, "label": "ner"}],
    "Choose the best response": "1",  # "Response B": the second model output
    "Provide a reason for your choice": "This is the more concise answer",
    "checklist_convo": ["first_checklist_answer", "second_checklist_answer"],
    "nested_checklist_question": ["first_checklist_answer"],
    "sub_checklist_question": ["first_sub_checklist_answer"],
    "nested_radio_question": "first_radio_answer",
    "sub_radio_question": "first_sub_radio_answer",
}


def _write(tmp: Path, *, ontology: bool = True, lines=PAIRWISE_NDJSON) -> Path:
    rows = tmp / "pairwise.jsonl"
    rows.write_text(json.dumps({"global_key": GLOBAL_KEY, "row_data": PAIRWISE_SHOPPING_2}) + "\n")
    (tmp / "pairwise.labels.ndjson").write_text(
        "".join(json.dumps({**x, "dataRow": {"globalKey": GLOBAL_KEY}}) + "\n" for x in lines))
    if ontology:
        (tmp / "pairwise.ontology.json").write_text(json.dumps(PAIRWISE_ONTOLOGY))
    return rows


def test_documented_pairwise_labels_read_with_their_meaning(tmp_path):
    ds = load(_write(tmp_path))
    s = ds.samples[0]
    assert [(c.id, c.model) for c in s.candidates] == [("0", "GPT-3.5 with temperature 0"),
                                                       ("1", "Fine Tuned GPT-3.5 with demo data")]
    assert [(a.annotator, a.kind) for a in s.annotations] == [("labelbox:pairwise.labels", "human")]
    assert s.annotations[0].values == PAIRWISE_VALUES
    best = ds.schema.question("Choose the best response")
    assert (best.options_from_candidates, [o.value for o in best.options]) == (True, ["Tie"])
    convo = ds.schema.question("checklist_convo")
    assert (convo.per_candidate, convo.fields) == (False, ["prompt"])
    assert ds.schema.validate_values(s, s.annotations[0].values) == []


def test_choose_the_best_response_becomes_one_training_pair_without_the_sidecar(tmp_path):
    ds = load(_write(tmp_path))
    out = tmp_path / "dpo.jsonl"
    export_dataset(ds, out, "dpo")
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(rows) == 1
    assert rows[0]["chosen"][-1]["content"] == PAIRWISE_SHOPPING_2["modelOutputs"][1]["content"]
    assert rows[0]["rejected"][-1]["content"] == PAIRWISE_SHOPPING_2["modelOutputs"][0]["content"]


def test_a_radio_answer_naming_a_model_config_name_is_that_candidate(tmp_path):
    lines = [{"name": "Choose the best response", "answer": {"name": "GPT-3.5 with temperature 0"}}]
    ds = load(_write(tmp_path, lines=lines))
    assert ds.samples[0].annotations[0].values == {"Choose the best response": "0"}


def test_message_scoped_labels_timestamps_and_users_are_written_back(tmp_path):
    ds = load(_write(tmp_path))
    out = tmp_path / "out"
    out.mkdir()
    assert save(ds, out / "lb.jsonl", "labelbox") == 1
    lines = [json.loads(x) for x in (out / "lb.labels.ndjson").read_text().splitlines()]
    by_name = {x["name"]: {k: v for k, v in x.items() if k not in ("uuid", "dataRow")} for x in lines}
    assert by_name["checklist_convo"] == {"name": "checklist_convo", "messageId": "message-1", "answer": [
        {"name": "first_checklist_answer"}, {"name": "second_checklist_answer"}]}
    assert by_name["nested_checklist_question"] == {"name": "nested_checklist_question", "messageId": "message-1",
                                                    "answer": [{"name": "first_checklist_answer", "classifications": [
                                                        {"name": "sub_checklist_question",
                                                         "answer": [{"name": "first_sub_checklist_answer"}]}]}]}
    assert by_name["Choose the best response"] == {"name": "Choose the best response",
                                                   "answer": {"name": "Response B"}}
    assert by_name["ner"] == {"name": "ner", "location": {"start": 0, "end": 8}, "messageId": "message-1"}
    row = json.loads((out / "lb.jsonl").read_text())
    assert row["row_data"]["messages"] == PAIRWISE_SHOPPING_2["messages"]  # timestampUsec, userId, name kept
    assert row["row_data"]["modelOutputs"] == PAIRWISE_SHOPPING_2["modelOutputs"]
    ontology = json.loads((out / "lb.ontology.json").read_text())
    assert {c["name"]: c["scope"] for c in ontology["classifications"]}["checklist_convo"] == "index"
    (out / "lb.labelloop.json").unlink()  # without labelloop's sidecar the same labels come back
    back = load(out / "lb.jsonl")
    assert back.samples[0].annotations[0].values == PAIRWISE_VALUES
    assert back.samples[0].metadata == ds.samples[0].metadata


def test_a_label_on_another_prompt_message_is_kept_and_written_back(tmp_path):
    lines = [{"name": "checklist_convo", "answers": [{"name": "first_checklist_answer"}], "messageId": "message-0"}]
    ds = load(_write(tmp_path, lines=lines))
    ann = ds.samples[0].annotations[0]
    assert ann.values == {}
    assert ann.metadata["labelbox"]["other_lines"] == lines
    out = tmp_path / "out"
    out.mkdir()
    save(ds, out / "lb.jsonl", "labelbox")
    written = [json.loads(x) for x in (out / "lb.labels.ndjson").read_text().splitlines()]
    assert [{k: v for k, v in x.items() if k not in ("uuid", "dataRow")} for x in written] == lines


def test_without_an_ontology_the_answers_imply_one(tmp_path):
    ds = load(_write(tmp_path, ontology=False))
    # the nested checklist's one answer comes as an object, so without the ontology it reads as a radio's
    assert ds.samples[0].annotations[0].values == {**PAIRWISE_VALUES,
                                                   "sub_checklist_question": "first_sub_checklist_answer"}
    assert ds.schema.question("Choose the best response").options_from_candidates is True
    assert ds.schema.question("nested_radio_question").followups()[0][1].name == "sub_radio_question"


#: an entity with a radio subclass, and ``sub_radio_question`` nested under that tool and under a radio
NESTED_ONTOLOGY = {
    "tools": [{"tool": "named-entity", "name": "ner_with_radio_subclass", "required": False, "color": "#ff0000",
               "classifications": [_classification("radio", "sub_radio_question", [_option("first_sub_radio_answer")])],
               "schemaNodeId": None, "featureSchemaId": None}],
    "classifications": [
        _classification("radio", "nested_radio_question", [_option("first_radio_answer", [
            _classification("radio", "sub_radio_question", [_option("first_sub_radio_answer")])])], "global"),
    ],
}
NESTED_NDJSON = [
    {"name": "ner_with_radio_subclass", "location": {"start": 0, "end": 8}, "messageId": "message-1",
     "classifications": [{"name": "sub_radio_question", "answer": {"name": "first_sub_radio_answer"}}]},
    {"name": "nested_radio_question", "answer": {"name": "first_radio_answer", "classifications": [
        {"name": "sub_radio_question", "answer": {"name": "first_sub_radio_answer"}}]}},
]


def test_entity_with_a_radio_subclass_and_one_nested_name_under_two_parents(tmp_path):
    rows = _write(tmp_path, ontology=False, lines=NESTED_NDJSON)
    (tmp_path / "pairwise.ontology.json").write_text(json.dumps(NESTED_ONTOLOGY))
    ds = load(rows)
    assert [q.name for q in ds.schema.all_questions()] == ["nested_radio_question", "sub_radio_question", "entities"]
    span_q = ds.schema.question("entities")
    assert span_q.followups()[0][1].name == "ner_with_radio_subclass/sub_radio_question"
    values = ds.samples[0].annotations[0].values
    assert values == {
        "entities": [{"field": "prompt", "start": 0, "end": 9, "label": "ner_with_radio_subclass",
                      "values": {"ner_with_radio_subclass/sub_radio_question": "first_sub_radio_answer"}}],
        "nested_radio_question": "first_radio_answer", "sub_radio_question": "first_sub_radio_answer"}
    assert ds.schema.validate_values(ds.samples[0], values) == []
    out = tmp_path / "out"
    out.mkdir()
    save(ds, out / "lb.jsonl", "labelbox")
    written = [json.loads(x) for x in (out / "lb.labels.ndjson").read_text().splitlines()]
    assert sorted(json.dumps({k: v for k, v in x.items() if k not in ("uuid", "dataRow")}, sort_keys=True)
                   for x in written) == sorted(json.dumps(x, sort_keys=True) for x in NESTED_NDJSON)
    ontology = json.loads((out / "lb.ontology.json").read_text())
    assert ontology["tools"][0]["classifications"][0]["name"] == "sub_radio_question"
    (out / "lb.labelloop.json").unlink()
    assert load(out / "lb.jsonl").samples[0].annotations[0].values == values


#: one data row of a project export (Export v2), its label in the documented export shapes
EXPORT_ROW = {
    "data_row": {"id": "clws2arr200003b6p7dfm1sgs", "global_key": GLOBAL_KEY, "row_data": PAIRWISE_SHOPPING_2,
                 "details": {"dataset_id": "clws2aaaa00003b6p", "dataset_name": "pairwise_annotation_demo"}},
    "media_attributes": {"mime_type": "application/vnd.labelbox.conversational"},
    "attachments": [], "metadata_fields": [],
    "projects": {"clws2b3z100003b6p": {"name": "Pairwise comparison", "labels": [{
        "label_kind": "Default", "version": "1.0.0", "id": "clws3nk6m00013b6p",
        "label_details": {"created_at": "2024-05-23T17:39:41.000+00:00",
                          "updated_at": "2024-05-23T17:40:02.000+00:00", "created_by": "ana@example.com",
                          "content_last_updated_at": "2024-05-23T17:40:01.912+00:00", "reviews": []},
        "performance_details": {"seconds_to_create": 21, "seconds_to_review": 0, "skipped": False},
        "annotations": {
            "objects": [{"feature_id": "cle6b4b0h00053b6j8eaxkbow", "name": "ner",
                         "annotation_kind": "ConversationalTextEntity", "classifications": [],
                         "conversational_location": {"message_id": "message-1", "location": {"start": 0, "end": 8}}}],
            "classifications": [
                {"feature_id": "clws3nkhh00043b6p7qktjffs", "feature_schema_id": "clws3n1yu055907wlg1uh1i8g",
                 "name": "Choose the best response", "value": "choose_the_best_response",
                 "radio_answer": {"feature_id": "clws3nkhh00033b6ps99i1d56", "name": "Response B",
                                  "value": "response_b", "classifications": []}},
                {"feature_id": "clws3or5q00093b6p00oxtkve", "name": "Provide a reason for your choice",
                 "value": "provide_a_reason_for_your_choice", "text_answer": {"content": "Shorter and asks for "
                                                                                         "the order number"}},
                {"feature_id": "clpiyav9m00053b6mpe2qk0im", "name": "checklist_convo", "value": "checklist_convo",
                 "message_id": "message-1",
                 "conversational_checklist_answers": [{"name": "first_checklist_answer",
                                                       "value": "first_checklist_answer", "classifications": []}]},
            ],
            "relationships": []}}]}},
}


def test_a_project_export_reads_as_human_labels(tmp_path):
    p = tmp_path / "export.ndjson"
    p.write_text(json.dumps(EXPORT_ROW) + "\n")
    ds = load(p, format="labelbox")
    s = ds.samples[0]
    assert s.id == GLOBAL_KEY and [m.content for m in s.prompt] == [m["content"]
                                                                    for m in PAIRWISE_SHOPPING_2["messages"]]
    ann = s.annotations[0]
    assert (ann.annotator, ann.kind, ann.lead_time_s, ann.created_at.isoformat()) == (
        "ana@example.com", "human", 21.0, "2024-05-23T17:39:41+00:00")
    assert ann.metadata == {"labelbox": {"project_id": "clws2b3z100003b6p", "label_id": "clws3nk6m00013b6p",
                                         "project_name": "Pairwise comparison"}}
    assert ann.values == {"entities": [{"field": "prompt", "start": 0, "end": 9, "label": "ner"}],
                          "Choose the best response": "1",
                          "Provide a reason for your choice": "Shorter and asks for the order number",
                          "checklist_convo": ["first_checklist_answer"]}
    out = tmp_path / "dpo.jsonl"
    export_dataset(ds, out, "dpo")
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert [r["chosen"][-1]["content"] for r in rows] == [PAIRWISE_SHOPPING_2["modelOutputs"][1]["content"]]

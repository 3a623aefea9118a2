"""RM-Gallery 0.1.7 DataSample files, read and written.

The input records are RM-Gallery's own output (the RewardBench converter's row in the research
notes, timestamps included); written records are checked against the field list of
rm-gallery 0.1.7's pydantic models, written down below (the tests do not need rm-gallery).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from labelloop.api import create_exporter
from labelloop.data.model import Annotation, Candidate, DataSample, Dataset, Message
from labelloop.errors import LabelloopError
from labelloop.formats import load, save
from labelloop.formats.export import export_dataset
from labelloop.formats.reader import SampleReader
from labelloop.formats.rm_gallery import rm_gallery_schema
from labelloop.templates import TEMPLATES

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "rewardbench2_example.jsonl"

# ---------------------------------------------------------------- rm-gallery 0.1.7 models, written down
# rm_gallery/core/model/message.py, core/data/schema.py (field name -> accepted JSON types)
ROLES = {"system", "user", "assistant", "function"}
CHAT_MESSAGE = {"role": str, "name": (str, type(None)), "content": object, "reasoning_content": object,
                "tool_calls": (list, type(None)), "additional_kwargs": dict, "time_created": str}
STEP = {**CHAT_MESSAGE, "label": (dict, type(None)), "reward": dict}
DATA_OUTPUT = {"answer": dict, "steps": (list, type(None))}
DATA_SAMPLE = {"unique_id": str, "input": list, "output": list, "task_category": (str, type(None)),
               "source": (str, type(None)), "created_at": str, "metadata": (dict, type(None))}
REQUIRED = {"DataSample": {"unique_id"}, "DataOutput": {"answer"}}


def _check_fields(obj: dict[str, Any], fields: dict[str, Any], what: str) -> None:
    assert isinstance(obj, dict), what
    extra = set(obj) - set(fields)
    assert not extra, f"{what} has fields rm-gallery 0.1.7 does not know: {extra}"
    for key, types in fields.items():
        if key in obj:
            assert isinstance(obj[key], types), f"{what}.{key} = {obj[key]!r}"
    for key in REQUIRED.get(what, ()):
        assert key in obj, f"{what} lacks required {key}"


def assert_rm_gallery_datasample(rec: dict[str, Any]) -> None:
    """What ``DataSample.model_validate`` checks, for the fields we write."""
    _check_fields(rec, DATA_SAMPLE, "DataSample")
    for msg in rec["input"]:
        _check_fields(msg, CHAT_MESSAGE, "ChatMessage")
        assert msg["role"] in ROLES
    for out in rec["output"]:
        _check_fields(out, DATA_OUTPUT, "DataOutput")
        _check_fields(out["answer"], STEP, "Step")
        assert out["answer"]["role"] in ROLES
        reward = out["answer"]["reward"]
        assert set(reward) == {"score", "details"} and isinstance(reward["score"], float)


# ---------------------------------------------------------------- RM-Gallery's own output (research notes)
def _msg(role: str, content: str) -> dict[str, Any]:
    return {"role": role, "name": None, "content": content, "reasoning_content": "", "tool_calls": None,
            "additional_kwargs": {}, "time_created": "2026-11-23T09:19:50.404951"}


def _out(content: str, label: dict[str, Any]) -> dict[str, Any]:
    return {"answer": {**_msg("assistant", content), "label": label, "reward": {"score": 0.0, "details": []}},
            "steps": None}


RB_ROW = {"prompt": "What is 2+2?", "chosen": "2+2 equals 4.", "chosen_model": "gpt-4", "rejected": "2+2 equals 5.",
          "rejected_model": "llama-2-7b-chat", "subset": "math-prm", "id": 42}
RB_SAMPLE = {
    "unique_id": "936dbc8755f623c951d96ea2b03e13bc",
    "input": [_msg("user", "What is 2+2?")],
    "output": [_out("2+2 equals 4.", {"preference": "chosen"}), _out("2+2 equals 5.", {"preference": "rejected"})],
    "task_category": "conversation", "source": "rewardbench", "created_at": "2026-11-23T09:19:50.405025",
    "metadata": {"raw_data": RB_ROW, "load_strategy": "RewardBenchConverter", "source_file_path": "rb.jsonl",
                 "load_type": "local"},
}
RB2_SAMPLE = {  # RewardBench2Converter: chosen first, then rejected; models in the labels (rmb-style)
    "unique_id": "17",
    "input": [_msg("user", "Name a prime number.")],
    "output": [_out("7", {"preference": "chosen", "model": "m-a", "type": "bon_best"}),
               _out("8", {"preference": "rejected", "model": "m-b", "type": "loser"}),
               _out("9", {"preference": "rejected", "model": "m-c", "type": "loser"}),
               _out("10", {"preference": "rejected", "model": "m-d", "type": "loser"})],
    "task_category": "conversation", "source": "rewardbench2", "created_at": "2026-11-23 09:19:50.405656",
    "metadata": {"subset": "Math", "num_correct": 1, "num_rejected": None, "total_completions": 4},
}
TIES_SAMPLE = {
    "unique_id": "tied:3",
    "input": [_msg("user", "Name a colour of the rainbow.")],
    "output": [_out("Red", {"preference": "chosen"}), _out("Blue", {"preference": "chosen"}),
               _out("Pink", {"preference": "rejected"})],
    "task_category": "conversation", "source": "rewardbench2", "created_at": "2026-11-23T09:19:50.405025",
    "metadata": {"subset": "Ties"},
}


def _jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


# ---------------------------------------------------------------- reading
def test_reads_rewardbench_converter_output(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "rb.jsonl", [RB_SAMPLE])
    reader = SampleReader(path)
    assert reader.format_name == "rm_gallery" and reader.detected
    ds = reader.load()
    (s,) = ds.samples
    assert s.id == "936dbc8755f623c951d96ea2b03e13bc"
    assert s.prompt == [Message(role="user", content="What is 2+2?")]
    assert [(c.id, c.content, c.model, c.metadata) for c in s.candidates] == [
        ("0", "2+2 equals 4.", None, {}), ("1", "2+2 equals 5.", None, {})]
    (ann,) = s.annotations
    assert (ann.kind, ann.annotator, ann.values) == ("reference", "rm_gallery", {"preference": "0"})
    assert s.metadata == {**RB_SAMPLE["metadata"], "task_category": "conversation", "source": "rewardbench",
                          "created_at": "2026-11-23T09:19:50.405025"}
    assert ds.schema is not None and ds.schema.name == "rm_gallery"
    assert ds.schema.validate_values(s, ann.values, partial=True) == []


def test_reads_best_of_n_and_ties(tmp_path: Path) -> None:
    ds = load(_jsonl(tmp_path / "rb2.jsonl", [RB2_SAMPLE, TIES_SAMPLE]))
    bon, ties = ds.samples
    assert [(c.id, c.content, c.model) for c in bon.candidates] == [
        ("0", "7", "m-a"), ("1", "8", "m-b"), ("2", "9", "m-c"), ("3", "10", "m-d")]
    assert [c.metadata for c in bon.candidates] == [{"label": {"type": "bon_best"}}] + [{"label": {"type": "loser"}}] * 3
    assert bon.annotations[0].values == {"correct": ["0"], "best": "0"}
    assert bon.metadata["subset"] == "Math" and bon.metadata["created_at"] == "2026-11-23 09:19:50.405656"
    assert ties.id == "tied:3"
    assert ties.annotations[0].values == {"correct": ["0", "1"]}
    for s in ds.samples:
        assert ds.schema.validate_values(s, s.annotations[0].values, partial=True) == []


def test_reads_basedataset_json_and_json_list(tmp_path: Path) -> None:
    wrapper = {"name": "rewardbench2_train", "metadata": {"source": "rewardbench2", "strategy_type": "local"},
               "datasamples": [RB2_SAMPLE, TIES_SAMPLE]}
    (tmp_path / "export.json").write_text(json.dumps(wrapper), encoding="utf-8")
    ds = load(tmp_path / "export.json")
    assert ds.name == "rewardbench2_train"
    assert ds.metadata == {"source": "rewardbench2", "strategy_type": "local"}
    assert [s.id for s in ds.samples] == ["17", "tied:3"]
    (tmp_path / "list.json").write_text(json.dumps([RB_SAMPLE]), encoding="utf-8")
    assert load(tmp_path / "list.json").samples[0].annotations[0].values == {"preference": "0"}


def test_reads_rm_gallery_parquet_export(tmp_path: Path) -> None:
    # RM-Gallery's parquet exporter: input/output/metadata as JSON text, created_at a timestamp
    table = pa.Table.from_pylist([{
        "unique_id": RB_SAMPLE["unique_id"], "input": json.dumps(RB_SAMPLE["input"]),
        "output": json.dumps(RB_SAMPLE["output"]), "task_category": "conversation", "source": "rewardbench",
        "created_at": datetime(2026, 11, 23, 9, 19, 50, 405025), "metadata": json.dumps(RB_SAMPLE["metadata"]),
    }])
    pq.write_table(table, tmp_path / "rb.parquet")
    (s,) = load(tmp_path / "rb.parquet").samples
    assert [c.content for c in s.candidates] == ["2+2 equals 4.", "2+2 equals 5."]
    assert s.annotations[0].values == {"preference": "0"}
    assert s.metadata["created_at"] == "2026-11-23T09:19:50.405025"
    assert s.metadata["raw_data"] == RB_ROW


def test_unlabelled_and_pointwise_outputs_keep_their_labels(tmp_path: Path) -> None:
    pointwise = {"unique_id": "hs2-1", "input": [_msg("system", "Be brief."), _msg("user", "Hi")],
                 "output": [_out("Hello!", {"helpfulness": 3, "correctness": 4})],
                 "source": "helpsteer2_pointwise"}
    chat = {"unique_id": "c-1", "input": [_msg("user", "Hi")], "output": [_out("Hey", {})], "source": "chat_message"}
    a, b = load(_jsonl(tmp_path / "x.jsonl", [pointwise, chat])).samples
    assert [m.role for m in a.prompt] == ["system", "user"]
    assert a.candidates[0].metadata == {"label": {"helpfulness": 3, "correctness": 4}}
    assert a.annotations == [] and b.annotations == []
    assert a.metadata == {"source": "helpsteer2_pointwise"}


@pytest.mark.parametrize(("label", "message"), [
    ({"preference": "maybe"}, "label preference 'maybe' is neither 'chosen' nor 'rejected'"),
    ("chosen", "'answer.label' is not an object"),
])
def test_bad_label_names_the_line(tmp_path: Path, label: Any, message: str) -> None:
    bad = json.loads(json.dumps(RB_SAMPLE))
    bad["output"][1]["answer"]["label"] = label
    path = _jsonl(tmp_path / "bad.jsonl", [RB_SAMPLE | {"unique_id": "ok"}, bad])
    with pytest.raises(LabelloopError) as exc:
        load(path)
    assert str(exc.value).startswith(f"{path}:2: output 1")
    assert message in str(exc.value)
    assert str(exc.value).count(". ") <= 1  # one sentence (plus the --skip-bad hint clause)


def test_output_without_answer_is_one_sentence(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "bad.jsonl", [{"unique_id": "x", "input": [], "output": [{"steps": None}]}])
    with pytest.raises(LabelloopError, match=r"bad\.jsonl:1: output 0 has no 'answer' object"):
        load(path)


# ---------------------------------------------------------------- writing
def _pairs_dataset() -> Dataset:
    sample = DataSample(
        id="p1",
        prompt=[Message(role="system", content="You are terse."), Message(role="user", content="Capital of France?")],
        candidates=[Candidate(id="0", content="Lyon.", model="m-small"), Candidate(id="1", content="Paris.",
                                                                                    model="m-big")],
        annotations=[Annotation(annotator="rewardbench", kind="reference", values={"preference": "0"}),
                     Annotation(annotator="ann1", kind="human", values={"preference": "1"}),
                     Annotation(annotator="ann2", kind="human", values={"preference": "1", "comment": "Paris!"})],
        metadata={"subset": "geo"},
    )
    return Dataset(name="geo", samples=[sample], schema=TEMPLATES.get("rewardbench")())


def test_writes_the_chosen_label_in_rm_gallery_fields(tmp_path: Path) -> None:
    out = tmp_path / "geo.jsonl"
    assert save(_pairs_dataset(), out, "rm_gallery") == 1
    (rec,) = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert_rm_gallery_datasample(rec)
    # the two people agree on "1", which beats the source's reference under the default policy; their own
    # labels go out in RM-Gallery's annotation layout (label.annotation_data, as its annotation module writes it)
    ann1 = {"ratings": {}, "choices": {"answer_ranking": {"choices": ["2>1"], "type": "choices"}}, "text_areas": {},
            "raw_results": [{"from_name": "answer_ranking", "to_name": "output_dialogue", "type": "choices",
                             "value": {"choices": ["2>1"]}}],
            "processed": {"ranking_result": "2>1", "answer_ratings": {}, "quality_comparison": {}, "comments": "",
                          "preference": "answer_2"}}
    ann2 = {"ratings": {}, "choices": {"answer_ranking": {"choices": ["2>1"], "type": "choices"}},
            "text_areas": {"additional_comments": {"text": "Paris!", "type": "textarea"}},
            "raw_results": [{"from_name": "additional_comments", "to_name": "output_dialogue", "type": "textarea",
                             "value": {"text": ["Paris!"]}},
                            {"from_name": "answer_ranking", "to_name": "output_dialogue", "type": "choices",
                             "value": {"choices": ["2>1"]}}],
            "processed": {"ranking_result": "2>1", "answer_ratings": {}, "quality_comparison": {},
                          "comments": "Paris!", "preference": "answer_2"}}
    people = {"annotation_data": ann1, "annotation_status": "completed", "labelloop_annotations": [
        {"annotator": "ann1", "annotation_data": ann1, "annotation_status": "completed"},
        {"annotator": "ann2", "annotation_data": ann2, "annotation_status": "completed"}]}
    assert rec == {
        "unique_id": "p1",
        "input": [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Capital of France?"}],
        "output": [
            {"answer": {"role": "assistant", "content": "Lyon.", "additional_kwargs": {},
                        "label": {"preference": "rejected", "model": "m-small", **people},
                        "reward": {"score": 0.0, "details": []}}, "steps": None},
            {"answer": {"role": "assistant", "content": "Paris.", "additional_kwargs": {},
                        "label": {"preference": "chosen", "model": "m-big", **people},
                        "reward": {"score": 0.0, "details": []}}, "steps": None},
        ],
        "task_category": None,
        "source": None,
        "metadata": {"subset": "geo"},
    }
    back = load(out, format="rm_gallery").samples[0]
    assert [(a.annotator, a.kind, a.values) for a in back.annotations] == [
        ("rm_gallery", "reference", {"preference": "1"}),  # the chosen / rejected labels
        ("ann1", "human", {"preference": "1"}), ("ann2", "human", {"preference": "1", "comment": "Paris!"})]
    ref = tmp_path / "ref.jsonl"
    save(_pairs_dataset(), ref, "rm_gallery", label_source="reference")
    labels = [o["answer"]["label"]["preference"] for o in json.loads(ref.read_text(encoding="utf-8"))["output"]]
    assert labels == ["chosen", "rejected"]


def test_ranking_with_three_tiers_adds_rank(tmp_path: Path) -> None:
    s = DataSample(id="r", prompt=[Message(role="user", content="q")],
                   candidates=[Candidate(id=c, content=c.upper()) for c in "xyz"],
                   annotations=[Annotation(annotator="a", kind="aggregate", values={"ranking": ["z", "x", "y"]})])
    ds = Dataset(samples=[s], schema=TEMPLATES.get("rewardbench2")())
    save(ds, tmp_path / "r.jsonl", "rm_gallery")
    rec = json.loads((tmp_path / "r.jsonl").read_text(encoding="utf-8"))
    assert_rm_gallery_datasample(rec)
    assert [o["answer"]["label"] for o in rec["output"]] == [
        {"preference": "rejected", "rank": 2}, {"preference": "rejected", "rank": 3},
        {"preference": "chosen", "rank": 1}]
    # non-positional candidate ids travel in additional_kwargs and come back
    assert [o["answer"]["additional_kwargs"] for o in rec["output"]] == [
        {"labelloop": {"id": "x"}}, {"labelloop": {"id": "y"}}, {"labelloop": {"id": "z"}}]
    back = load(tmp_path / "r.jsonl").samples[0]
    assert [c.id for c in back.candidates] == ["x", "y", "z"]
    assert back.annotations[0].values == {"correct": ["z"], "best": "z"}


def test_tie_writes_no_preference_and_bad_role_is_one_sentence(tmp_path: Path) -> None:
    ds = _pairs_dataset()
    ds.samples[0].annotations = [Annotation(annotator="a", kind="aggregate", values={"preference": "tie"})]
    save(ds, tmp_path / "t.jsonl", "rm_gallery")
    rec = json.loads((tmp_path / "t.jsonl").read_text(encoding="utf-8"))
    assert [o["answer"]["label"] for o in rec["output"]] == [{"model": "m-small"}, {"model": "m-big"}]
    assert load(tmp_path / "t.jsonl").samples[0].annotations == []
    ds.samples[0].prompt[0] = Message(role="narrator", content="Once")
    with pytest.raises(LabelloopError, match=r"^Sample 'p1' has a prompt turn with role 'narrator'; RM-Gallery "
                                             r"accepts only system, user, assistant, function\.$"):
        save(ds, tmp_path / "bad.jsonl", "rm_gallery")
    assert not (tmp_path / "bad.jsonl").exists()
    with pytest.raises(LabelloopError, match=r"^Cannot write RM-Gallery data to .*out\.csv; use \.jsonl"):
        save(_pairs_dataset(), tmp_path / "out.csv", "rm_gallery")


def _core(ds: Dataset) -> list[Any]:
    return [(s.id, [m.model_dump() for m in s.prompt], [c.model_dump() for c in s.candidates],
             [a.values for a in s.annotations if a.kind == "reference"]) for s in ds.samples]


@pytest.mark.parametrize("suffix", [".jsonl", ".json", ".parquet"])
def test_round_trip_keeps_prompt_candidates_models_and_preference(tmp_path: Path, suffix: str) -> None:
    original = load(EXAMPLE)
    out = tmp_path / f"rb2{suffix}"
    assert save(original, out, "rm_gallery") == 25
    back = load(out)
    assert SampleReader(out).format_name == "rm_gallery"
    assert _core(back) == _core(original)
    ties = back.by_id()["ties-023"]
    assert ties.annotations[0].values == original.by_id()["ties-023"].annotations[0].values
    if suffix == ".json":
        doc = json.loads(out.read_text(encoding="utf-8"))
        assert set(doc) == {"name", "metadata", "datasamples"} and doc["name"] == original.name
        for rec in doc["datasamples"]:
            assert_rm_gallery_datasample(rec)
    # and again: rm_gallery -> labelloop -> rm_gallery is stable
    again = tmp_path / f"again{suffix}"
    save(back, again, "rm_gallery")
    assert _core(load(again)) == _core(back)


def test_round_trip_of_rm_gallery_records_is_lossless_where_it_matters(tmp_path: Path) -> None:
    src = _jsonl(tmp_path / "in.jsonl", [RB_SAMPLE, RB2_SAMPLE])
    save(load(src), tmp_path / "out.jsonl", "rm_gallery")
    recs = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    for rec, orig in zip(recs, [RB_SAMPLE, RB2_SAMPLE]):
        assert_rm_gallery_datasample(rec)
        for key in ("unique_id", "task_category", "source", "created_at", "metadata"):
            assert rec[key] == orig[key]
        assert [o["answer"]["label"] for o in rec["output"]] == [o["answer"]["label"] for o in orig["output"]]
        assert [(m["role"], m["content"]) for m in rec["input"]] == [(m["role"], m["content"]) for m in orig["input"]]


def test_exporter_writes_rm_gallery_files(tmp_path: Path) -> None:
    ds = load(EXAMPLE)
    written = create_exporter("rb2", config={"output_dir": str(tmp_path), "formats": ["rm_gallery"]}).run(ds)
    path = written["rm_gallery:all"]
    assert path.name == "rb2_rm_gallery.jsonl"
    assert len(load(path).samples) == 25


# ---------------------------------------------------------------- annotation output (issue 17)
def _rb2_annotated() -> dict[str, Any]:
    """A DataSample as RM-Gallery's annotation module exports it (rm_gallery/core/data/annotation/annotation.py,
    ``_convert_annotations_to_schema``) from a Label Studio task labelled with its rewardbench2 template
    (rm_gallery/gallery/data/annotation/rewardbench2.py): the same ``annotation_data`` on every answer's label,
    with the processor's ``processed`` view."""
    results = [
        {"from_name": "best_answer", "to_name": "output_dialogue", "type": "choices", "value": {"choices": ["answer_2"]}},
        {"from_name": "answer1_rank", "to_name": "output_dialogue", "type": "choices", "value": {"choices": ["3"]}},
        {"from_name": "answer2_rank", "to_name": "output_dialogue", "type": "choices", "value": {"choices": ["1"]}},
        {"from_name": "answer3_rank", "to_name": "output_dialogue", "type": "choices", "value": {"choices": ["2"]}},
        {"from_name": "answer1_rating", "to_name": "output_dialogue", "type": "rating", "value": {"rating": 2}},
        {"from_name": "answer2_rating", "to_name": "output_dialogue", "type": "rating", "value": {"rating": 5}},
        {"from_name": "answer3_rating", "to_name": "output_dialogue", "type": "rating", "value": {"rating": 4}},
        {"from_name": "additional_comments", "to_name": "output_dialogue", "type": "textarea",
         "value": {"text": ["[1] The 1-th answer names the wrong city"]}},
    ]
    data = {
        "ratings": {"answer1_rating": {"rating": 2, "type": "rating"}, "answer2_rating": {"rating": 5, "type": "rating"},
                    "answer3_rating": {"rating": 4, "type": "rating"}},
        "choices": {"best_answer": {"choices": ["answer_2"], "type": "choices"},
                    "answer1_rank": {"choices": ["3"], "type": "choices"},
                    "answer2_rank": {"choices": ["1"], "type": "choices"},
                    "answer3_rank": {"choices": ["2"], "type": "choices"}},
        "text_areas": {"additional_comments": {"text": "[1] The 1-th answer names the wrong city", "type": "textarea"}},
        "raw_results": results,
        "processed": {"best_answer": "answer_2", "answer_rankings": {"answer_1": 3, "answer_2": 1, "answer_3": 2},
                      "answer_ratings": {"answer_1": 2, "answer_2": 5, "answer_3": 4},
                      "ranking_order": ["answer_2", "answer_3", "answer_1"],
                      "quality_comparison": {"best_rated_answer": "answer_2", "best_rating": 5,
                                             "average_rating": 11 / 3, "rating_spread": 3,
                                             "consistency_check": {"best_answer_matches_best_rating": True,
                                                                   "best_answer_matches_rank_1": True}},
                      "comments": "[1] The 1-th answer names the wrong city", "preference": "answer_2"},
    }
    label = {"annotation_data": data, "annotation_status": "completed"}
    return {"unique_id": "q7", "input": [{"role": "user", "content": "Capital of France?"}],
            "output": [{"answer": {"role": "assistant", "content": c, "label": dict(label)}, "steps": None}
                       for c in ("Lyon.", "Paris.", "Paris, on the Seine.")],
            "task_category": "geo", "source": "rewardbench2",
            "metadata": {"annotation_status": "completed", "annotation_project_id": 12}}


def test_annotation_output_reads_as_a_human_annotation(tmp_path: Path) -> None:
    path = tmp_path / "annotated.jsonl"
    path.write_text(json.dumps(_rb2_annotated()) + "\n", encoding="utf-8")
    s = load(path).samples[0]
    (ann,) = s.annotations
    assert (ann.annotator, ann.kind, ann.origin) == ("rm_gallery:12", "human", "rm_gallery")
    assert ann.values == {"best": "1", "ranking": ["1", "2", "0"], "rating": {"0": 2, "1": 5, "2": 4},
                          "comment": "[1] The 1-th answer names the wrong city"}
    assert rm_gallery_schema().validate_values(s, ann.values) == []
    assert [c.metadata for c in s.candidates] == [{}, {}, {}]  # the per-task copies are not candidate labels
    # without the processed view the raw results give the same values (RM-Gallery's processor rules)
    raw = _rb2_annotated()
    for o in raw["output"]:
        o["answer"]["label"]["annotation_data"] = {k: v for k, v in o["answer"]["label"]["annotation_data"].items()
                                                   if k != "processed"}
    path.write_text(json.dumps(raw) + "\n", encoding="utf-8")
    assert load(path).samples[0].annotations[0].values == ann.values
    # and they make the training pairs they imply
    out = tmp_path / "dpo.jsonl"
    export_dataset(load(path), out, "dpo", pairs="all")
    pairs = [(r["chosen"], r["rejected"]) for r in map(json.loads, out.read_text().splitlines())]
    assert pairs == [("Paris.", "Paris, on the Seine."), ("Paris.", "Lyon."), ("Paris, on the Seine.", "Lyon.")]


def test_annotation_output_round_trips_and_new_labels_write_in_that_layout(tmp_path: Path) -> None:
    path = tmp_path / "annotated.jsonl"
    path.write_text(json.dumps(_rb2_annotated()) + "\n", encoding="utf-8")
    ds = load(path)
    out = tmp_path / "again.jsonl"
    save(ds, out, "rm_gallery")
    rec = json.loads(out.read_text(encoding="utf-8"))
    original = _rb2_annotated()["output"][0]["answer"]["label"]
    assert rec["output"][1]["answer"]["label"] == {"preference": "chosen", "rank": 1, **original}  # unchanged
    # a person's labels made in labelloop go out the way RM-Gallery's annotation module writes them
    s = ds.samples[0]
    s.annotations[0].values = {"best": "2", "ranking": ["2", "1", "0"], "rating": {"0": 1, "1": 4, "2": 5}}
    s.annotations[0].metadata = {}
    s.annotations[0].annotator = "ana"
    save(ds, out, "rm_gallery")
    label = json.loads(out.read_text(encoding="utf-8"))["output"][0]["answer"]["label"]
    data = label["annotation_data"]
    assert data["choices"] == {"best_answer": {"choices": ["answer_3"], "type": "choices"},
                               "answer3_rank": {"choices": ["1"], "type": "choices"},
                               "answer2_rank": {"choices": ["2"], "type": "choices"},
                               "answer1_rank": {"choices": ["3"], "type": "choices"}}
    assert data["ratings"] == {"answer1_rating": {"rating": 1, "type": "rating"},
                               "answer2_rating": {"rating": 4, "type": "rating"},
                               "answer3_rating": {"rating": 5, "type": "rating"}}
    assert data["processed"]["ranking_order"] == ["answer_3", "answer_2", "answer_1"]
    assert data["processed"]["best_answer"] == data["processed"]["preference"] == "answer_3"
    assert label["labelloop_annotations"][0]["annotator"] == "ana"
    back = load(out).samples[0]
    assert [(a.annotator, a.values) for a in back.annotations if a.kind == "human"] == [
        ("ana", {"best": "2", "ranking": ["2", "1", "0"], "rating": {"0": 1, "1": 4, "2": 5}})]


def test_controls_of_an_unknown_template_are_named_not_dropped(tmp_path: Path) -> None:
    rec = _rb2_annotated()
    for o in rec["output"]:
        o["answer"]["label"]["annotation_data"] = {"choices": {"helpfulness": {"choices": ["high"], "type": "choices"}},
                                                   "ratings": {}, "text_areas": {}, "raw_results": []}
    path = tmp_path / "other.jsonl"
    path.write_text(json.dumps(rec) + "\n", encoding="utf-8")
    (ann,) = load(path).samples[0].annotations
    assert ann.values == {} and ann.metadata["rm_gallery"]["unmapped"] == {"controls": ["helpfulness"]}

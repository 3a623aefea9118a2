"""Readers for the public layouts: RewardBench, RewardBench 2, pairs, HH-RLHF, OpenAI chat."""

from __future__ import annotations

import csv
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from labelloop import content_id, load
from labelloop.errors import BadRowError, DuplicateIdError, FormatError, InputFileError, ParameterError
from labelloop.formats import SampleReader, reader_names, save, writer_names


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


RB_ROWS = [
    {"prompt": "What is 2+2?", "chosen": "4", "chosen_model": "gpt-4", "rejected": "5",
     "rejected_model": "llama-2-7b-chat", "subset": "math-prm", "id": 42},
    {"prompt": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"},
                {"role": "user", "content": "Tell a joke"}],
     "chosen": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"},
                {"role": "user", "content": "Tell a joke"}, {"role": "assistant", "content": "A pun."}],
     "rejected": "No.", "chosen_model": "m1", "rejected_model": "m2", "subset": "chat", "id": 43},
]


def test_rewardbench(tmp_path):
    ds = load(write_jsonl(tmp_path / "rb.jsonl", RB_ROWS))
    a, b = ds.samples
    assert ds.schema.name == "rewardbench"
    assert a.id == "42" and [m.model_dump() for m in a.prompt] == [{"role": "user", "content": "What is 2+2?"}]
    assert [(c.id, c.content, c.model) for c in a.candidates] == [("0", "4", "gpt-4"), ("1", "5", "llama-2-7b-chat")]
    assert [(x.kind, x.annotator, x.values) for x in a.annotations] == [("reference", "rewardbench", {"preference": "0"})]
    assert a.metadata == {"subset": "math-prm", "source_id": 42}
    # chat-turn cells: the prompt prefix is stripped from the chosen conversation
    assert [m.role for m in b.prompt] == ["user", "assistant", "user"]
    assert [c.content for c in b.candidates] == ["A pun.", "No."]


def test_rewardbench_parquet_and_csv_agree(tmp_path):
    rows = [dict(RB_ROWS[0]), dict(RB_ROWS[0], id=7, prompt="Other")]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "rb.parquet")
    with open(tmp_path / "rb.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    from_parquet = load(tmp_path / "rb.parquet")
    from_csv = load(tmp_path / "rb.csv")
    assert [s.id for s in from_parquet] == ["42", "7"]
    assert [c.content for c in from_parquet.samples[1].candidates] == ["4", "5"]
    # CSV cells are text: the id is the string "42" either way; source_id keeps the source's type
    assert [s.id for s in from_csv] == ["42", "7"]
    assert [s.candidates for s in from_csv] == [s.candidates for s in from_parquet]


RB2_ROWS = [
    {"id": "0", "prompt": "Name a prime.", "chosen": ["2"], "rejected": ["4", "6", "8"], "num_correct": 1,
     "num_rejected": 3, "total_completions": 4, "models": ["a", "b", "c", "d"], "subset": "Math"},
    {"id": "ties-1", "prompt": "Name a primary colour.", "chosen": ["red", "blue", "yellow"],
     "rejected": ["green", "pink", "grey", "white", "black", "brown", "teal"], "num_correct": 3,
     "num_rejected": 7, "total_completions": 10, "models": [f"m{i}" for i in range(10)], "subset": "Ties"},
]


def test_rewardbench2_every_completion_is_a_candidate(tmp_path):
    ds = load(write_jsonl(tmp_path / "rb2.jsonl", RB2_ROWS))
    assert ds.schema.name == "rewardbench2"
    a, ties = ds.samples
    assert [c.content for c in a.candidates] == ["2", "4", "6", "8"]
    assert [c.model for c in a.candidates] == ["a", "b", "c", "d"]
    assert a.annotations[0].values == {"correct": ["0"], "best": "0"}
    assert len(ties.candidates) == 10  # not capped at 4
    assert ties.annotations[0].values == {"correct": ["0", "1", "2"]}
    assert ties.metadata == {"num_correct": 3, "num_rejected": 7, "total_completions": 10, "subset": "Ties",
                             "source_id": "ties-1"}


def test_bundled_example_reads():
    ds = load("examples/rewardbench2_example.jsonl")
    assert len(ds) == 25
    ties = [s for s in ds if s.metadata["subset"] == "Ties"]
    assert [len(s.annotations[0].values["correct"]) for s in ties] == [4, 3]


def test_pairs_with_configured_columns_and_content_ids(tmp_path):
    rows = [{"question": "Q", "good": "yes", "bad": "no"}, {"question": "Q", "good": "sure", "bad": "nah"}]
    path = write_jsonl(tmp_path / "p.jsonl", rows)
    with pytest.raises(ParameterError) as unknown:
        load(path)
    assert (unknown.value.param, str(unknown.value)) == ("format", (
        f"Cannot recognise the format of {path}; columns found: bad, good, question. Name one with format "
        f"({', '.join(reader_names())})."))
    ds = load(path, "pairs", options={"prompt_column": "question", "chosen_column": "good", "rejected_column": "bad"})
    a, b = ds.samples
    # same prompt, different candidates: ids differ, and are the content hash of prompt and candidates
    assert a.id != b.id
    assert a.id == content_id(a.prompt, a.candidates) and len(a.id) == 16
    assert [c.content for c in b.candidates] == ["sure", "nah"]


def test_hh_rlhf_splits_transcripts(tmp_path):
    row = {"chosen": "\n\nHuman: Hi there\n\nAssistant: Hello!\n\nHuman: What is 2+2?\n\nAssistant: It is 4.",
           "rejected": "\n\nHuman: Hi there\n\nAssistant: Hello!\n\nHuman: What is 2+2?\n\nAssistant: Go away."}
    ds = load(write_jsonl(tmp_path / "hh.jsonl", [row]))
    s = ds.samples[0]
    assert [(m.role, m.content) for m in s.prompt] == [("user", "Hi there"), ("assistant", "Hello!"),
                                                       ("user", "What is 2+2?")]
    assert [c.content for c in s.candidates] == ["It is 4.", "Go away."]
    assert s.annotations[0].values == {"preference": "0"} and s.annotations[0].annotator == "hh_rlhf"


def test_hh_rlhf_divergence_before_last_turn(tmp_path):
    row = {"chosen": "\n\nHuman: A\n\nAssistant: B\n\nHuman: C\n\nAssistant: D",
           "rejected": "\n\nHuman: A\n\nAssistant: X"}
    s = load(write_jsonl(tmp_path / "hh.jsonl", [row])).samples[0]
    assert [m.content for m in s.prompt] == ["A"]
    assert s.candidates[0].metadata["messages"] == [
        {"role": "assistant", "content": "B"}, {"role": "user", "content": "C"}, {"role": "assistant", "content": "D"}]
    assert s.candidates[1].content == "X"


def test_chat_messages_and_openai_preference_rows(tmp_path):
    rows = [{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
                          {"role": "assistant", "content": "Hello"}]}]
    s = load(write_jsonl(tmp_path / "c.jsonl", rows)).samples[0]
    assert [m.role for m in s.prompt] == ["system", "user"] and s.candidates[0].content == "Hello"
    pref = [{"input": {"messages": [{"role": "user", "content": "Q"}]},
             "preferred_output": [{"role": "assistant", "content": "good"}],
             "non_preferred_output": [{"role": "assistant", "content": "bad"}]}]
    s = load(write_jsonl(tmp_path / "o.jsonl", pref), "chat").samples[0]
    assert [c.content for c in s.candidates] == ["good", "bad"]
    assert s.annotations[0].values == {"preference": "0"}


def test_limit_is_seeded_sample_in_input_order(tmp_path):
    rows = [{"prompt": f"p{i}", "chosen": "a", "rejected": "b", "id": i} for i in range(50)]
    path = write_jsonl(tmp_path / "p.jsonl", rows)
    first = [s.id for s in load(path, limit=5, seed=1)]
    assert first == [s.id for s in load(path, limit=5, seed=1)]
    assert first != [s.id for s in load(path, limit=5, seed=2)]
    assert first == sorted(first, key=int) and len(first) == 5


# ---------------------------------------------------------------------- bad input
def test_missing_column_names_it_and_lists_columns(tmp_path):
    path = write_jsonl(tmp_path / "rb.jsonl", [{"prompt": "x", "chosen": "y", "subset": "s"}])
    with pytest.raises(FormatError) as e:
        load(path, "rewardbench")
    assert str(e.value) == (f"Input {path} has no column 'rejected' needed by format 'rewardbench'; "
                            "columns found: chosen, prompt, subset.")


def test_malformed_line_reports_line_and_skip_bad_writes_rejects(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text('{"prompt": "a", "chosen": "b", "rejected": "c"}\n{"prompt": "x", oops\n'
                    '{"prompt": "d", "chosen": "e", "rejected": "f"}\n')
    with pytest.raises(BadRowError, match=rf"^{path}:2: malformed JSON \(Expecting property name enclosed in double "
                                          r"quotes at column 17\); use skip_bad to write such rows to a rejects file and go on\.$"):
        load(path)
    reader = SampleReader(path, skip_bad=True)
    ds = reader.load()
    assert len(ds) == 2
    rejects = [json.loads(x) for x in (tmp_path / "p.jsonl.rejects.jsonl").read_text().splitlines()]
    assert [(r["location"], r["raw"]) for r in rejects] == [(f"{path}:2", '{"prompt": "x", oops')]


def test_row_with_null_cell_is_reported_by_location(tmp_path):
    path = write_jsonl(tmp_path / "p.jsonl", [{"prompt": "a", "chosen": "b", "rejected": "c"},
                                               {"prompt": "a", "chosen": None, "rejected": "c"}])
    with pytest.raises(BadRowError, match=rf"^{path}:2: column 'chosen' is empty; use skip_bad"):
        load(path)


def test_duplicate_ids_name_both_rows(tmp_path):
    path = write_jsonl(tmp_path / "rb.jsonl", [RB_ROWS[0], dict(RB_ROWS[0], prompt="x"), RB_ROWS[0]])
    with pytest.raises(DuplicateIdError) as e:
        load(path)
    assert str(e.value) == f"Rows {path}:1 and {path}:2 share the sample id '42'; ids must be unique."


def test_empty_and_missing_inputs(tmp_path):
    (tmp_path / "e.jsonl").write_text("")
    with pytest.raises(InputFileError, match=r"e.jsonl is empty\."):
        load(tmp_path / "e.jsonl")
    (tmp_path / "blank.jsonl").write_text("\n\n")
    with pytest.raises(InputFileError, match=r"blank.jsonl holds no rows\."):
        load(tmp_path / "blank.jsonl")
    with pytest.raises(InputFileError, match=r"nope.jsonl does not exist\."):
        load(tmp_path / "nope.jsonl")
    (tmp_path / "x.txt").write_text("hi")
    with pytest.raises(InputFileError, match=r"unknown file type \.txt"):
        load(tmp_path / "x.txt")


def test_unknown_format_name(tmp_path):
    from labelloop.errors import UnknownNameError

    path = write_jsonl(tmp_path / "rb.jsonl", RB_ROWS)
    with pytest.raises(UnknownNameError, match=r"Unknown format 'nope'; known: .*rewardbench"):
        load(path, "nope")


def test_directory_of_files(tmp_path):
    (tmp_path / "d").mkdir()
    write_jsonl(tmp_path / "d" / "a.jsonl", RB_ROWS[:1])
    write_jsonl(tmp_path / "d" / "b.jsonl", [dict(RB_ROWS[0], id=99)])
    assert [s.id for s in load(tmp_path / "d")] == ["42", "99"]


def test_reader_and_save_parameter_errors_name_the_parameter(tmp_path):
    path = write_jsonl(tmp_path / "p.jsonl", [{"prompt": "a", "chosen": "b", "rejected": "c"}])
    with pytest.raises(ParameterError) as limit:
        SampleReader(path, limit=0)
    assert (limit.value.param, str(limit.value)) == ("limit", "limit must be at least 1, not 0.")
    assert limit.value.render(lambda p: f"--{p}") == "--limit must be at least 1, not 0."
    bad = tmp_path / "{odd}.jsonl"
    bad.write_text('{"prompt": "x", oops\n')
    with pytest.raises(BadRowError) as stopped:
        load(bad)
    assert isinstance(stopped.value, ParameterError) and stopped.value.location == f"{bad}:1"
    assert stopped.value.render(lambda p: "--skip-bad") == (
        f"{bad}:1: malformed JSON (Expecting property name enclosed in double quotes at column 17); use --skip-bad "
        "to write such rows to a rejects file and go on.")
    with pytest.raises(ParameterError) as unnamed:
        save(load(path), tmp_path / "{out}.txt")
    assert unnamed.value.render(lambda p: "--format") == (
        f"Cannot tell the output format of {tmp_path / '{out}.txt'}; name one with --format "
        f"({', '.join(writer_names())}).")

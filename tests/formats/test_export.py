"""Export: where each split's file goes."""

from __future__ import annotations

from pathlib import Path

from labelloop.formats.export import export_path


def test_export_path_is_the_output_without_a_split_and_gets_the_split_before_the_suffix():
    assert export_path("out/train.jsonl") == Path("out/train.jsonl")
    assert export_path(Path("out/rb2.jsonl"), "test") == Path("out/rb2_test.jsonl")
    assert export_path("out/rb2_dpo.parquet", "all") == Path("out/rb2_dpo_all.parquet")
    assert export_path("data", "train") == Path("data_train")

"""The assist, Label Studio and ML backend operations called directly: exact results, and parameter errors named
by the Python keyword."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from labelloop.assist.active import select_batch
from labelloop.assist.guidelines import draft_guidelines
from labelloop.assist.review import review_dataset
from labelloop.data.model import Annotation, Candidate, DataSample, Dataset, Message
from labelloop.errors import LabelloopError, ParameterError
from labelloop.formats import load, save
from labelloop.ops import assist, labelstudio, mlbackend
from labelloop.templates import TEMPLATES


def _toy(path: Path) -> Path:
    """12 pairs, the first 6 labelled by alice and bob (who agree), the rest unlabelled."""
    samples = []
    for i in range(12):
        anns = [Annotation(annotator=who, kind="human", lead_time_s=10 + i, values={"preference": str(i % 2)})
                for who in ("alice", "bob")] if i < 6 else []
        samples.append(DataSample(id=f"s{i:02d}", prompt=[Message(role="user", content=f"Question {i % 3}?")],
                                  candidates=[Candidate(id=c, content=f"answer {c} to {i}") for c in ("0", "1")],
                                  annotations=anns))
    save(Dataset(name="toy", samples=samples, schema=TEMPLATES.get("rewardbench")()), path)
    return path


# ---------------------------------------------------------------------- the provider
def test_no_provider_but_its_options() -> None:
    assert assist.llm_provider(None) is None
    with pytest.raises(ParameterError) as info:
        assist.llm_provider(None, base_url="http://127.0.0.1:9/v1")
    assert (info.value.param, str(info.value)) == ("model", "model, base_url and api_key_env need provider.")
    assert info.value.render(lambda p: "--" + p.replace("_", "-")) == \
        "--model, --base-url and --api-key-env need --provider."


def test_provider_checked_before_use_unless_asked_not_to(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(LabelloopError) as info:
        assist.llm_provider("openai")
    assert str(info.value) == "Provider 'openai' needs an API key; set OPENAI_API_KEY."
    prov = assist.llm_provider("compatible", "m1", "http://127.0.0.1:9/v1", temperature=0.5, check=False)
    assert (prov.name, prov.model, prov.base_url, prov.temperature, prov.timeout) == \
        ("compatible", "m1", "http://127.0.0.1:9/v1", 0.5, 60.0)


def test_fit_on_kinds() -> None:
    assert assist.fit_on_kinds(" human, reference ,") == ("human", "reference")
    for bad, shown in (("robots", "'robots'"), ("", "''"), ("{x}", "'{x}'")):
        with pytest.raises(ParameterError) as info:
            assist.fit_on_kinds(bad)
        assert str(info.value) == f"fit_on takes human, reference or aggregate (comma-separated), not {shown}."


# ---------------------------------------------------------------------- review, guidelines, select
def test_review_writes_both_reports(tmp_path: Path) -> None:
    src = _toy(tmp_path / "toy.jsonl")
    res = assist.review(src, output=tmp_path / "r.json", markdown=tmp_path / "r.md")
    want = review_dataset(load(src))
    assert res.summary == want.summary() and res.report == want.to_dict()
    assert (res.output, res.markdown) == (str(tmp_path / "r.json"), str(tmp_path / "r.md"))
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8")) == \
        json.loads(json.dumps(want.to_dict(), default=str))
    assert (tmp_path / "r.md").read_text(encoding="utf-8") == want.to_markdown()


def test_guidelines_without_and_with_a_dataset(tmp_path: Path) -> None:
    res = assist.guidelines(template="rewardbench", output=tmp_path / "g.md")
    assert res.text == draft_guidelines(TEMPLATES.get("rewardbench")())
    assert (tmp_path / "g.md").read_text(encoding="utf-8") == res.text
    assert res.as_dict() == {"output": str(tmp_path / "g.md"), "schema": "rewardbench", "language": "en",
                             "bytes": len(res.text.encode("utf-8")), "examples": 0, "by": "draft"}
    src = _toy(tmp_path / "toy.jsonl")
    two = assist.guidelines(src, samples=2, examples=2)
    assert two.text == draft_guidelines(TEMPLATES.get("rewardbench")(), load(src).samples[:2], examples=2)
    assert (two.output, two.examples) == (None, 2)
    with pytest.raises(ParameterError) as info:
        assist.guidelines()
    assert str(info.value) == "Name a schema with template or schema (or give a dataset that carries one)."


@pytest.mark.parametrize("suffix", [".txt", ".json", ".jsonl"])
def test_select_writes_the_selection_file(tmp_path: Path, suffix: str) -> None:
    src = _toy(tmp_path / "toy.jsonl")
    out = tmp_path / f"next{suffix}"
    sel = assist.select(src, output=out, samples_output=tmp_path / "picked.jsonl", batch_size=3, seed=1)
    picks = select_batch(load(src), batch_size=3, seed=1)
    ids = [p.sample_id for p in picks]
    assert [s.sample_id for s in sel.result.selections] == ids and len(ids) == 3
    assert (sel.labelled, sel.samples, sel.selection_file, sel.result.output) == \
        (6, 12, str(out), str(tmp_path / "picked.jsonl"))
    text = out.read_text(encoding="utf-8")
    if suffix == ".txt":
        assert text == "".join(f"{i}\n" for i in ids)
    elif suffix == ".json":
        assert json.loads(text) == {"strategy": "mix", "seed": 1, "selections": [p.as_dict() for p in picks]}
    else:
        assert [json.loads(line) for line in text.splitlines()] == [p.as_dict() for p in picks]
    assert [s.id for s in load(tmp_path / "picked.jsonl").samples] == ids


# ---------------------------------------------------------------------- Label Studio
def test_push_selection_in_the_files_order(tmp_path: Path) -> None:
    ds = load(_toy(tmp_path / "toy.jsonl"))
    assert labelstudio.wanted(ds) is ds
    (tmp_path / "sel.txt").write_text("s03\ns01\n", encoding="utf-8")
    picked = labelstudio.wanted(ds, tmp_path / "sel.txt", "s07, s00")
    assert [s.id for s in picked.samples] == ["s03", "s01", "s07", "s00"]


def test_pull_checks_its_default_output_first(tmp_path: Path) -> None:
    seen: list[tuple[Path, str]] = []

    def refuse(path: Path, what: str) -> Path:
        seen.append((path, what))
        raise LabelloopError("refused")

    with pytest.raises(LabelloopError, match="^refused$"):
        labelstudio.pull(7, data_dir=tmp_path, check_path=refuse)
    assert seen == [(Path("labelstudio-project-7.jsonl"), "output")]


# ---------------------------------------------------------------------- ML backend
def test_backend_provider_options_only_with_the_llm_judge() -> None:
    assert mlbackend.judge("tfidf") is None
    with pytest.raises(ParameterError) as info:
        mlbackend.judge("tfidf", model="gpt-x")
    assert (info.value.param, str(info.value)) == \
        ("provider", "provider, model, base_url and api_key_env go with predictor llm.")
    factory = mlbackend.judge("llm", "compatible", "m1", "http://127.0.0.1:9/v1", seed=3)
    one, two = factory(), factory()
    assert (one.name, one.seed, one.version) == ("llm", 3, "llm-compatible/m1")
    assert one.provider.base_url == "http://127.0.0.1:9/v1" and one.provider is not two.provider

"""The generator: safe embedding, CSP hashes, the file id, blindness, chunking and the create command's errors."""

from __future__ import annotations

import base64
import hashlib
import json
import re

import pytest
from annot_pages import labelling_dataset, sample

from labelloop.annotate.html import build_annotator, file_id_of
from labelloop.annotate.html.generator import FIRST_CHUNK_TASKS
from labelloop.cli import main
from labelloop.data.io import write_dataset
from labelloop.data.model import Annotation, Dataset
from labelloop.data.positions import candidate_order, page_order
from labelloop.templates import TEMPLATES


def _scripts(html: str) -> tuple[list[str], list[str]]:
    code = re.findall(r"<script>(.*?)</script>", html, flags=re.S)
    styles = re.findall(r"<style>(.*?)</style>", html, flags=re.S)
    return code, styles


def _b64(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def test_csp_allows_exactly_the_page_own_scripts_and_style(tmp_path):
    out = tmp_path / "a.html"
    ds = Dataset(name="d", samples=[sample(i) for i in range(60)])
    info = build_annotator(ds, TEMPLATES.get("rewardbench2")(), out, chunk_bytes=1000)
    html = out.read_text(encoding="utf-8")
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1)
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["require-trusted-types-for"] == "'script'" and directives["trusted-types"] == "'none'"
    code, styles = _scripts(html)
    assert info.chunks > 3
    assert len(code) == info.chunks + 1  # the app, one loader call per later chunk, the final call
    assert code[1:] == ["LL.more()"] * (info.chunks - 1) + ["LL.done()"]
    assert set(directives["script-src"].split()) == {f"'sha256-{_b64(c)}'" for c in code}
    assert directives["style-src"] == f"'sha256-{_b64(styles[0])}'" and len(styles) == 1
    assert "http://" not in html.split("<body>")[0] and "https://" not in html.split("<body>")[0]


def test_guidelines_are_written_into_the_page_with_their_tables(tmp_path):
    out = tmp_path / "a.html"
    guide = "Scores:\n\n| label | when |\n|---|---|\n| **Tie** | <b>equal</b> |\n"
    build_annotator(labelling_dataset(), TEMPLATES.get("rewardbench2")(), out, guidelines=guide)
    page = out.read_text(encoding="utf-8")
    body = re.search(r'<div id="guidelines-body" class="md">(.*?)</div>\n', page).group(1)
    schema_text = TEMPLATES.get("rewardbench2")().guidelines.replace("\n", " ").strip()
    assert body == (f"<p>{schema_text}</p><p>Scores:</p><table><thead><tr><th>label</th><th>when</th></tr></thead>"
                    "<tbody><tr><td><strong>Tie</strong></td><td>&lt;b&gt;equal&lt;/b&gt;</td></tr></tbody></table>")
    schema = TEMPLATES.get("rewardbench2")()
    schema.guidelines = " \n"
    build_annotator(labelling_dataset(), schema, out)
    assert '<div id="guidelines-body" class="md"><p class="muted">No guidelines were given for this file.</p></div>' \
        in out.read_text(encoding="utf-8")


def test_file_id_depends_on_tasks_schema_and_seed_only():
    ds = labelling_dataset()
    rb = TEMPLATES.get("rewardbench2")()
    base = file_id_of(ds.samples, rb, 0)
    assert base == file_id_of(ds.samples, TEMPLATES.get("rewardbench2")(), 0)
    assert re.fullmatch(r"[0-9a-f]{16}", base)
    assert file_id_of(ds.samples, rb, 1) != base
    assert file_id_of(ds.samples, TEMPLATES.get("ranking")(), 0) != base
    changed = ds.model_copy(deep=True)
    changed.samples[0].candidates[0].content += "!"
    assert file_id_of(changed.samples, rb, 0) != base
    # new pre-labels or a different dataset name do not change the file: autosaved work still applies
    more = ds.model_copy(deep=True)
    more.name = "renamed"
    more.samples[1].annotations.append(Annotation(annotator="m", kind="prediction", values={"best": "0"}))
    assert file_id_of(more.samples, rb, 0) == base


def test_the_page_is_blind_and_chunked(tmp_path):
    ds = Dataset(name="d", samples=[sample(i) for i in range(60)])
    ds.samples[0].annotations.append(Annotation(annotator="gold", kind="reference", values={"best": "2"}))
    ds.samples[0].annotations.append(Annotation(annotator="judge", kind="prediction", score=0.3,
                                                values={"best": "1", "not_a_question": 1}))
    out = tmp_path / "a.html"
    info = build_annotator(ds, TEMPLATES.get("rewardbench2")(), out, chunk_bytes=4000)
    html = out.read_text(encoding="utf-8")
    assert "secret-model" not in html  # candidate models never reach the page
    assert '"gold"' not in html and "not_a_question" not in html
    chunks = re.findall(r'<script type="application/json" id="ll-d(\d+)">(.*?)</script>', html, flags=re.S)
    assert [int(i) for i, _ in chunks] == list(range(info.chunks))
    tasks = [t for _, body in chunks for t in json.loads(body)]
    assert len(json.loads(chunks[0][1])) == FIRST_CHUNK_TASKS
    assert [t[0] for t in tasks] == [s.id for s in ds.samples]
    # suggestions, fields, and the screen order when the seeded shuffle moved the answers (one for everyone)
    assert tasks[0][3:] == [[{"by": "judge", "score": 0.3, "v": {"best": "1"}}], None,
                            candidate_order(ds.samples[0], 0)]
    assert candidate_order(ds.samples[0], 0) == ["2", "1", "0"]
    same = next(s for s in ds.samples if candidate_order(s, 0) == [c.id for c in s.candidates])
    assert tasks[int(same.id[1:])] == [same.id, [[m.role, m.content] for m in same.prompt],
                                       [[c.id, c.content] for c in same.candidates]]  # no order: the source's
    meta = json.loads(re.search(r'id="ll-meta">(.*?)</script>', html, flags=re.S).group(1))
    assert meta["file_id"] == info.file_id == file_id_of(ds.samples, TEMPLATES.get("rewardbench2")(), 0)
    assert meta["n_tasks"] == 60 and meta["chunks"] == info.chunks and meta["show_predictions"] is True
    no_pred = tmp_path / "b.html"
    build_annotator(ds, TEMPLATES.get("rewardbench2")(), no_pred, show_predictions=False)
    assert '"judge"' not in no_pred.read_text(encoding="utf-8")


def test_shuffle_mirror_known_values():
    # values computed by the page's own JS (see test_annotator_labelling for the live check)
    assert page_order(["0", "1"], 0, "", "x") in (["0", "1"], ["1", "0"])
    orders = {tuple(page_order(["a", "b", "c", "d"], 0, "ann", f"t{i}")) for i in range(200)}
    assert len(orders) == 24  # every permutation turns up
    assert page_order(["a", "b", "c", "d"], 3, "ann", "t1") == page_order(["a", "b", "c", "d"], 3, "ann", "t1")


def test_create_command_errors_are_one_sentence(tmp_path, capsys):
    data = tmp_path / "d.jsonl"
    write_dataset(labelling_dataset(), data)
    cases = [
        ([], "carries no schema; name one with --template or --schema"),
        (["--template", "nope"], "nope"),
        (["--template", "rewardbench", "--schema", "x.yaml"], "not both"),
        (["--template", "rewardbench", "-g", str(tmp_path / "missing.md")], "Cannot read guidelines file"),
    ]
    for extra, needle in cases:
        with pytest.raises(SystemExit) as exc:
            main(["create", str(data), "-o", str(tmp_path / "o.html"), "--quiet", *extra])
        assert exc.value.code == 1
        msg = capsys.readouterr().err
        assert msg.startswith("error: ") and needle in msg and "Traceback" not in msg
    no_cands = sample(1)
    no_cands.candidates = []
    empty = Dataset(name="e", samples=[no_cands])
    with pytest.raises(Exception, match="has no candidates, but question 'best' chooses among them"):
        build_annotator(empty, TEMPLATES.get("rewardbench2")(), tmp_path / "e.html")
    assert not (tmp_path / "o.html").exists() and not (tmp_path / "e.html").exists()


def test_readme_command_builds_the_example(tmp_path, capsys):
    out = tmp_path / "out" / "annotator.html"
    main(["create", "examples/rewardbench2_example.jsonl", "--template", "rewardbench2", "-o", str(out), "--json"])
    result = json.loads(capsys.readouterr().out)
    assert result["tasks"] == 25 and result["schema"] == "rewardbench2" and out.stat().st_size == result["bytes"]


def test_create_from_a_datalabel_schema_file(tmp_path):
    from labelloop.formats.schemas import load_schema

    data = tmp_path / "d.jsonl"
    write_dataset(labelling_dataset(), data)
    dl = {"project_name": "pref test",
          "fields": [{"name": "prompt", "type": "text"}],
          "annotation_config": {"type": "single_choice", "options": [
              {"value": "a", "label": "A better"}, {"value": "b", "label": "B better"}, {"value": "tie", "label": "Tie"}]}}
    schema = tmp_path / "dl_schema.json"
    schema.write_text(json.dumps(dl), encoding="utf-8")
    out = tmp_path / "a.html"
    main(["create", str(data), "--schema", str(schema), "-o", str(out), "--quiet"])
    meta = json.loads(re.search(r'id="ll-meta">(.*?)</script>', out.read_text(encoding="utf-8"), flags=re.S).group(1))
    expected = load_schema(schema)
    assert meta["schema"] == expected.model_dump(mode="json") and meta["schema"]["name"] == "pref test"
    assert meta["schema_hash"] == expected.schema_hash()
    choice = next(q for q in meta["schema"]["questions"] if q["type"] == "single_choice")
    # DataLabel's "a" and "b" name the answers: a choice among the candidates, shown as "Answer A", "Answer B"
    assert ([o["value"] for o in choice["options"]], choice["options_from_candidates"]) == (["tie"], True)

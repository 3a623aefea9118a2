"""``labelloop guidelines``: the deterministic draft, an LLM's rewrite, and the file plugged into the annotator."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from labelloop.assist.cache import AnswerCache
from labelloop.assist.guidelines import draft_guidelines, pick_examples
from labelloop.assist.llm import get_provider
from labelloop.data.model import Annotation, Candidate, DataSample, Dataset, Message
from labelloop.data.positions import candidate_order
from labelloop.data.schema import AnnotationSchema, Option, Question, RubricLevel
from labelloop.errors import GuidelinesError, ParameterError
from labelloop.formats import save
from labelloop.templates import TEMPLATES


def make_samples(n: int = 10, with_ref: tuple[int, ...] = (2, 5, 7, 8)) -> list[DataSample]:
    out = []
    for i in range(n):
        s = DataSample(id=f"g{i}", prompt=[Message(role="user", content=f"Capital of country {i}?")],
                       candidates=[Candidate(id="0", content=f"City {i}"), Candidate(id="1", content=f"Town {i}")])
        if i in with_ref:
            s.annotations.append(Annotation(annotator="source", kind="reference", values={"preference": "1"}))
        out.append(s)
    return out


def custom_schema() -> AnnotationSchema:
    return AnnotationSchema(name="tone_check", guidelines="Judge the **tone** only.", questions=[
        Question(name="tone", type="single_choice", title="Tone of the answer", description="Ignore the facts.",
                 options=[Option(value="polite", label="Polite", description="Courteous throughout."),
                          Option(value="rude", label="Rude")]),
        Question(name="score", type="rating", title="Overall", min=0, max=10, step=0.5, required=False),
        Question(name="stars", type="rating", title="Stars", rubric=[RubricLevel(value=1, label="Bad"),
                                                                     RubricLevel(value=2, label="Good",
                                                                                 description="Fine.")]),
    ])


def test_draft_covers_every_question_option_and_rubric():
    md = draft_guidelines(custom_schema())
    assert md.startswith("# Annotation guidelines: tone check\n\n## The task\n\nJudge the **tone** only.\n")
    for line in ["### 1. Tone of the answer", "Question `tone` (required).", "Ignore the facts.",
                 "- Choose exactly one of these:", "  - **Polite** (`polite`): Courteous throughout.",
                 "  - **Rude** (`rude`)", "### 2. Overall",
                 "Question `score` (optional: leave it empty when you have nothing to say).",
                 "- Give a score from 0 (worst) to 10 (best) in steps of 0.5.", "| score | level | meaning |",
                 "| 1 | Bad |  |", "| 2 | Good | Fine. |", "## Edge cases", "## Skipping and flagging",
                 "- **Skip** a task you cannot judge (a language you do not read, content you must not see, a broken "
                 "task) and give the reason. Offline annotator: the Skip button or `s`. Label Studio: Skip."]:
        assert line in md.splitlines(), line
    assert "## Worked examples" not in md  # no dataset, no examples
    assert "where it is on the screen" not in md  # no question chooses among the candidates
    assert draft_guidelines(custom_schema()) == md  # deterministic


def test_pairwise_edge_cases_and_seeded_examples_with_reference_labels():
    schema = TEMPLATES.get("rewardbench")()
    samples = make_samples()
    md = draft_guidelines(schema, samples, examples=2, seed=3)
    assert "- **Tie**: only when the answers are equally good after a careful read" in md
    assert "- **Both bad**: when no answer is acceptable" in md
    picked = pick_examples(samples, 2, seed=3)
    assert all(s.id in ("g2", "g5", "g7", "g8") for s in picked)  # samples with a reference label first
    assert re.findall(r"### Example \d \(`(g\d)`\)", md) == [s.id for s in picked]
    first = picked[0]
    label = "AB"[candidate_order(first, 3).index("1")]
    assert f"- Which answer is better?: Answer {label}" in md  # the reference, in the labels shown
    assert draft_guidelines(schema, samples, examples=2, seed=3) == md
    none_ref = make_samples(with_ref=())
    md = draft_guidelines(schema, none_ref, examples=3)
    assert md.count("_No reference label: work through the questions above") == 3
    assert len(pick_examples(none_ref, 50)) == 10


def test_other_language_needs_a_provider():
    with pytest.raises(ParameterError) as exc:
        draft_guidelines(custom_schema(), language="de")
    assert (exc.value.param, str(exc.value)) == (
        "provider", "Guidelines in 'de' need an LLM (provider); the draft without one is English.")
    with pytest.raises(GuidelinesError, match="has no questions"):
        draft_guidelines(AnnotationSchema(name="empty"))


GOOD = "# Richtlinien\n\n- `tone`: höflich oder unhöflich\n- `score`: 0–10\n- `stars`: 1–2\n"


def writer(req, n):
    user = next(m["content"] for m in req["messages"] if m["role"] == "user")
    assert "Write them in the language with code 'de'" in user and "## Draft\n# Annotation guidelines" in user
    if n == 1:
        return {"answer": {"markdown": "# Richtlinien\n\n- `tone` only"}}  # forgets two questions
    return {"answer": {"markdown": GOOD}}


@pytest.mark.parametrize("api", ["compatible", "anthropic"])
def test_llm_rewrites_the_draft_retries_a_bad_answer_and_caches(llm_server, tmp_path, api):
    llm_server.policy = writer
    url = llm_server.openai_url if api == "compatible" else llm_server.root
    prov = get_provider(api, model="writer", base_url=url, api_key="k")
    cache = AnswerCache(tmp_path / "c")
    md = draft_guidelines(custom_schema(), provider=prov, language="de", cache=cache)
    cache.close()
    assert md == GOOD
    assert len(llm_server.requests) == 2
    retry = llm_server.requests[1]["messages"][-1]["content"]
    assert retry.startswith("Your answer cannot be used: the guidelines must name every question; missing: score, "
                            "stars.")
    again = draft_guidelines(custom_schema(), provider=get_provider(api, model="writer", base_url=url, api_key="k"),
                             language="de", cache=AnswerCache(tmp_path / "c"))
    assert again == GOOD and len(llm_server.requests) == 2  # from the cache


def test_llm_that_never_answers_well_is_an_error_not_a_made_up_text(llm_server):
    llm_server.policy = lambda req, n: {"answer": "no json"}
    prov = get_provider("compatible", model="writer", base_url=llm_server.openai_url)
    with pytest.raises(GuidelinesError, match=r"llm:compatible/writer gave no usable guidelines \(no usable "
                                              r"guidelines after 2 attempts: the reply is not valid JSON"):
        draft_guidelines(custom_schema(), provider=prov, max_attempts=2)
    assert len(llm_server.requests) == 2


def test_cli_guidelines_plug_into_the_offline_annotator(tmp_path):
    data = tmp_path / "d.jsonl"
    save(Dataset(name="caps", samples=make_samples()), data)
    g = tmp_path / "guidelines.md"
    run = [sys.executable, "-m", "labelloop.cli"]
    p = subprocess.run(run + ["guidelines", str(data), "-t", "rewardbench", "-o", str(g), "--examples", "2",
                              "--json"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    res = json.loads(p.stdout)
    assert (res["schema"], res["examples"], res["by"]) == ("rewardbench", 2, "draft")
    text = g.read_text(encoding="utf-8")
    assert text == draft_guidelines(TEMPLATES.get("rewardbench")(), make_samples(), examples=2)
    page = tmp_path / "page.html"
    p = subprocess.run(run + ["create", str(data), "-t", "rewardbench", "--guidelines", str(g), "-o", str(page),
                              "-q"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    meta = json.loads(re.search(r'<script type="application/json" id="ll-meta">(.*?)</script>',
                                page.read_text(encoding="utf-8")).group(1))
    assert meta["guidelines"] == text.strip()  # the schema's own text is in the draft: not shown twice
    p = subprocess.run(run + ["guidelines", "-o", str(g)], capture_output=True, text=True, timeout=120)
    assert p.returncode == 1 and p.stderr.strip() == ("error: Name a schema with --template or --schema (or give a "
                                                      "dataset that carries one).")
    p = subprocess.run(run + ["guidelines", "-t", "rewardbench", "-o", str(g), "--language", "fr"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 1 and p.stderr.strip() == ("error: Guidelines in 'fr' need an LLM (--provider); the "
                                                      "draft without one is English.")

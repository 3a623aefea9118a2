"""``--per-call N``: N samples in one prompt, one answer per sample id, each validated alone; a bad or missing
answer is asked for alone, and no label is ever taken from the wrong sample."""

from __future__ import annotations

from labelloop.assist.cache import AnswerCache
from labelloop.assist.multiprompt import build_multi_message
from labelloop.assist.prelabel import Job, prelabel
from labelloop.assist.prompt import View, build_user_message
from labelloop.data.positions import candidate_order
from labelloop.templates import TEMPLATES

from .test_prelabel import make_dataset, provider

SCHEMA = TEMPLATES.get("rewardbench")()


def labels(res):
    return {s.id: s.annotations[-1].values["preference"] for s in res.dataset.samples if s.annotations}


def test_samples_share_calls_and_each_answer_maps_to_its_sample(llm_server):
    res = prelabel(make_dataset(7), SCHEMA, provider(llm_server), per_call=3, concurrency=2)
    assert labels(res) == {f"s{i}": f"c{i % 2}" for i in range(7)}
    s = res.summary
    assert (s.calls, s.retried_alone, s.failed, s.input_tokens, s.output_tokens) == (3, 0, 0, 300, 60)
    prompts = sorted(llm_server.first_user(r).count("\n# Task ") + llm_server.first_user(r).startswith("# Task ")
                     for r in llm_server.requests)
    assert prompts == [0, 3, 3]  # two calls of three samples; the last sample alone, in the one-sample prompt
    metas = [smp.annotations[-1].metadata.get("per_call") for smp in res.dataset.samples]
    assert metas == [3, 3, 3, 3, 3, 3, None]
    group = next(r for r in llm_server.requests if "# Task" in llm_server.first_user(r))
    assert group["messages"][0]["content"].startswith("You are a careful, expert annotator")
    assert '"answers"' in group["messages"][0]["content"]


def test_a_bad_or_missing_answer_is_asked_alone(llm_server):
    def policy(req, n):
        reply = llm_server.oracle(req, n)
        answers = reply["answer"].get("answers")
        if answers is not None:
            answers.pop("s1", None)  # missing
            if "s2" in answers:
                answers["s2"]["values"]["preference"] = "Z"  # not an option
            answers["s9"] = answers["s0"]  # an id that was not asked about is ignored
        return reply

    llm_server.policy = policy
    res = prelabel(make_dataset(4), SCHEMA, provider(llm_server), per_call=4, concurrency=1)
    assert labels(res) == {f"s{i}": f"c{i % 2}" for i in range(4)}
    alone = [llm_server.first_user(r) for r in llm_server.requests if "# Task" not in llm_server.first_user(r)]
    asked_alone = sorted(p.split("## Prompt\n")[1].split("\n")[0] for p in alone)
    assert asked_alone == ["Question 1?", "Question 2?"]
    s = res.summary
    assert (s.retried_alone, s.calls, s.failed) == (2, 3, 0)
    metas = [smp.annotations[-1].metadata.get("per_call") for smp in res.dataset.samples]
    assert metas == [4, None, None, 4]


def test_per_call_answers_are_cached_and_orders_never_share_a_call(llm_server, tmp_path):
    cache = AnswerCache(tmp_path / "c")
    res = prelabel(make_dataset(4), SCHEMA, provider(llm_server), per_call=4, both_orders=True, cache=cache)
    assert res.summary.calls == 2 and res.summary.order_disagreements == 0
    for r in llm_server.requests:
        ids = [line for line in llm_server.first_user(r).splitlines() if line.startswith("# Task ")]
        assert len(ids) == len(set(ids)) == 4
    again = prelabel(make_dataset(4), SCHEMA, provider(llm_server), per_call=4, both_orders=True, cache=cache)
    cache.close()
    assert (again.summary.calls, again.summary.cached) == (0, 8)
    assert labels(again) == labels(res)


def test_the_multi_sample_prompt_shows_each_sample_as_alone(llm_server):
    ds = make_dataset(2)
    jobs = []
    for i, s in enumerate(ds.samples):
        view = View(candidate_order(s, 0))
        jobs.append(Job(i, s, view, 0, build_user_message(SCHEMA, s, view)))
    text = build_multi_message(SCHEMA, jobs)
    alone = build_user_message(SCHEMA.model_copy(update={"guidelines": ""}), ds.samples[1], jobs[1].view)
    task, questions = alone.rsplit("\n\nReply with", 1)[0].split("\n\n## Questions\n")
    guide = "## Guidelines\n" + SCHEMA.guidelines.strip()
    assert text.startswith(f'{guide}\n\n## Questions (the same for every task)\n{questions}\n\n# Task "s0"\n\n')
    assert text.count("## Guidelines") == 1 and text.count(questions) == 1
    assert f'# Task "s1"\n\n{task}\n\nReply with' in text
    assert text.endswith('with an entry for each of the 2 task ids: "s0", "s1".')
    three = make_dataset(1, n_cands=3).samples[0]  # answers differ in number: each task keeps its questions
    view = View(candidate_order(three, 0))
    mixed = build_multi_message(SCHEMA, jobs + [Job(2, three, view, 0, "")])
    assert mixed.count("## Questions\n") == 3 and "(the same for every task)" not in mixed

"""Pre-labelling through the batch APIs (OpenAI's Batch API, Anthropic's Message Batches) against the loopback
stand-in (tests/fake_llm.py, itself checked with the official SDKs in test_batch_sdk.py): the requests as
documented, partial failures and expired requests recorded with their reason, nothing asked twice across
runs, failures retried live on request, and the batch price in the cost."""

from __future__ import annotations

import json

import pytest

from labelloop.assist.batch import BatchStore
from labelloop.assist.cache import AnswerCache
from labelloop.assist.llm import get_provider
from labelloop.assist.llm.batches import AnthropicBatches, OpenAIBatches
from labelloop.assist.prelabel import Job, job_key, prelabel
from labelloop.assist.prompt import SYSTEM, View, answer_schema, build_user_message
from labelloop.data.positions import candidate_order
from labelloop.errors import ParameterError
from labelloop.formats import save
from labelloop.ops import assist as ops
from labelloop.templates import TEMPLATES

from .test_prelabel import make_dataset

SCHEMA = TEMPLATES.get("rewardbench")()
REFUSED = "question 'preference': 'C' is not one of ['A', 'B', 'tie', 'both_bad']"


def mixed(server):
    """s2 expires, s3 answers an option that does not exist, s4 is refused by the API; the rest are right."""
    def policy(req, n):
        u = server.first_user(req)
        if "Question 2?" in u:
            return {"expire": True}
        if "Question 3?" in u:
            return {"answer": {"values": {"preference": "C"}, "confidence": 1, "rationale": "C"}}
        if "Question 4?" in u:
            return {"status": 400, "body": {"error": {"message": "prompt is too long",
                                                      "type": "invalid_request_error"}}}
        return server.oracle(req, n)
    return policy


def provider(server, api):
    return get_provider(api, base_url=server.openai_url if api == "openai" else server.root,
                        api_key="sk-test", backoff_base=0.01)


def run(server, api, cache_dir, n=6, **kw):
    cache = AnswerCache(cache_dir)
    try:
        return prelabel(make_dataset(n), SCHEMA, provider(server, api), cache=cache, batch=BatchStore(cache_dir),
                        poll=0.01, **kw)
    finally:
        cache.close()


def labels(res):
    return {s.id: s.annotations[-1].values["preference"] for s in res.dataset.samples if s.annotations}


@pytest.mark.parametrize("api", ["openai", "anthropic"])
def test_batch_answers_failures_and_a_second_run_that_asks_nothing(llm_server, tmp_path, api):
    llm_server.policy = mixed(llm_server)
    res = run(llm_server, api, tmp_path / "c")
    (b,) = llm_server.batches.values()
    bid = b["id"]
    assert labels(res) == {"s0": "c0", "s1": "c1", "s5": "c1"}
    assert res.dataset.samples[0].annotations[-1].metadata["batch"] == bid
    expired = "the request expired: the batch did not run it within its 24 h window"
    refused = ("the batch's call answered HTTP 400: prompt is too long" if api == "openai"
               else "the batch failed the request: invalid_request_error: prompt is too long")
    assert res.summary.failures == [
        {"sample": "s2", "reason": f"batch {bid}: {expired}"},
        {"sample": "s3", "reason": f"batch {bid}: the answer cannot be used: {REFUSED}"},
        {"sample": "s4", "reason": f"batch {bid}: {refused}"}]
    assert res.dataset.samples[2].metadata["prelabel_failure"]["reason"] == f"batch {bid}: {expired}"
    s = res.summary
    assert (s.predicted, s.failed, s.calls, s.input_tokens, s.output_tokens) == (3, 3, 0, 400, 80)
    price = (0.15, 0.60) if api == "openai" else (0.80, 4.00)  # gpt-4o-mini, claude-3-5-haiku-latest
    assert s.cost_usd == pytest.approx((400 * price[0] + 80 * price[1]) / 1e6 / 2)  # the batch price: half
    assert {k: s.batch[k] for k in ("submitted", "answered", "failed", "waiting", "retried_live")} == {
        "submitted": 6, "answered": 3, "failed": 3, "waiting": 0, "retried_live": 0}
    # the requests, as documented: custom_id is the answer-cache key, the body is the live call's
    prov = provider(llm_server, api)
    ds = make_dataset(6)
    view = View(candidate_order(ds.samples[0], 0))
    job = Job(0, ds.samples[0], view, 0, build_user_message(SCHEMA, ds.samples[0], view))
    key = job_key(prov, SCHEMA, job)
    first = dict(b["requests"])[key]
    assert first == prov.payload(SYSTEM, [{"role": "user", "content": job.user}], answer_schema(SCHEMA))
    if api == "openai":
        (up,) = llm_server.uploads
        assert up["purpose"] == "batch"
        line = json.loads(up["content"].splitlines()[0])
        assert set(line) == {"custom_id", "method", "url", "body"}
        assert (line["method"], line["url"]) == ("POST", "/v1/chat/completions")
        assert (b["endpoint"], b["completion_window"]) == ("/v1/chat/completions", "24h")
        assert b["headers"]["authorization"] == "Bearer sk-test"
    else:
        assert b["headers"]["x-api-key"] == "sk-test" and b["headers"]["anthropic-version"] == "2023-06-01"
    asked = len([r for r in llm_server.requests if r["path"] == "batch"])
    assert asked == 6

    again = run(llm_server, api, tmp_path / "c")  # nothing new is sent, uploaded or made
    assert len(llm_server.batches) == 1 and len(llm_server.uploads) == (1 if api == "openai" else 0)
    assert len([r for r in llm_server.requests if r["path"] == "batch"]) == asked
    assert labels(again) == labels(res) and again.summary.failures == res.summary.failures
    assert (again.summary.cached, again.summary.batch["submitted"], again.summary.batch["answered"]) == (3, 0, 0)

    llm_server.policy = llm_server.oracle  # --retry-failed: the three failures asked live, once each
    fixed = run(llm_server, api, tmp_path / "c", retry_failed=True)
    assert labels(fixed) == {f"s{i}": f"c{i % 2}" for i in range(6)}
    assert (fixed.summary.calls, fixed.summary.failed, fixed.summary.batch["retried_live"]) == (3, 0, 3)
    live = [r for r in llm_server.requests if r["path"] != "batch"]
    assert sorted(llm_server.first_user(r).split("Question ")[1][:1] for r in live) == ["2", "3", "4"]
    assert len(llm_server.batches) == 1
    assert run(llm_server, api, tmp_path / "c").summary.cached == 6


@pytest.mark.parametrize("api,cls", [("openai", OpenAIBatches), ("anthropic", AnthropicBatches)])
def test_batches_are_split_to_the_limits(llm_server, tmp_path, monkeypatch, api, cls):
    monkeypatch.setattr(cls, "max_requests", 2)
    res = run(llm_server, api, tmp_path / "c", n=5)
    assert [len(ids) for ids in llm_server.batch_ids()] == [2, 2, 1]
    assert len(res.summary.batch["batches"]) == 3 and res.summary.predicted == 5
    one = len(OpenAIBatches(provider(llm_server, api)).line("k" * 64, {"x": 1}))
    monkeypatch.setattr(cls, "max_requests", 100)
    monkeypatch.setattr(cls, "max_bytes", 2 * 4000)  # about two requests of this dataset a batch
    res = run(llm_server, api, tmp_path / "d", n=5)
    sizes = [len(ids) for ids in llm_server.batch_ids()[3:]]
    assert sum(sizes) == 5 and max(sizes) < 5 and one > 0
    monkeypatch.setattr(cls, "max_bytes", 500)  # no request fits: each fails, and no batch is made
    res = run(llm_server, api, tmp_path / "e", n=2)
    assert res.summary.failures == [{"sample": f"s{i}", "reason": "the request is larger than the 500 bytes a batch "
                                     "may hold"} for i in range(2)]
    assert len(llm_server.batch_ids()) == 3 + len(sizes) and not (tmp_path / "e" / "batches").exists()


def test_a_refused_batch_fails_each_request_with_the_reason(llm_server, tmp_path):
    llm_server.batch_refuse = "The input file is not valid JSONL."
    res = run(llm_server, "openai", tmp_path / "c", n=2)
    (bid,) = llm_server.batches
    assert res.summary.failures == [
        {"sample": f"s{i}", "reason": f"batch {bid} was refused: The input file is not valid JSONL."} for i in range(2)]
    assert res.summary.batch["batches"][0]["status"] == "failed"


def test_waiting_batches_write_nothing_and_the_next_run_collects(llm_server, tmp_path):
    llm_server.batch_hold = True
    data = tmp_path / "in.jsonl"
    save(make_dataset(3), data)
    kw = dict(provider="openai", base_url=llm_server.openai_url, template="rewardbench", cache=tmp_path / "c",
              batch=True, wait=False)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OPENAI_API_KEY", "sk-test")
        first = ops.prelabel(data, tmp_path / "out.jsonl", **kw)
        assert first.output is None and not (tmp_path / "out.jsonl").exists()
        assert (first.summary["waiting"], first.summary["batch"]["waiting"], first.summary["batch"]["submitted"]) \
            == (3, 3, 3)
        status = ops.prelabel_batch_status(tmp_path / "c", provider="openai", base_url=llm_server.openai_url)
        assert [(r["id"], r["status"], r["requests"]) for r in status] == [("batch_0002", "in_progress", 3)]
        llm_server.batch_hold = False
        second = ops.prelabel(data, tmp_path / "out.jsonl", **kw)
    assert second.output == str(tmp_path / "out.jsonl") and second.summary["predicted"] == 3
    assert second.summary["batch"]["submitted"] == 0 and len(llm_server.batches) == 1


def test_a_batch_made_before_a_crash_is_found_not_made_again(llm_server, tmp_path):
    """A run killed after creating the batch but before saving its id: the next run finds it by its file."""
    llm_server.batch_hold = True
    run(llm_server, "openai", tmp_path / "c", n=2, wait=False)
    (state,) = (tmp_path / "c" / "batches").glob("*.json")
    rec = json.loads(state.read_text())
    assert rec["step"] == "submitted" and rec["id"] == "batch_0002"
    rec.update(step="written", submitting=True)
    del rec["id"]
    state.write_text(json.dumps(rec))
    llm_server.batch_hold = False
    res = run(llm_server, "openai", tmp_path / "c", n=2)
    assert len(llm_server.batches) == 1 and len(llm_server.uploads) == 1 and res.summary.predicted == 2


def test_batch_parameters_are_checked(llm_server, tmp_path):
    base = dict(provider="compatible", base_url=llm_server.openai_url, template="rewardbench")
    data = tmp_path / "in.jsonl"
    with pytest.raises(ParameterError, match=r"^batch keeps its batches in the answer cache directory \(cache\)"):
        ops.prelabel(data, tmp_path / "o.jsonl", batch=True, cache=None, **base)
    with pytest.raises(ParameterError, match=r"^retry_failed retries what batches failed; it needs batch\.$"):
        ops.prelabel(data, tmp_path / "o.jsonl", retry_failed=True, **base)
    with pytest.raises(ParameterError, match=r"^per_call is for live calls"):
        ops.prelabel(data, tmp_path / "o.jsonl", batch=True, per_call=5, cache=tmp_path / "c", **base)

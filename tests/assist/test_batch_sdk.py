"""The official SDK clients drive the stand-in's batch APIs, so it plays OpenAI's Batch API and Anthropic's
Message Batches faithfully: what labelloop's batch tests see is what the SDKs see."""

from __future__ import annotations

import json

import pytest

openai = pytest.importorskip("openai")
anthropic = pytest.importorskip("anthropic")

PROMPT = ('## Answers\n<answer label="A">\nnope\n</answer>\n\n<answer label="B">\nyes [GOOD]\n</answer>\n\n'
          '## Questions\n- "preference" (required): Which?')


def expire_second(server):
    def policy(req, n):
        if "second" in server.first_user(req):
            return {"expire": True}
        if "third" in server.first_user(req):
            return {"status": 400, "body": {"error": {"message": "max_tokens is too large",
                                                      "type": "invalid_request_error"}}}
        return server.oracle(req, n)
    return policy


def test_openai_sdk_runs_a_batch_on_our_server(llm_server):
    llm_server.policy = expire_second(llm_server)
    client = openai.OpenAI(base_url=llm_server.openai_url, api_key="sk-test", max_retries=0)
    lines = [{"custom_id": f"r{i}", "method": "POST", "url": "/v1/chat/completions",
              "body": {"model": "judge-1", "messages": [{"role": "user", "content": PROMPT + f"\n{word}"}]}}
             for i, word in enumerate(["first", "second", "third"])]
    f = client.files.create(file=("in.jsonl", "".join(json.dumps(x) + "\n" for x in lines).encode(),
                                  "application/jsonl"), purpose="batch")
    assert f.purpose == "batch" and f.bytes > 0 and llm_server.uploads[0]["filename"] == "in.jsonl"
    b = client.batches.create(input_file_id=f.id, endpoint="/v1/chat/completions", completion_window="24h",
                              metadata={"k": "v"})
    assert b.status == "validating" and b.request_counts.total == 3
    assert client.batches.retrieve(b.id).status == "in_progress"
    done = client.batches.retrieve(b.id)
    assert done.status == "expired"  # one request expired: the batch says so, with the rest answered
    assert (done.request_counts.completed, done.request_counts.failed) == (1, 2)
    assert [x.id for x in client.batches.list()] == [b.id]
    out = [json.loads(x) for x in client.files.content(done.output_file_id).text.splitlines()]
    assert [x["custom_id"] for x in out] == ["r0"]
    body = out[0]["response"]["body"]
    assert out[0]["response"]["status_code"] == 200
    assert json.loads(body["choices"][0]["message"]["content"])["values"] == {"preference": "B"}
    errs = {x["custom_id"]: x for x in map(json.loads, client.files.content(done.error_file_id).text.splitlines())}
    assert errs["r1"]["error"]["code"] == "batch_expired" and errs["r1"]["response"] is None
    assert errs["r2"]["response"]["status_code"] == 400
    assert errs["r2"]["response"]["body"]["error"]["message"] == "max_tokens is too large"


def test_openai_sdk_sees_a_refused_batch(llm_server):
    llm_server.batch_refuse = "The input file is not valid JSONL."
    client = openai.OpenAI(base_url=llm_server.openai_url, api_key="sk-test", max_retries=0)
    f = client.files.create(file=("in.jsonl", b'{"custom_id": "r0", "method": "POST", "url": "/v1/chat/completions", '
                                  b'"body": {"messages": [{"role": "user", "content": "x"}]}}\n',
                                  "application/jsonl"), purpose="batch")
    b = client.batches.retrieve(client.batches.create(input_file_id=f.id, endpoint="/v1/chat/completions",
                                                      completion_window="24h").id)
    assert b.status == "failed" and b.errors.data[0].message == "The input file is not valid JSONL."


def test_anthropic_sdk_runs_a_message_batch_on_our_server(llm_server):
    llm_server.policy = expire_second(llm_server)
    client = anthropic.Anthropic(base_url=llm_server.root, api_key="sk-ant-test", max_retries=0)
    reqs = [{"custom_id": f"r{i}", "params": {
        "model": "judge-1", "max_tokens": 100, "messages": [{"role": "user", "content": PROMPT + f"\n{word}"}],
        "tools": [{"name": "record_labels", "input_schema": {"type": "object"}}],
        "tool_choice": {"type": "tool", "name": "record_labels"}}} for i, word in enumerate(["first", "second", "third"])]
    b = client.messages.batches.create(requests=reqs)
    assert b.processing_status == "in_progress" and b.request_counts.processing == 3
    assert client.messages.batches.retrieve(b.id).processing_status == "in_progress"
    done = client.messages.batches.retrieve(b.id)
    assert done.processing_status == "ended" and done.results_url.endswith(f"/v1/messages/batches/{b.id}/results")
    c = done.request_counts
    assert (c.succeeded, c.errored, c.expired, c.processing) == (1, 1, 1, 0)
    results = {r.custom_id: r.result for r in client.messages.batches.results(b.id)}
    assert results["r0"].type == "succeeded" and results["r0"].message.content[0].input["values"] == {"preference": "B"}
    assert results["r0"].message.usage.input_tokens == 100
    assert results["r1"].type == "expired"
    assert results["r2"].type == "errored" and results["r2"].error.error.message == "max_tokens is too large"
    headers = llm_server.batches[b.id]["headers"]
    assert "sk-ant-test" in (headers.get("x-api-key"), headers.get("authorization", "").removeprefix("Bearer "))
